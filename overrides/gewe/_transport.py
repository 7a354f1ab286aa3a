"""The async client's default transport: httpx's API on aiohttp's connection pool.

httpx's own async transport (httpcore) rescans every queued request against every connection each
time one frees up, so a burst of 1,000 calls on one client takes seconds warm and tens of seconds
from a cold pool, and its last calls run into `PoolTimeout`. `AiohttpTransport` here keeps httpx's
`Request`/`Response` (so the client, its tests and users' transports all speak httpx) and hands the
sockets to aiohttp's pool, which is what async Python's fast clients run on.

Why not httpx-aiohttp's `AiohttpTransport` (users may still pass it as `transport=`): in 0.2.0 it
sends header names lower-cased, and it maps every `aiohttp.ClientConnectionError`, including a
connection the server reset while answering, to `httpx.ConnectTimeout`, which means "never sent" to
the retry policy, so a message could be sent twice; a reply aiohttp cannot parse escapes unmapped.
This transport classes aiohttp's failures by whether the request may have left (`_kind`), and
`as_transport_error` applies the same classes to errors from httpx-aiohttp's transport.

`exchange` is `AsyncGeweClient`'s default path on the same session: one POST with the call's
prebuilt URL, headers and body, its reply read whole (decoded, bounded) into a `gewe._reply.Reply`,
with no httpx object made. The session keeps no cookies (GeWe authenticates by token).

`exchange` sends through aiohttp's own request, connector and response classes (`_post`), doing
what `ClientSession.request` does for such a request and skipping what it never needs: per-request
URL, header, cookie, auth, netrc and proxy resolution, traces, middlewares and redirects (the
session resolves all of them again on every call; measured on loopback that was ~40 µs, about 30 %
of a call). Phase timers, connection pooling, error classes and clean-up are aiohttp's, as
`ClientSession._request` uses them. `DIRECT` says whether the installed aiohttp is a release this
was tested with that has the interfaces it needs (checked once); if not, `exchange` goes through
`session.request`.

`handle_async_request` returns each reply as a stream of its raw (still compressed) bytes, so the
client reads it through `gewe._body` with a size limit; a failure mid-body is mapped as it is raised, and the
connection goes back to the pool (or is dropped, if the body was not read to its end) when the
stream is closed. Once `aclose()` has run it opens nothing again.

Imported by `AsyncGeweClient` only, so that `import gewe` does not load aiohttp.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import urllib.request
from collections.abc import AsyncIterator, Callable, Mapping

import aiohttp
import httpx
import yarl
from multidict import CIMultiDict

from . import _net
from ._body import BodyReader, BodyTooLarge, BodyUndecodable
from ._reply import Reply, Unreadable, raw_headers

CHUNK = 64 * 1024
TIMEOUT_CACHE_SIZE = 64  # distinct timeouts kept; a bot passing "time left" must not grow it
TARGET_CACHE_SIZE = 256  # URLs kept parsed for aiohttp (operation paths, and same-origin redirects)
CEIL_THRESHOLD = 5.0  # aiohttp's default: phase timeouts this long or longer end on a whole second
# What a send may raise: httpx's errors, and aiohttp's where httpx-aiohttp lets them through.
SEND_ERRORS: tuple[type[Exception], ...] = (httpx.TransportError, aiohttp.ClientError)


# The aiohttp releases `_post` has been tested with (the floor in pyproject.toml, and the pin in
# requirements/dev.txt): a newer one is sent through `ClientSession.request` until it is tested too.
DIRECT_TESTED = ((3, 10), (3, 14))


def _direct_supported(version: str = aiohttp.__version__) -> bool:
    """Whether `_post` may be used with this aiohttp: a release it has been tested with
    (`DIRECT_TESTED`) that has the request, connector and protocol interfaces it uses; any doubt
    means `exchange` goes through `session.request`."""
    try:
        release = tuple(int(part) for part in version.split(".")[:2])
        if not DIRECT_TESTED[0] <= release <= DIRECT_TESTED[1]:
            return False
        from aiohttp.client_proto import ResponseHandler

        wanted: dict[Callable[..., object], set[str]] = {
            aiohttp.ClientRequest.__init__: {"headers", "data", "loop", "session", "proxy", "proxy_headers"},
            aiohttp.BaseConnector.connect: {"req", "traces", "timeout"},
            ResponseHandler.set_response_params: {
                "read_until_eof",
                "auto_decompress",
                "read_timeout",
                "timeout_ceil_threshold",
            },
            aiohttp.ClientRequest.send: {"conn"},
            aiohttp.ClientResponse.start: {"connection"},
        }
        return all(names <= inspect.signature(f).parameters.keys() for f, names in wanted.items())
    except (ImportError, AttributeError, TypeError, ValueError):
        return False


DIRECT = _direct_supported()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx async transport on one `aiohttp.ClientSession` (created on first use, in the loop).

    `max_connections` connections at most; idle ones are closed after `keepalive_expiry` seconds.
    Certificates are checked against certifi's, and proxies come from the environment (HTTP_PROXY,
    HTTPS_PROXY, ALL_PROXY, NO_PROXY) as read when the transport is made, as httpx's default
    transport does. (aiohttp's own `trust_env` looks them up, and netrc, in a thread on every
    request: that doubled the time per call.)
    """

    def __init__(self, max_connections: int = 100, keepalive_expiry: float = 5.0) -> None:
        self._limit = max_connections
        self._keepalive = keepalive_expiry
        self._session: aiohttp.ClientSession | None = None
        # (phases, deadline) -> aiohttp's timeouts, for the last call's; phases None matches no call
        self._last_timeout: tuple[httpx.Timeout | None, float | None, aiohttp.ClientTimeout] = (
            None,
            None,
            aiohttp.ClientTimeout(),
        )
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}  # by phases
        self._closed = False
        self._targets: dict[int, tuple[httpx.URL, yarl.URL]] = {}
        self._headers: dict[int, tuple[Mapping[str, str], CIMultiDict[str]]] = {}
        self._env_proxies = {k: v for k, v in urllib.request.getproxies().items() if "://" in v}
        self._proxies: dict[tuple[str, str], yarl.URL | None] = {}

    def _proxy(self, url: httpx.URL) -> yarl.URL | None:
        """The proxy for this URL's scheme and host, from the environment (None: go direct)."""
        if not self._env_proxies:
            return None
        key = (url.scheme, url.host)
        if key not in self._proxies:
            proxy = self._env_proxies.get(url.scheme) or self._env_proxies.get("all")
            if proxy is None or urllib.request.proxy_bypass(url.host):
                self._proxies[key] = None
            else:
                try:  # parsed once, as aiohttp takes it; a bad one fails as it fails in aiohttp
                    self._proxies[key] = yarl.URL(proxy)
                except ValueError as exc:
                    raise aiohttp.InvalidURL(proxy) from exc
        return self._proxies[key]

    def _open(self, url: httpx.URL) -> aiohttp.ClientSession:
        if self._closed:
            raise httpx.ConnectError("the transport is closed")
        # The process's one verified TLS context when this client's URL or a proxy is https://
        context = _net.context_for(f"{url.scheme}://")
        connector = aiohttp.TCPConnector(
            limit=self._limit,
            keepalive_timeout=self._keepalive,
            ssl=context,
            timeout_ceil_threshold=CEIL_THRESHOLD,
        )
        # No cookie jar: GeWe authenticates by token, and filtering cookies costs every request.
        jar = aiohttp.DummyCookieJar()
        self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False, cookie_jar=jar)
        return self._session

    def _timeout(self, request: httpx.Request) -> aiohttp.ClientTimeout:
        t = request.extensions.get("timeout") or {}
        return self._timeout_of((t.get("connect"), t.get("read"), t.get("pool")))

    def _timeout_of(self, key: Phases) -> aiohttp.ClientTimeout:
        timeout = self._timeouts.get(key)
        if timeout is None:
            # aiohttp's `connect` covers getting a pooled connection and opening it; `sock_read`
            # is the longest wait for the next bytes of the reply, as httpx's read timeout. No
            # `total`: `AsyncGeweClient` bounds each whole attempt itself (`gewe._timers`).
            timeout = aiohttp.ClientTimeout(
                sock_connect=key[0], sock_read=key[1], connect=key[2], total=None, ceil_threshold=math.inf
            )
            if len(self._timeouts) >= TIMEOUT_CACHE_SIZE:  # "time left" timeouts never repeat
                self._timeouts.clear()
            self._timeouts[key] = timeout
        return timeout

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session or self._open(request.url)
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        try:
            reply = await session.request(
                request.method,
                str(request.url),
                headers=headers,
                data=await request.aread() or None,
                allow_redirects=False,
                compress=False,
                timeout=self._timeout(request),
                proxy=self._proxy(request.url),
            )
        except aiohttp.ClientError as exc:
            raise as_transport_error(exc) from exc
        reason = reply.reason or ""
        return httpx.Response(
            reply.status,
            headers=reply.raw_headers,
            stream=_ReplyStream(reply),
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason.encode("latin-1", "replace")},
        )

    async def exchange(
        self,
        url: httpx.URL,
        headers: Mapping[str, str],
        content: bytes,
        phases: httpx.Timeout,
        deadline: float | None,
        limit: int,
    ) -> Reply:
        """`AsyncGeweClient`'s default path: one POST straight to aiohttp, no httpx objects.

        The reply is read whole, decoded and bounded by `limit` as `gewe._body` reads the httpx
        path's (raises `Unreadable` for a reply too large or undecodable); failures are mapped to
        httpx's errors as `handle_async_request` maps them. `deadline` is the whole attempt's
        limit, which the caller enforces (`gewe._timers`): a phase limit as long as that can never
        end the attempt first and is left out (each one costs aiohttp a timer, re-armed on every
        read).
        """
        session = self._session or self._open(url)
        cached = self._targets.get(id(url))  # by identity: `Settings.url` hands out one URL per path
        if cached is not None and cached[0] is url:
            target = cached[1]
        else:
            if len(self._targets) >= TARGET_CACHE_SIZE:
                self._targets.clear()
            target = yarl.URL(str(url), encoded=True)
            self._targets[id(url)] = (url, target)  # the URL kept: its id stays its own
        prepared = self._headers.get(id(headers))  # the client's headers, as aiohttp's own mapping
        if prepared is None or prepared[0] is not headers:
            if len(self._headers) >= TARGET_CACHE_SIZE:
                self._headers.clear()
            names = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw_headers(headers)]
            prepared = self._headers[id(headers)] = (headers, CIMultiDict(names))  # names as they are
        last = self._last_timeout  # nearly every call has its client's timeouts
        if last[0] is phases and last[1] == deadline:
            timeout = last[2]
        else:
            timeout = self._timeout_of(_shorter(phases, deadline))
            self._last_timeout = (phases, deadline, timeout)
        try:
            proxy = self._proxy(url)
            if DIRECT:
                reply = await self._post(session, target, prepared[1], content, timeout, proxy)
            else:
                reply = await session.request(
                    "POST",
                    target,
                    headers=prepared[1],
                    data=aiohttp.BytesPayload(content),  # as `data=content` makes it, less the lookup
                    allow_redirects=False,
                    compress=False,
                    timeout=timeout,
                    proxy=proxy,
                )
        except aiohttp.ClientError as exc:
            raise as_transport_error(exc) from exc
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
            raise as_transport_error(exc) from exc
        except (BodyTooLarge, BodyUndecodable) as exc:
            raise Unreadable(_reply(reply, b"", url, headers, content), exc) from None
        finally:
            reply.release()  # back to the pool when read to its end, else the connection is closed
        return _reply(reply, body, url, headers, content)

    async def _post(
        self,
        session: aiohttp.ClientSession,
        target: yarl.URL,
        headers: CIMultiDict[str],
        content: bytes,
        timeout: aiohttp.ClientTimeout,
        proxy: yarl.URL | None,
    ) -> aiohttp.ClientResponse:
        """`session.request("POST", target, ...)` as `exchange` calls it, sent the way
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
        self._closed = True
        if self._session is not None:
            await self._session.close()
            self._session = None


class _ReplyStream(httpx.AsyncByteStream):
    """An aiohttp reply's raw body, its failures mapped to httpx's; closing it frees the connection."""

    def __init__(self, reply: aiohttp.ClientResponse) -> None:
        self._reply = reply

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._reply.content.iter_chunked(CHUNK):
                yield chunk
        except aiohttp.ClientError as exc:
            raise as_transport_error(exc) from exc

    async def aclose(self) -> None:
        self._reply.release()  # back to the pool when read to its end, else the connection is closed


Phases = tuple[float | None, float | None, float | None]  # connect, read, pool (seconds; None: no limit)


def _shorter(phases: httpx.Timeout, deadline: float | None) -> Phases:
    """(connect, read, pool) limits that can end an attempt before its `deadline` (the caller's)."""
    limits = (phases.connect, phases.read, phases.pool)
    if deadline is None:
        return limits
    connect, read, pool = (None if t is None or t >= deadline else t for t in limits)
    return connect, read, pool


def _reply(
    reply: aiohttp.ClientResponse, body: bytes, url: httpx.URL, headers: Mapping[str, str], content: bytes
) -> Reply:
    reason = (reply.reason or "").encode("latin-1", "replace")
    return Reply(reply.status, reply.raw_headers, body, (url, headers, content), reason)


def default_transport(max_connections: int) -> AiohttpTransport:
    """The transport `AsyncGeweClient` uses unless given one."""
    return AiohttpTransport(max_connections=max_connections)


def _kind(error: aiohttp.ClientError) -> type[httpx.TransportError] | None:
    """httpx's error class for an aiohttp failure; the first two mean the request never left."""
    if isinstance(error, aiohttp.ConnectionTimeoutError):  # no connection in time (pool or connect)
        return httpx.ConnectTimeout
    if isinstance(error, aiohttp.ClientConnectorError):  # refused, DNS, TLS or proxy set-up
        return httpx.ConnectError
    if isinstance(error, aiohttp.ServerTimeoutError):  # sent, no reply in time
        return httpx.ReadTimeout
    if isinstance(error, aiohttp.ClientConnectionResetError):
        return httpx.WriteError
    if isinstance(error, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError):
        return httpx.ReadError  # reset, disconnected or cut short: the server may have acted on it
    if isinstance(error, aiohttp.ClientResponseError):
        return httpx.RemoteProtocolError
    return None


def as_transport_error(exc: Exception) -> httpx.TransportError:
    """`exc` (one of SEND_ERRORS) as the httpx error that says whether the request may have been sent."""
    error = exc if isinstance(exc, aiohttp.ClientError) else exc.__cause__
    kind = _kind(error) if isinstance(error, aiohttp.ClientError) else None
    if kind is None:
        if isinstance(exc, httpx.TransportError):
            return exc
        kind = httpx.ReadError  # an aiohttp failure we do not know: assume the request may have left
    if type(exc) is kind:
        return exc
    mapped = kind(str(error) or type(error).__name__)
    mapped.__cause__ = error
    return mapped
