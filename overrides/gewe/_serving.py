"""What the SDK's own servers share (the receiver, `ReceiverMediaHost.start`): binding a socket,
with the one error a user gets when it cannot be bound."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Protocol

from .errors import GeweConfigError


class _Runner(Protocol):
    async def cleanup(self) -> None: ...


@contextlib.asynccontextmanager
async def binding(runner: _Runner, host: str, port: int) -> AsyncIterator[None]:
    """Run the block that binds `runner`'s socket on `host:port`; an OSError there (the port in
    use, an address not on this machine, no permission) cleans the runner up and is a
    GeweConfigError saying where and why."""
    try:
        yield
    except OSError as exc:
        await runner.cleanup()
        why = exc.strerror or exc
        raise GeweConfigError(f"cannot listen on {host}:{port}: {why}", setting="port") from None
