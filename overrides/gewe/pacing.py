"""Sending at a human pace: `send_interval=` spaces the calls that are not read-only, per appId.

WeChat's risk control watches how fast an account acts; peers space a bot's sends about a second
apart. With `GeweClient(send_interval=1.0)` (or `AsyncGeweClient`, or `with_options`), calls that
are not read-only (`gewe.retry.is_read_only`) for the same `appId` *start* at least that many
seconds apart: a call waits its turn, it never fails for it. Reads are never paced.

The schedule is one `Pacer` per client, shared by its `with_options` copies; each call books its
start time under a lock (so threads, and tasks on one loop, each get their own slot in the order
they asked) and then waits outside it.
"""

from __future__ import annotations

import threading
import time


class Pacer:
    """The next free start time per appId."""

    __slots__ = ("_last", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}

    def reserve(self, key: str, interval: float) -> float:
        """Book the next start for `key`, at least `interval` seconds after the last one booked;
        returns how long to wait (0.0 when it may start now)."""
        now = time.monotonic()
        with self._lock:
            start = max(now, self._last.get(key, -interval) + interval)
            self._last[key] = start
            if len(self._last) > 4096:  # appIds seen long ago no longer hold anyone back
                self._last = {k: t for k, t in self._last.items() if t > now - 3600}
        return start - now
