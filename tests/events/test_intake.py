"""MemoryIntake, the receiver's in-memory queue: bounded by count and bytes, no push lost or stuck."""

from __future__ import annotations

import asyncio
import json

from gewe.events import parse_event
from gewe.events.intake import Intake, MemoryIntake, Push


def push(size: int, key: str | None = None) -> Push:
    return Push(b"x" * size, key)


async def test_bounded_by_count_and_by_bytes() -> None:
    intake = MemoryIntake(max_count=3, max_bytes=100)
    assert isinstance(intake, Intake)
    assert await intake.put(push(60)) and await intake.put(push(40))
    assert not await intake.put(push(1))  # 100 bytes queued
    first = await intake.get()
    assert first.size == 60 and (intake.queued, intake.queued_bytes) == (1, 40)
    assert await intake.put(push(10)) and await intake.put(push(10))
    assert not await intake.put(push(10))  # 3 queued
    assert [p.size for p in intake.drain()] == [40, 10, 10]
    assert (intake.queued, intake.queued_bytes) == (0, 0)


async def test_workers_that_wait_in_their_handler_all_get_work() -> None:
    intake = MemoryIntake(max_count=100, max_bytes=10_000)
    busy, most = 0, 0
    taken: list[int] = []

    async def worker() -> None:
        nonlocal busy, most
        while True:
            p = await intake.get()
            busy += 1
            most = max(most, busy)
            await asyncio.sleep(0.01)  # a handler that awaits
            taken.append(p.size)
            busy -= 1

    workers = [asyncio.create_task(worker()) for _ in range(4)]
    await asyncio.sleep(0)
    for size in range(1, 13):
        assert intake.put_nowait(push(size))
    for _ in range(200):
        if len(taken) == 12:
            break
        await asyncio.sleep(0.005)
    for w in workers:
        w.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    assert sorted(taken) == list(range(1, 13)) and most == 4


async def test_a_cancelled_getter_passes_its_wake_up_on() -> None:
    intake = MemoryIntake(max_count=10, max_bytes=1000)
    first = asyncio.create_task(intake.get())
    second = asyncio.create_task(intake.get())
    await asyncio.sleep(0)
    intake.put_nowait(push(5))  # wakes `first`...
    first.cancel()  # ...which is cancelled before it runs
    got = await asyncio.wait_for(second, 1)
    assert got.size == 5


async def test_the_decoded_push_rides_along_only_while_workers_keep_up() -> None:
    from gewe.events import Event, Receiver
    from gewe.events.receiver import KEEP_DECODED_PUSHES
    from tests.fixtures import pushes as P

    seen: list[Event] = []

    async def handle(event: Event) -> None:
        seen.append(event)

    receiver = Receiver(handle, path="/gewe/s-7c1e9a4b0d2f6e8a", workers=1)
    receiver.ensure_workers()
    intake = receiver.intake
    assert isinstance(intake, MemoryIntake)
    bodies = [
        json.dumps(P.push(1, f"m{i}", new_msg_id=500 + i)).encode() for i in range(KEEP_DECODED_PUSHES + 5)
    ]
    for body in bodies:  # no worker runs meanwhile: a backlog builds
        assert await receiver.receive(body) == 200
    kept = [p.raw is not None for p in list(intake._items)]
    assert kept == [True] * KEEP_DECODED_PUSHES + [False] * 5  # a backlog keeps bytes only
    for _ in range(100):
        if len(seen) == len(bodies):
            break
        await asyncio.sleep(0.01)
    assert [e.raw for e in seen] == [json.loads(b) for b in bodies]  # the same events either way
    assert [type(e) for e in seen] == [type(parse_event(b)) for b in bodies]
    await receiver.stop()
