"""An asyncio event loop on a daemon thread of its own, for sync code that needs a server running
(`ReceiverMediaHost.serving()`, `with FakeGewe()`)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class NotInTime(Exception):
    """`LoopThread.run` gave up waiting (the coroutine's own TimeoutError passes through as it is)."""


class LoopThread:
    """A new event loop, run forever on a daemon thread named `name` until `close()`."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:  # what is still pending is cancelled, so no task is destroyed while pending
            pending = asyncio.all_tasks(self.loop)
            for task in pending:
                task.cancel()
            with contextlib.suppress(Exception):
                self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None) -> T:
        """Run `coro` on the loop and return its result; `NotInTime` (the coroutine cancelled) when
        it has not finished within `timeout` s."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            if future.done():  # it finished meanwhile, or raised a TimeoutError of its own
                return future.result()
            future.cancel()
            raise NotInTime(f"not done within {timeout} s") from None

    def close(self, timeout: float | None) -> bool:
        """Stop the loop and wait up to `timeout` s for the thread; whether it ended (a thread that
        did not is a daemon: it never keeps the process alive)."""
        with contextlib.suppress(RuntimeError):  # the loop already closed
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)
        return not self._thread.is_alive()
