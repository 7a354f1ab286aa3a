"""A `Receiver` as an ASGI app, for Starlette / FastAPI users: `app.mount("/", receiver.asgi())`.

The receiver's workers start with the first push (mounted apps get no lifespan events); stop it in
your app's shutdown hook (`await receiver.stop()`). Behind a mount, the path compared with the
secret one is the full path (`root_path` + `path`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .receiver import Receiver

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


async def _answer(send: Send, status: int) -> None:
    headers = [(b"content-length", b"0")]
    if status == 405:
        headers.append((b"allow", b"POST"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


def _full_path(scope: Scope) -> str:
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    return path if not root or path.startswith(root) else root + path


async def _read(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None once it grows beyond `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message.get("type") == "http.disconnect":  # cut off: a partial body is no push
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _head(scope: Scope) -> tuple[str | None, int | None]:
    """The request's Content-Encoding and Content-Length (None when absent or unreadable)."""
    encoding: str | None = None
    length: int | None = None
    for name, value in scope.get("headers") or ():
        name = bytes(name).lower()
        if name == b"content-encoding":
            encoding = bytes(value).decode("latin-1")
        elif name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                length = None
    return encoding, length


def asgi_app(receiver: Receiver) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await receiver.stop()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        if not receiver.path_matches(_full_path(scope)):
            return await _answer(send, receiver._answer(404))
        client = scope.get("client")
        if not receiver.address_allowed(client[0] if client else None):
            return await _answer(send, receiver._answer(403))
        encoding, length = _head(scope)
        status = receiver.refusal(scope.get("method", ""), encoding, length)
        if status is not None:
            return await _answer(send, status)
        body = await _read(receive, receiver.max_body)
        if body is None:
            return await _answer(send, receiver._answer(413))
        await _answer(send, await receiver.receive(body))

    return app
