"""AsyncGeweClient's attempt deadlines (gewe.transport.async_deadline) and its connection slots:
what asyncio.timeout and asyncio.Semaphore would do, on shared timers and without suspending for a
free slot."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from gewe.async_client import _PoolState
from gewe.transport import async_default as _transport
from gewe.transport.async_deadline import GRANULARITY, Deadlines


def test_a_bound_run_past_ends_with_timeout_error_never_early() -> None:
    async def main() -> float:
        loop = asyncio.get_running_loop()
        deadlines = Deadlines(loop)
        started = loop.time()
        with pytest.raises(TimeoutError), deadlines.bound(time.monotonic() + 0.05):
            await asyncio.sleep(5)
        return loop.time() - started

    elapsed = asyncio.run(main())
    assert 0.05 <= elapsed < 0.05 + GRANULARITY + 0.5


def test_a_bound_left_in_time_leaves_no_cancellation_behind() -> None:
    async def main() -> str:
        deadlines = Deadlines(asyncio.get_running_loop())
        with deadlines.bound(time.monotonic() + 0.05):
            await asyncio.sleep(0)
        await asyncio.sleep(0.1)  # past the window's timer: it must not touch this task any more
        task = asyncio.current_task()
        assert task is not None and task.cancelling() == 0
        return "done"

    assert asyncio.run(main()) == "done"


def test_a_cancellation_from_outside_is_not_turned_into_a_timeout() -> None:
    async def main() -> None:
        deadlines = Deadlines(asyncio.get_running_loop())

        async def bounded() -> None:
            with deadlines.bound(time.monotonic() + 10):
                await asyncio.sleep(5)

        task = asyncio.ensure_future(bounded())
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


def test_cancelled_from_outside_as_the_deadline_passes_stays_cancelled() -> None:
    """As asyncio.timeout: when both cancel the task, the outside cancellation wins."""

    async def main() -> asyncio.Task[None]:
        deadlines = Deadlines(asyncio.get_running_loop())
        entered = asyncio.Event()

        async def bounded() -> None:
            with deadlines.bound(time.monotonic() + 30):
                entered.set()
                await asyncio.sleep(5)

        task = asyncio.ensure_future(bounded())
        await entered.wait()
        (window,) = deadlines._windows
        deadlines._expire(window)  # the window's timer fires...
        task.cancel()  # ...and someone else cancels the task before it runs again
        with pytest.raises(asyncio.CancelledError):
            await task
        return task

    assert asyncio.run(main()).cancelled()


def test_no_limit_is_no_bound() -> None:
    async def main() -> None:
        deadlines = Deadlines(asyncio.get_running_loop())
        with deadlines.bound(None):
            await asyncio.sleep(0.01)

    asyncio.run(main())


def test_calls_ending_in_the_same_window_share_one_loop_timer() -> None:
    async def main() -> tuple[int, list[Any]]:
        loop = asyncio.get_running_loop()
        deadlines = Deadlines(loop)
        armed: list[float] = []
        original = loop.call_at

        def counting(when: float, callback: Any, *args: Any, **kwargs: Any) -> asyncio.TimerHandle:
            if getattr(callback, "__self__", None) is deadlines:
                armed.append(when)
            return original(when, callback, *args, **kwargs)

        loop.call_at = counting  # type: ignore[method-assign]
        try:

            async def one(i: int) -> int:
                with deadlines.bound(time.monotonic() + 30):
                    await asyncio.sleep(0)
                return i

            results = await asyncio.gather(*(one(i) for i in range(1000)))
        finally:
            del loop.call_at
        return len(armed), results

    timers, results = asyncio.run(main())
    assert results == list(range(1000))
    assert 1 <= timers <= 5  # 1,000 calls started together: a few 10 ms windows, not 1,000 timers


def test_waiting_calls_get_slots_in_order_and_a_cancelled_waiter_loses_none() -> None:
    async def main() -> tuple[list[int], int]:
        state = _PoolState(2)
        assert state.take() and state.take()
        assert not state.take()
        order: list[int] = []

        async def waiter(i: int) -> None:
            await state.acquire()
            order.append(i)
            await asyncio.sleep(0)
            state.release()

        tasks = [asyncio.ensure_future(waiter(i)) for i in range(5)]
        await asyncio.sleep(0)
        tasks[1].cancel()  # leaves the line before its turn
        state.release()
        state.release()
        await asyncio.gather(*tasks, return_exceptions=True)
        return order, state.free

    order, free = asyncio.run(main())
    assert order == [0, 2, 3, 4]
    assert free == 2


def test_a_waiter_cancelled_as_it_is_handed_a_slot_passes_it_on() -> None:
    async def main() -> tuple[bool, int]:
        state = _PoolState(1)
        assert state.take()
        first = asyncio.ensure_future(state.acquire())
        second = asyncio.ensure_future(state.acquire())
        await asyncio.sleep(0)
        state.release()  # handed to `first`...
        first.cancel()  # ...which is cancelled before it runs
        await asyncio.sleep(0)
        await second  # so the slot went on to `second`
        state.release()
        return first.cancelled(), state.free

    cancelled, free = asyncio.run(main())
    assert cancelled
    assert free == 1


def test_the_supported_aiohttp_takes_the_direct_route() -> None:
    """The default path's direct route is checked by release and signature; on the aiohttp we pin, and on the
    floor (tests/packaging runs this file there), it must hold: else every call would quietly pay
    for `ClientSession.request` again (see `make bench`)."""
    assert _transport.DIRECT is True
    assert _transport._direct_supported() is True


@pytest.mark.parametrize("version", ["3.9.5", "3.15.0", "4.0.0a1", "not-a-version"])
def test_an_aiohttp_the_direct_route_was_not_tested_with_takes_the_session_route(version: str) -> None:
    assert _transport._direct_supported(version) is False
