"""The sync sender on a user's `httpx.Client` (through its `send`, so its hooks and mounts apply;
its redirects are never followed) or `httpx.BaseTransport`. The deadline reaches the user's pools
through `sync_deadline.bound`, and is checked between chunks for a transport it does not know.
"""

from __future__ import annotations

import time

import httpx

from ..retry import NOT_SENT
from . import Attempt, Reply, SenderClosed, SendFailure, Unreadable, timed_out
from .body import CHUNK, PREFIX_BYTES, BodyReader, BodyTooLarge, BodyUndecodable
from .sync_deadline import bound, phases


def failure(exc: httpx.TransportError) -> SendFailure:
    """The outcome of an httpx error."""
    sent = not isinstance(exc, NOT_SENT)  # raised before a byte left
    detail = str(exc) or type(exc).__name__
    return SendFailure(type(exc).__name__, detail, sent=sent, timeout=isinstance(exc, httpx.TimeoutException))


def reader(response: httpx.Response, attempt: Attempt) -> BodyReader | bytes:
    """A `BodyReader` for a streamed reply, or the body a transport has read already (e.g.
    `httpx.MockTransport`'s, decoded by httpx), within the attempt's size limit."""
    try:
        content = response.content
    except httpx.ResponseNotRead:
        return BodyReader(response.headers.get("content-encoding"), attempt.max_bytes)
    if len(content) > attempt.max_bytes:
        raise BodyTooLarge(attempt.max_bytes, content[:PREFIX_BYTES])
    return content


def build(
    client: httpx.Client | httpx.AsyncClient | None, attempt: Attempt, timeout: object
) -> httpx.Request:
    """The request, through the user's client's `build_request` (its headers and cookies apply)."""
    if client is None:
        return httpx.Request(
            "POST",
            attempt.url,
            headers=attempt.headers,
            content=attempt.body,
            extensions={"timeout": timeout},
        )
    request = client.build_request("POST", attempt.url, headers=attempt.headers, content=attempt.body)
    request.extensions["timeout"] = timeout
    return request


def reply(response: httpx.Response, content: bytes, attempt: Attempt) -> Reply:
    reason = response.extensions.get("reason_phrase", b"")
    return Reply(response.status_code, response.headers.raw, content, attempt, reason)


class HttpxSender:
    """Sends through the user's `httpx.Client` (never closed here) or `httpx.BaseTransport`."""

    def __init__(self, client: httpx.Client | None, transport: httpx.BaseTransport | None) -> None:
        self._client = client
        self._transport = transport
        self._closed = False
        users = client if client is not None else transport
        assert users is not None
        bound(users)

    @property
    def closed(self) -> bool:
        return self._client.is_closed if self._client is not None else self._closed

    def send(self, attempt: Attempt) -> Reply:
        timeout = phases(attempt)
        client, transport = self._client, self._transport
        try:
            request = build(client, attempt, timeout)
            if client is not None:  # the user's client: its own headers, cookies and hooks apply too
                response = client.send(request, stream=True, follow_redirects=False)
            else:
                assert transport is not None
                response = transport.handle_request(request)
                response.request = request
        except RuntimeError:
            if self.closed:  # httpx refuses a closed client or pool so
                raise SenderClosed from None
            raise
        except httpx.TransportError as exc:
            raise failure(exc) from exc
        try:
            body = reader(response, attempt)
            if isinstance(body, BodyReader):
                for chunk in response.iter_raw(CHUNK):
                    body.feed(chunk)
                    if attempt.deadline is not None and time.monotonic() > attempt.deadline:
                        raise timed_out(attempt)
                body = body.finish()
        except httpx.TransportError as exc:
            raise failure(exc) from exc
        except (BodyTooLarge, BodyUndecodable) as exc:
            raise Unreadable(reply(response, b"", attempt), exc) from None
        finally:
            response.close()
        return reply(response, body, attempt)

    def close(self) -> None:
        self._closed = True
        if self._transport is not None:
            self._transport.close()
