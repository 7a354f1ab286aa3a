"""`sync_httpx`'s async twin; the client's loop timers bound the attempt (`async_deadline`). An
aiohttp error under an httpx transport on aiohttp is classed as the default sender classes it.
"""

from __future__ import annotations

import aiohttp
import httpx

from . import Attempt, Reply, SenderClosed, SendFailure, Unreadable, async_default
from .body import CHUNK, BodyReader, BodyTooLarge, BodyUndecodable
from .sync_httpx import build, reader, reply
from .sync_httpx import failure as httpx_failure


def failure(exc: Exception) -> SendFailure:
    cause = exc if isinstance(exc, aiohttp.ClientError) else exc.__cause__
    if isinstance(cause, aiohttp.ClientError):
        return async_default.failure(cause)
    assert isinstance(exc, httpx.TransportError)
    return httpx_failure(exc)


class AsyncHttpxSender:
    """Sends through the user's `httpx.AsyncClient` (never closed here) or `httpx.AsyncBaseTransport`."""

    def __init__(self, client: httpx.AsyncClient | None, transport: httpx.AsyncBaseTransport | None) -> None:
        self._client = client
        self._transport = transport
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._client.is_closed if self._client is not None else self._closed

    async def send(self, attempt: Attempt) -> Reply:
        timeout = attempt.limits.phases.as_dict()
        client, transport = self._client, self._transport
        try:
            request = build(client, attempt, timeout)
            if client is not None:
                response = await client.send(request, stream=True, follow_redirects=False)
            else:
                assert transport is not None
                response = await transport.handle_async_request(request)
                response.request = request
        except RuntimeError:
            if self.closed:
                raise SenderClosed from None
            raise
        except (httpx.TransportError, aiohttp.ClientError) as exc:
            raise failure(exc) from exc
        try:
            body = reader(response, attempt)
            if isinstance(body, BodyReader):
                async for chunk in response.aiter_raw(CHUNK):
                    body.feed(chunk)
                body = body.finish()
        except (httpx.TransportError, aiohttp.ClientError) as exc:
            raise failure(exc) from exc
        except (BodyTooLarge, BodyUndecodable) as exc:
            raise Unreadable(reply(response, b"", attempt), exc) from None
        finally:
            await response.aclose()
        return reply(response, body, attempt)

    async def aclose(self) -> None:
        self._closed = True
        if self._transport is not None:
            await self._transport.aclose()
