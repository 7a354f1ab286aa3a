"""`Worker(handler, queue=...)`: handles the pushes a receiver stored, from any process.

    queue = RedisStreamQueue("redis://redis:6379/0")
    Worker(handle, queue=queue, concurrency=32).run()     # until SIGTERM or Ctrl-C

or `gewe work mybot:handle --queue redis://redis:6379/0`. A worker takes up to `concurrency`
pushes at a time - never two of one chat (see `gewe.events.queues`) - parses each into its event
and calls the handler (async, or sync in a thread). Then:

- the handler returned: the push's id is marked handled in the de-duplication store and the push
  is acknowledged (deleted from the queue);
- it raised, or ran past `handler_timeout`: logged with the event's kind and `new_msg_id`, its
  de-duplication claim released, and the push handed out again after a backoff (its chat waits,
  so order holds) - until it has been tried `max_deliveries` times: then it becomes a dead letter
  (`gewe dead list|replay`). A push whose worker died while handling it counts that try too.

De-duplication (on by default) claims a push's `Appid` + `NewMsgId` when its handler starts, so
GeWe's re-deliveries stored beside it are acknowledged without running the handler again; the
store is the queue's own when it has one (SQLite: a table; Redis: keys on the same server).

`stop(timeout)` stops taking pushes, waits up to `timeout` s for the handlers running, and hands
back what is still running (cancelled) to the queue, which gives it to the next worker: with a
durable queue nothing stored is lost. Delivery is at least once: a handler cut off half-way (a
crash, `kill -9`, a stop timeout) runs again on the next delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import signal
import time
from collections.abc import Callable
from typing import Any, Literal

from ..errors import GeweConfigError
from .dedup import DedupStore, MemoryDedup
from .models import Event
from .parse import parse_event, push_key
from .queues import Delivery, MemoryQueue, PushQueue
from .receiver import _describe, _Threads

logger = logging.getLogger("gewe.events")
Handler = Callable[[Event], object]


def is_async_handler(handler: object) -> bool:
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
        getattr(handler, "__call__", None)  # noqa: B004 - an async callable object
    )


def _default_dedup(queue: PushQueue) -> DedupStore:
    make = getattr(queue, "dedup", None)
    store = make() if callable(make) else MemoryDedup()
    assert isinstance(store, DedupStore)
    return store


class Worker:
    """Handles the pushes in `queue` (see the module's docstring).

    Args:
        handler: called with each event; async, or sync (run in one of `concurrency` threads).
        queue: a `MemoryQueue`, `SqliteQueue` or `RedisStreamQueue` (any `PushQueue`).
        concurrency: pushes handled at the same time (each of a different chat).
        dedup: "auto" (the queue's own store, else `MemoryDedup()`), a `DedupStore`, or None.
        handler_timeout: seconds a handler may run before it counts as failed (None: no limit).
        max_deliveries: handler runs a push gets before it becomes a dead letter.
        retry_delay: (first, longest) seconds before a failed push is handed out again; doubles
            per failure.
    """

    def __init__(
        self,
        handler: Handler,
        *,
        queue: PushQueue,
        concurrency: int = 16,
        dedup: DedupStore | Literal["auto"] | None = "auto",
        handler_timeout: float | None = 60.0,
        max_deliveries: int = 5,
        retry_delay: tuple[float, float] = (1.0, 60.0),
    ) -> None:
        if not callable(handler):
            raise GeweConfigError(
                f"Worker handler must be callable (a function of one event), not {type(handler).__name__}",
                setting="handler",
            )
        if not isinstance(queue, PushQueue):
            raise GeweConfigError(
                "Worker queue must be a MemoryQueue, SqliteQueue or RedisStreamQueue, "
                f"got {type(queue).__name__}",
                setting="queue",
            )
        if concurrency < 1 or max_deliveries < 1:
            raise GeweConfigError("concurrency and max_deliveries must be >= 1", setting="worker")
        if handler_timeout is not None and not handler_timeout > 0:
            raise GeweConfigError("handler_timeout must be > 0 or None", setting="handler_timeout")
        self.handler, self.queue, self.concurrency = handler, queue, concurrency
        self.dedup: DedupStore | None = _default_dedup(queue) if dedup == "auto" else dedup
        self.handler_timeout, self.max_deliveries, self.retry_delay = (
            handler_timeout,
            max_deliveries,
            retry_delay,
        )
        self._is_async = is_async_handler(handler)
        self._pool: _Threads | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._active: dict[asyncio.Task[None], Delivery] = {}
        self._freed: asyncio.Event | None = None
        self._stopping = False
        self._warned_at = 0.0
        self.handled = self.failed = self.timed_out = self.duplicates = self.dead = self.left = 0

    def __repr__(self) -> str:
        return f"Worker(queue={self.queue!r}, concurrency={self.concurrency}, running={self.running})"

    @property
    def running(self) -> bool:
        return self._loop_task is not None and not self._stopping

    def stats(self) -> dict[str, int]:
        """Counters since start: handled, failed, timed_out, duplicates, dead, in_flight."""
        return {
            "handled": self.handled,
            "failed": self.failed,
            "timed_out": self.timed_out,
            "duplicates": self.duplicates,
            "dead": self.dead,
            "in_flight": len(self._active),
        }

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start taking pushes on the running loop."""
        if self._loop_task is not None:
            raise GeweConfigError("the worker is already started", setting="worker")
        self._stopping = False
        self._freed = asyncio.Event()
        if not self._is_async:  # daemon threads: a handler that never returns cannot block exit
            self._pool = _Threads(asyncio.get_running_loop(), 2 * self.concurrency, "gewe-worker")
        if self.dedup is not None and getattr(self.dedup, "marked_done_by", None) is self.queue:
            self.queue.claims_for = self.dedup  # claims ride with takes
        opener = getattr(self.queue, "open", None)
        if callable(opener):
            await opener()
        self._loop_task = asyncio.create_task(self._take_loop(), name="gewe-worker")

    async def stop(self, timeout: float = 10.0) -> int:
        """Stop taking, wait up to `timeout` s for running handlers, hand back the rest; how many
        were handed back."""
        task = self._loop_task
        if task is None:
            return 0
        self._stopping = True
        if self._freed is not None:
            self._freed.set()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(asyncio.shield(task), max(timeout, 0.5))
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        active = dict(self._active)
        if active:
            await asyncio.wait(list(active), timeout=timeout)
        still = {t: d for t, d in self._active.items() if not t.done()}
        for t in still:
            t.cancel()
        if still:
            await asyncio.gather(*still, return_exceptions=True)
            logger.warning("worker stopped with %d pushes still being handled: handed back", len(still))
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.queue.hand_back(list(still.values())), 5.0)
        self._active.clear()
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        closer = getattr(self.queue, "release_leases", None)
        if callable(closer):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(closer(), 5.0)
        self._loop_task = None
        self.left = len(still)
        return self.left

    def run(self, *, stop_timeout: float = 10.0) -> int:
        """Work until SIGTERM or Ctrl-C, then stop (`stop(stop_timeout)`); how many were handed back."""

        async def serve() -> int:
            await self.start()
            stopping = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(sig, stopping.set)
            try:
                await stopping.wait()
            finally:
                left = await asyncio.shield(self.stop(stop_timeout))
                await self.queue.close()
            return left

        try:
            return asyncio.run(serve())
        except KeyboardInterrupt:
            return self.left

    # -- taking and handling -------------------------------------------------------------------

    def _warn(self, what: str, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._warned_at > 10:  # at most one line per 10 s while the queue is down
            self._warned_at = now
            logger.warning("worker: %s failed (%s: %s); trying again", what, type(exc).__name__, exc)

    async def _take_loop(self) -> None:
        freed = self._freed
        assert freed is not None
        backoff = 0.05
        while not self._stopping:
            free = self.concurrency - len(self._active)
            if free <= 0:
                freed.clear()
                await freed.wait()
                continue
            try:
                taken = await self.queue.take(free, 0.2)
            except Exception as exc:
                self._warn("taking pushes", exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                continue
            backoff = 0.05
            if self._stopping:
                with contextlib.suppress(Exception):
                    await self.queue.hand_back(taken)
                return
            for delivery in taken:
                task = asyncio.create_task(self._process(delivery))
                self._active[task] = delivery
                task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled():
            self._active.pop(task, None)
        if self._freed is not None:
            self._freed.set()

    async def _persist(self, what: str, call: Callable[[], Any]) -> None:
        """A queue or store write that must happen (an ack): retried while the store is down."""
        delay = 0.05
        while True:
            try:
                await call()
                return
            except Exception as exc:
                self._warn(what, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def _claim(self, key: str, delivery: Delivery) -> bool:
        dedup = self.dedup
        assert dedup is not None
        claim_for = getattr(dedup, "claim_for", None)
        while True:
            try:
                if callable(claim_for):
                    return bool(await claim_for(key, delivery.id))
                return bool(await dedup.claim(key))
            except Exception as exc:
                self._warn("claiming a push id", exc)
                await asyncio.sleep(0.5)

    async def _forget(self, key: str | None) -> None:
        if key is not None and self.dedup is not None:
            try:
                await self.dedup.release(key)
            except Exception as exc:
                logger.warning("could not forget a push id in the dedup store (%s)", type(exc).__name__)

    async def _call(self, event: Event) -> None:
        async with asyncio.timeout(self.handler_timeout):
            if self._is_async:
                await self.handler(event)  # type: ignore[misc]
                return
            assert self._pool is not None
            result = await self._pool.submit(self.handler, event)
            if inspect.isawaitable(result):
                await result

    async def _process(self, delivery: Delivery) -> None:
        raw = delivery.raw
        key = push_key(raw) if self.dedup is not None else None
        if delivery.attempts > self.max_deliveries:
            self.dead += 1
            logger.error(
                "push set aside as a dead letter after %d tries (%s)", delivery.attempts - 1, _describe(raw)
            )
            why = f"handed out {delivery.attempts - 1} times without finishing (its worker died or hung)"
            await self._persist("moving a push to the dead letters", lambda: self.queue.dead(delivery, why))
            await self._forget(key)
            return
        claimed = delivery.claimed  # made with the take, when the store is the queue's own
        if key is not None and not (claimed if claimed is not None else await self._claim(key, delivery)):
            self.duplicates += 1
            await self._persist("acknowledging a duplicate", lambda: self.queue.ack(delivery))
            return
        event: Event | None = None
        try:
            event = parse_event(raw)
            await self._call(event)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            kind = event.kind if event is not None else "unparsed"
            if isinstance(exc, TimeoutError):
                self.timed_out += 1
                logger.warning(
                    "handler ran past %gs on a %s event (%s): cancelled",
                    self.handler_timeout or 0,
                    kind,
                    _describe(raw),
                )
                error = f"handler_timeout: ran past {self.handler_timeout:g} s"
            else:
                logger.exception("handler failed on a %s event (%s)", kind, _describe(raw))
                error = f"{type(exc).__name__}: {exc}"[:1000]
            self.failed += 1
            await self._forget(key)
            if delivery.attempts >= self.max_deliveries:
                self.dead += 1
                await self._persist(
                    "moving a push to the dead letters", lambda: self.queue.dead(delivery, error)
                )
            else:
                first, longest = self.retry_delay
                delay = min(longest, first * 2 ** (delivery.attempts - 1))
                await self._persist("handing a push back", lambda: self.queue.retry(delivery, error, delay))
            return
        self.handled += 1
        if key is not None and getattr(self.dedup, "marked_done_by", None) is self.queue:  # one trip
            await self._persist("acknowledging a push", lambda: self.queue.ack(delivery, done_key=key))  # type: ignore[call-arg]
            return
        if key is not None and self.dedup is not None:
            complete = getattr(self.dedup, "complete", None)
            if callable(complete):
                await self._persist("marking a push handled", lambda: complete(key))
        await self._persist("acknowledging a push", lambda: self.queue.ack(delivery))


__all__ = ["MemoryQueue", "Worker"]
