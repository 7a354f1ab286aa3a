"""`AsyncGeweClient`'s default sender: one POST straight to aiohttp's connection pool.

httpx's async pool rescans every queued request against every connection whenever one frees up, so
a large burst slows down and runs into `PoolTimeout`; aiohttp's pool does not. `_post` sends as
`ClientSession._request` does, less the per-request URL, header, cookie, auth, proxy and redirect
resolution the SDK never needs. It uses aiohttp internals (ARCHITECTURE.md), so only on a release
it was tested with whose signatures match (`DIRECT`); else `send` goes through `session.request`.
`failure` classes aiohttp's errors by whether the request may have left.
"""

from __future__ import annotations

import asyncio
import inspect
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import aiohttp
import httpx
import yarl
from multidict import CIMultiDict

from . import Attempt, ByIdentity, Reply, SenderClosed, SendFailure, Unreadable, net, raw_headers
from .body import BodyReader, BodyTooLarge, BodyUndecodable

if TYPE_CHECKING:
    from ..settings import Timeouts

CHUNK = 64 * 1024
TIMEOUT_CACHE_SIZE = 64  # timeouts kept, by their limits' identity: per-call ones must not grow it
TARGET_CACHE_SIZE = 256  # URLs kept parsed for aiohttp (operation paths, and same-origin redirects)
CEIL_THRESHOLD = 5.0  # aiohttp's default: phase timeouts this long or longer end on a whole second
# The aiohttp releases `_post` has been tested with (the floor in pyproject.toml, and the pin in
# requirements/dev.txt): a newer one is sent through `ClientSession.request` until it is tested too.
DIRECT_TESTED = ((3, 10), (3, 14))


def _direct_supported(version: str = aiohttp.__version__) -> bool:
    """Whether `_post` may be used: a release in `DIRECT_TESTED` whose interfaces take what it passes."""
    try:
        release = tuple(int(part) for part in version.split(".")[:2])
        from aiohttp.client_proto import ResponseHandler

        wanted: dict[Callable[..., object], str] = {
            aiohttp.ClientRequest.__init__: "headers data loop session proxy proxy_headers",
            aiohttp.BaseConnector.connect: "req traces timeout",
            ResponseHandler.set_response_params: "read_until_eof auto_decompress read_timeout "
            "timeout_ceil_threshold",
            aiohttp.ClientRequest.send: "conn",
            aiohttp.ClientResponse.start: "connection",
        }
        signatures = all(
            set(names.split()) <= inspect.signature(f).parameters.keys() for f, names in wanted.items()
        )
        return DIRECT_TESTED[0] <= release <= DIRECT_TESTED[1] and signatures
    except (ImportError, AttributeError, TypeError, ValueError):
        return False


DIRECT = _direct_supported()


class AiohttpSender:
    """The default async sender, on one `aiohttp.ClientSession` made on first use, in the loop.

    `max_connections` connections at most, idle ones closed after `keepalive_expiry` seconds, no
    cookie jar (GeWe authenticates by token). Certificates are checked against certifi's; the proxy
    comes from the environment (`net`), read once: a client only ever sends to its own origin.
    """

    def __init__(self, max_connections: int = 100, keepalive_expiry: float = 5.0) -> None:
        self._limit = max_connections
        self._keepalive = keepalive_expiry
        self._session: aiohttp.ClientSession | None = None
        self._proxy: yarl.URL | None = None
        self.closed = False
        self._targets = ByIdentity(_target, TARGET_CACHE_SIZE)
        self._headers = ByIdentity(_multidict, TARGET_CACHE_SIZE)
        self._timeouts = ByIdentity(_client_timeout, TIMEOUT_CACHE_SIZE)  # a client's limits: one object

    def _open(self, url: httpx.URL) -> aiohttp.ClientSession:
        if self.closed:
            raise SenderClosed
        proxy = net.proxy_for(url.scheme, url.host)
        try:  # as aiohttp takes it; a bad one fails as it fails in aiohttp
            self._proxy = None if proxy is None else yarl.URL(proxy)
        except ValueError as exc:
            raise aiohttp.InvalidURL(str(proxy)) from exc
        connector = aiohttp.TCPConnector(
            limit=self._limit,
            keepalive_timeout=self._keepalive,
            ssl=net.context_for(f"{url.scheme}://"),  # the process's one verified context, if https
            timeout_ceil_threshold=CEIL_THRESHOLD,
        )
        jar = aiohttp.DummyCookieJar()
        self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False, cookie_jar=jar)
        return self._session

    async def send(self, attempt: Attempt) -> Reply:
        url = attempt.url
        session = self._session or self._open(url)
        target, headers = self._targets(url), self._headers(attempt.headers)
        timeout, proxy = self._timeouts(attempt.limits), self._proxy
        try:
            if DIRECT:
                reply = await self._post(session, target, headers, attempt.body, timeout, proxy)
            else:
                reply = await session.request(
                    "POST",
                    target,
                    headers=headers,
                    data=aiohttp.BytesPayload(attempt.body),  # as `data=` makes it, less the lookup
                    allow_redirects=False,
                    compress=False,
                    timeout=timeout,
                    proxy=proxy,
                )
        except aiohttp.ClientError as exc:
            raise failure(exc) from exc
        except RuntimeError:
            if self.closed:  # the session was closed under the call
                raise SenderClosed from None
            raise
        limit = attempt.max_bytes
        try:
            encoding = reply.headers.get("Content-Encoding")
            length = reply.content_length
            if encoding is None and length is not None and length <= limit:
                body = await reply.read()  # the common case: exactly `length` bytes, as they came
            else:
                reader = BodyReader(encoding, limit)
                async for chunk in reply.content.iter_chunked(CHUNK):
                    reader.feed(chunk)
                body = reader.finish()
        except aiohttp.ClientError as exc:
            raise failure(exc) from exc
        except (BodyTooLarge, BodyUndecodable) as exc:
            raise Unreadable(_reply(reply, b"", attempt), exc) from None
        finally:
            reply.release()  # back to the pool when read to its end, else the connection is closed
        return _reply(reply, body, attempt)

    async def _post(
        self,
        session: aiohttp.ClientSession,
        target: yarl.URL,
        headers: CIMultiDict[str],
        content: bytes,
        timeout: aiohttp.ClientTimeout,
        proxy: yarl.URL | None,
    ) -> aiohttp.ClientResponse:
        """`session.request("POST", target, ...)` as `send` calls it, sent the way
        `ClientSession._request` sends it: the same phase timers, the same errors
        (`ConnectionTimeoutError` for no connection in time, `ClientOSError` for a socket error),
        and the connection closed on any failure. No redirects, cookies, auth, traces, or `total`
        timer (the caller bounds the whole attempt)."""
        connector = session.connector
        assert connector is not None
        request = aiohttp.ClientRequest(
            "POST",
            target,
            headers=headers,
            data=aiohttp.BytesPayload(content),
            loop=asyncio.get_running_loop(),
            session=session,
            proxy=proxy,
            proxy_headers=None if proxy is None else CIMultiDict(),
        )
        try:
            try:
                connection = await connector.connect(request, traces=[], timeout=timeout)
            except TimeoutError as exc:
                raise aiohttp.ConnectionTimeoutError(f"Connection timeout to host {target}") from exc
            assert connection.protocol is not None
            connection.protocol.set_response_params(
                read_until_eof=True,
                auto_decompress=False,
                read_timeout=timeout.sock_read,
                timeout_ceil_threshold=CEIL_THRESHOLD,
            )
            try:
                reply = await request.send(connection)
                try:
                    await reply.start(connection)
                except BaseException:
                    reply.close()
                    raise
            except BaseException:
                connection.close()
                raise
        except OSError as exc:
            if isinstance(exc, aiohttp.ClientError) or (exc.errno is None and isinstance(exc, TimeoutError)):
                raise
            raise aiohttp.ClientOSError(*exc.args) from exc
        return reply

    async def aclose(self) -> None:
        self.closed = True
        if self._session is not None:
            await self._session.close()
            self._session = None


def _client_timeout(limits: Timeouts) -> aiohttp.ClientTimeout:
    """aiohttp's phase timers for these limits. One as long as the whole attempt's can never end it
    first (the client's loop timers bound the attempt) and is left out: aiohttp re-arms a timer per
    read for each. aiohttp's `connect` covers getting a pooled connection and opening it;
    `sock_read` is the longest wait for the reply's next bytes, as httpx's read timeout."""
    total = limits.total
    connect, read, pool = (
        None if t is None or (total is not None and t >= total) else t
        for t in (limits.phases.connect, limits.phases.read, limits.phases.pool)
    )
    return aiohttp.ClientTimeout(sock_connect=connect, sock_read=read, connect=pool, ceil_threshold=math.inf)


def _target(url: httpx.URL) -> yarl.URL:
    return yarl.URL(str(url), encoded=True)  # as httpx encoded it


def _multidict(headers: Mapping[str, str]) -> CIMultiDict[str]:
    """The client's headers as aiohttp's own mapping, names in their own case."""
    return CIMultiDict((k.decode("latin-1"), v.decode("latin-1")) for k, v in raw_headers(headers))


def _reply(reply: aiohttp.ClientResponse, body: bytes, attempt: Attempt) -> Reply:
    reason = (reply.reason or "").encode("latin-1", "replace")
    return Reply(reply.status, reply.raw_headers, body, attempt, reason)


# aiohttp's failures, most specific first: (class, may have been sent, a timeout)
_OUTCOMES: tuple[tuple[type[aiohttp.ClientError], bool, bool], ...] = (
    (aiohttp.ConnectionTimeoutError, False, True),  # no connection in time (pool or connect)
    (aiohttp.ClientConnectorError, False, False),  # refused, DNS, TLS or proxy set-up
    (aiohttp.ServerTimeoutError, True, True),  # sent, no reply in time
    (aiohttp.ClientConnectionError, True, False),  # reset, disconnected: the server may have acted
    (aiohttp.ClientPayloadError, True, False),  # the reply cut short
    (aiohttp.ClientResponseError, True, False),  # a reply aiohttp cannot parse
)


def failure(error: aiohttp.ClientError) -> SendFailure:
    """The outcome of an aiohttp failure; one it does not know may have been sent."""
    sent, timeout = next(((s, t) for cls, s, t in _OUTCOMES if isinstance(error, cls)), (True, False))
    return SendFailure(type(error).__name__, str(error) or type(error).__name__, sent=sent, timeout=timeout)
