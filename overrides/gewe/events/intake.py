"""Where an accepted push waits for a worker: the receiver's one hand-over point.

The answer path calls `put(push)` and answers 200 only when it returns True; workers call
`get()` and, once the push is handled (or given up), `done(push)`. `MemoryIntake` is the default:
a FIFO in this process, bounded by count and by bytes. A durable intake (a store that survives a
restart) implements the same four methods.
"""

from __future__ import annotations

import asyncio
import collections
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(slots=True, eq=False)
class Push:
    """An accepted push: its body as received, its de-duplication key (or None), its size, and
    the JSON object the answer path already decoded from it (`raw`; None: decode `body` again)."""

    body: bytes
    key: str | None
    size: int = field(init=False)
    attempt: int = 1
    raw: dict[str, Any] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.size = len(self.body)


@runtime_checkable
class Intake(Protocol):
    """A queue of accepted pushes, bounded by count and by bytes."""

    queued: int  # pushes waiting for a worker
    queued_bytes: int

    async def put(self, push: Push) -> bool:
        """Queue `push`; False (nothing queued) when the count or byte budget would be exceeded."""
        ...

    async def get(self) -> Push:
        """The oldest queued push (waits for one)."""
        ...

    async def done(self, push: Push) -> None:
        """`push`, taken by `get()`, is handled (or given up: its id was released)."""
        ...

    def drain(self) -> list[Push]:
        """Remove and return every push still waiting (at stop)."""
        ...


class MemoryIntake:
    """In-process FIFO: at most `max_count` pushes and `max_bytes` bytes of bodies waiting."""

    def __init__(self, max_count: int, max_bytes: int) -> None:
        self.max_count, self.max_bytes = max_count, max_bytes
        self._items: collections.deque[Push] = collections.deque()
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self.queued = 0
        self.queued_bytes = 0
        self._waking = 0  # workers woken that have not taken their push yet

    def __repr__(self) -> str:
        return f"MemoryIntake(queued={self.queued}, bytes={self.queued_bytes})"

    async def put(self, push: Push) -> bool:
        return self.put_nowait(push)

    def put_nowait(self, push: Push) -> bool:
        if self.queued >= self.max_count or self.queued_bytes + push.size > self.max_bytes:
            return False
        self._items.append(push)
        self.queued += 1
        self.queued_bytes += push.size
        if not self._waking:  # a worker already on its way takes this one too (no wake-up per push)
            self._wake_one()
        return True

    async def get(self) -> Push:
        while not self._items:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._waking -= 1
                    if self._items:  # pass the wake-up on
                        self._wake_one()
                raise
            self._waking -= 1
        push = self._items.popleft()
        self.queued -= 1
        self.queued_bytes -= push.size
        if self._items and not self._waking:  # more waiting: another worker, for when this one waits
            self._wake_one()
        return push

    def get_nowait(self) -> Push | None:
        """The oldest queued push, or None when none is waiting (a worker's step without a coroutine)."""
        if not self._items:
            return None
        push = self._items.popleft()
        self.queued -= 1
        self.queued_bytes -= push.size
        if self._items and not self._waking:
            self._wake_one()
        return push

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                self._waking += 1
                return

    async def done(self, push: Push) -> None:
        return None

    def drain(self) -> list[Push]:
        items = list(self._items)
        self._items.clear()
        self.queued = self.queued_bytes = 0
        return items
