"""`run_bot`: feed pushes to a bot's handler (or `Receiver`) through a `FakeGewe`, and see what it called.

    run = await run_bot(fake, handle, pushes.text("hello"), pushes.offline())
    run.calls("message.postText")   # what the handler sent, in order
    run.statuses                    # what the receiver answered each push

The pushes go over HTTP to a real `gewe.events.Receiver` (a handler is wrapped in one on a secret
path), exactly as GeWe would deliver them; the run ends when the receiver has handled every one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import GeweConfigError
from .fake import Call, FakeGewe

if TYPE_CHECKING:
    from ..events.models import Event
    from ..events.receiver import Receiver

Handler = Callable[["Event"], Awaitable[None] | None]


@dataclass
class BotRun:
    """What a bot did during `run_bot`: the calls it made, the receiver's answer to each push."""

    all_calls: list[Call] = field(default_factory=list)
    statuses: list[int | None] = field(default_factory=list)
    left: int = 0  # pushes the receiver still held when the run ended (0 unless it timed out)

    def calls(self, op: str | None = None) -> list[Call]:
        """The calls to `op` made during the run (every call when None), in order."""
        return [c for c in self.all_calls if op is None or c.op == op]


async def run_bot(
    fake: FakeGewe,
    bot: Handler | Receiver,
    *pushes: Mapping[str, Any] | str | bytes,
    duplicate: bool = False,
    timeout: float = 10.0,
) -> BotRun:
    """Deliver `pushes` (in order) to `bot` through `fake` and return what it called meanwhile.

    `bot` is a handler (sync or async, taking one event: it is served by a `Receiver` made for the
    run) or a `Receiver` (started if it is not running). The run waits until the receiver has
    handled every push (it stops the receiver it started, which drains it; a receiver that was
    running is left running, and the run waits `timeout` at most for its calls to settle).
    `duplicate=True` delivers each push twice, as GeWe sometimes does.
    """
    from ..events.receiver import Receiver, secret_path

    receiver = bot if isinstance(bot, Receiver) else None
    if receiver is None:
        if not callable(bot):
            raise GeweConfigError("run_bot needs a handler (a callable taking one event) or a Receiver")
        receiver = Receiver(bot, path=secret_path())
    started_here = receiver.url is None
    url = receiver.url or await receiver.start()
    before = len(fake.calls())
    run = BotRun()
    try:
        for body in pushes:
            run.statuses.append(await fake.push(body, url=url, duplicate=duplicate))
    finally:
        if started_here:
            run.left = await receiver.stop(timeout=timeout)
    if not started_here:
        await _settle(fake, timeout)
    run.all_calls = fake.calls()[before:]
    return run


async def _settle(fake: FakeGewe, timeout: float, quiet: float = 0.2) -> None:
    """Wait until no call has arrived for `quiet` seconds (at most `timeout`)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    seen = len(fake.calls())
    still_since = loop.time()
    while loop.time() < end:
        await asyncio.sleep(0.02)
        now = len(fake.calls())
        if now != seen:
            seen, still_since = now, loop.time()
        elif loop.time() - still_since >= quiet:
            return
