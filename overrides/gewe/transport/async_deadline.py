"""Whole-attempt deadlines for `AsyncGeweClient`, on loop timers shared by the calls that end together.

`asyncio.timeout` arms one loop timer per call, left on the loop's heap, cancelled, when the call
ends in time, as nearly every call does; in a burst that costs as much as the SDK's own work per
call. `Deadlines` gives the calls whose deadlines fall in the same `GRANULARITY` window one timer:
entering and leaving a bound is a dict insert and a delete. A deadline is rounded up to the end of
its window (an attempt ends at most `GRANULARITY` late, never early). When a window's timer fires,
each task still inside a bound of it is cancelled, and the bound turns that into `TimeoutError`, as
`asyncio.timeout` does; a cancellation from anywhere else goes through (`Task.uncancel` counts).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from types import TracebackType

GRANULARITY = 0.01  # seconds: the most an attempt can overrun its timeout, and how timers are shared


class Deadlines:
    """The deadlines of one event loop's attempts, grouped by window, one loop timer per window."""

    __slots__ = ("_expired", "_loop", "_windows")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._windows: dict[int, dict[asyncio.Task[object], None]] = {}
        self._expired: set[asyncio.Task[object]] = set()  # cancelled by a timer, bound not yet left

    def bound(self, deadline: float | None) -> Bound | contextlib.nullcontext[None]:
        """A `with` block the current task must leave by `deadline` (a `time.monotonic()` instant;
        None: no limit), else `TimeoutError` is raised in it, wherever it is waiting."""
        if deadline is None:
            return UNBOUNDED
        seconds = deadline - time.monotonic()
        task = asyncio.current_task(self._loop)
        if task is None:
            raise RuntimeError("a deadline needs a running task")
        return Bound(self, task, math.ceil((self._loop.time() + seconds) / GRANULARITY))

    def _enter(self, task: asyncio.Task[object], window: int) -> None:
        tasks = self._windows.get(window)
        if tasks is None:
            tasks = self._windows[window] = {}
            self._loop.call_at(window * GRANULARITY, self._expire, window)
        tasks[task] = None

    def _leave(self, task: asyncio.Task[object], window: int) -> bool:
        """Take the task out of its window; True when the window's timer has cancelled it."""
        tasks = self._windows.get(window)
        if tasks is not None:
            tasks.pop(task, None)
        if task in self._expired:
            self._expired.discard(task)
            return True
        return False

    def _expire(self, window: int) -> None:
        for task in self._windows.pop(window, {}):
            if not task.done():
                self._expired.add(task)
                task.cancel()


class Bound:
    """One attempt's deadline: `with deadlines.bound(seconds):` around what it awaits."""

    __slots__ = ("_cancelling", "_deadlines", "_task", "_window")

    def __init__(self, deadlines: Deadlines, task: asyncio.Task[object], window: int) -> None:
        self._deadlines = deadlines
        self._task = task
        self._window = window
        self._cancelling = 0

    def __enter__(self) -> Bound:
        self._cancelling = self._task.cancelling()
        self._deadlines._enter(self._task, self._window)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # When this bound's timer cancelled the task, the cancellation is ours to turn into
        # TimeoutError, unless someone else cancelled the task as well (as asyncio.timeout does).
        if (
            self._deadlines._leave(self._task, self._window)
            and self._task.uncancel() <= self._cancelling
            and exc_type is asyncio.CancelledError
        ):
            raise TimeoutError from exc


UNBOUNDED: contextlib.nullcontext[None] = contextlib.nullcontext()  # `bound(None)`: no limit
