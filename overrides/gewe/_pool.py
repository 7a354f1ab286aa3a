"""`GeweClient`'s default connection pool, and its fast path: one prebuilt request to httpcore.

Building each call through `httpx.Client` (URL merging, a `Request`, cookies, a `Response` around
the stream, then `gewe._body`'s decoded copy) costs more than the socket work on loopback. The
default client instead keeps one `httpx.HTTPTransport` (made on first use, so `GeweClient()` loads
neither httpcore nor a TLS context) and hands its httpcore pool one `httpcore.Request` per attempt:
the URL, headers and body prebuilt by `gewe.call.Call`, the reply read through `gewe._body`'s
`BodyReader` (decoded, bounded) within the attempt's deadline (`gewe._deadline`, which bounds the
pool's every socket operation too). httpcore's errors become httpx's, as httpx maps them.

httpx's own objects are made only when someone asks for them: `with_raw_response`, DEBUG logging,
`client.generated`, or a reply that is not 2xx (see `gewe._reply`); those go through the same
transport, so one pool serves all. Proxies come from the environment (`gewe._net.proxy_for`),
certificates from the process's one TLS context (`gewe._net`). Cookies are not kept: GeWe's API
authenticates by token (pass `http_client=` for a client of your own with cookies, hooks, ...).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, NoReturn

import httpx

from . import _net
from ._body import BodyReader, BodyTooLarge, BodyUndecodable, DeadlineExceeded
from ._reply import Reply, Unreadable, raw_headers
from .errors import GeweConfigError, GeweDependencyError

if TYPE_CHECKING:
    import httpcore

_NO_DEADLINE: ContextVar[float | None] = ContextVar("gewe_no_deadline", default=None)
CACHE_SIZE = 256  # URLs and header sets kept encoded (operation paths, same-origin redirects)


class DefaultPool:
    """The default client's pool; shared by `with_options` copies, made on first use."""

    def __init__(self, base_url: str) -> None:
        self._base_url = base_url
        self._lock = threading.Lock()
        self._transport: httpx.HTTPTransport | None = None
        self._pool: httpcore.ConnectionPool | None = None
        self._urls: dict[int, tuple[httpx.URL, httpcore.URL]] = {}
        self._headers: dict[int, tuple[Mapping[str, str], list[tuple[bytes, bytes]]]] = {}
        self._closed = False
        self._deadline = _NO_DEADLINE  # gewe._deadline.DEADLINE, once that is loaded

    @property
    def transport(self) -> httpx.HTTPTransport:
        """httpx's transport on this pool (made on first use)."""
        return self._transport or self._open()

    def _open(self) -> httpx.HTTPTransport:
        with self._lock:
            if self._transport is not None:
                return self._transport
            if self._closed:
                raise httpx.ConnectError("the client is closed")
            import httpcore  # here, not at `import gewe`: GeweClient() should cost next to nothing

            url = httpx.URL(self._base_url)
            proxy = _net.proxy_for(url.scheme, url.host)
            try:
                transport = httpx.HTTPTransport(verify=_net.context_for(self._base_url), proxy=proxy)
            except ImportError as exc:  # a socks5:// proxy without httpx's `socks` extra
                raise GeweDependencyError(f"the proxy from the environment needs: {exc}") from None
            except (ValueError, httpx.InvalidURL) as exc:  # e.g. an unknown proxy scheme
                message = f"the proxy from the environment cannot be used: {exc}"
                raise GeweConfigError(message, setting="proxy") from None
            from . import _deadline  # it loads httpcore

            _deadline.install_transport(transport)
            self._deadline = _deadline.DEADLINE
            pool = getattr(transport, "_pool", None)
            # httpx's private pool: if a release moves it, every call takes the httpx route instead.
            self._pool = pool if isinstance(pool, httpcore.ConnectionPool) else None
            self._transport = transport
            return transport

    def exchange(
        self,
        url: httpx.URL,
        headers: Mapping[str, str],
        content: bytes,
        phases: httpx.Timeout,
        limit: int,
        deadline: float | None,
    ) -> Reply | None:
        """One POST straight to httpcore's pool, read whole; None when there is no such pool.

        Raises httpx's transport errors, `DeadlineExceeded`, or `Unreadable` for a body too large
        or undecodable.
        """
        if self._transport is None:
            self._open()
        pool = self._pool
        if pool is None:
            return None
        import httpcore

        request = httpcore.Request(
            b"POST",
            self._url(url),
            headers=[*self._encoded(headers), (b"Content-Length", b"%d" % len(content))],
            content=content,
            extensions={"timeout": phases.as_dict()},
        )
        token = self._deadline.set(deadline)
        try:
            try:
                response = pool.handle_request(request)
            except Exception as exc:
                _raise_mapped(exc)
            try:
                reader = BodyReader(_header(response.headers, b"content-encoding"), limit)
                for chunk in response.stream:  # type: ignore[union-attr]
                    reader.feed(chunk)
                    if deadline is not None and time.monotonic() > deadline:
                        raise DeadlineExceeded
                body = reader.finish()
            except (BodyTooLarge, BodyUndecodable) as exc:
                raise Unreadable(self._reply(response, b"", url, headers, content), exc) from None
            except (DeadlineExceeded, httpx.TransportError):
                raise
            except Exception as exc:
                _raise_mapped(exc)
            finally:
                response.close()
        finally:
            self._deadline.reset(token)
        return self._reply(response, body, url, headers, content)

    @staticmethod
    def _reply(
        response: httpcore.Response, body: bytes, url: httpx.URL, headers: Mapping[str, str], content: bytes
    ) -> Reply:
        reason = response.extensions.get("reason_phrase", b"")
        return Reply(response.status, response.headers, body, (url, headers, content), reason)

    def _url(self, url: httpx.URL) -> httpcore.URL:
        # By identity: `Settings.url` hands out one httpx.URL per path (hashing one formats it).
        cached = self._urls.get(id(url))
        if cached is not None and cached[0] is url:
            return cached[1]
        import httpcore

        if len(self._urls) >= CACHE_SIZE:
            self._urls.clear()
        target = url.raw_path  # path and query, as httpx sends them
        core = httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=target)
        self._urls[id(url)] = (url, core)  # the URL kept: its id stays its own
        return core

    def _encoded(self, headers: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
        """`headers` as httpx sends them: Host first (from the base URL), then in their order."""
        cached = self._headers.get(id(headers))
        if cached is not None and cached[0] is headers:
            return cached[1]
        if len(self._headers) >= CACHE_SIZE:
            self._headers.clear()
        host = httpx.URL(self._base_url).netloc
        encoded = [(b"Host", host), *raw_headers(headers)]
        self._headers[id(headers)] = (headers, encoded)  # the mapping kept: its id stays its own
        return encoded

    def close(self) -> None:
        with self._lock:
            self._closed = True
            transport, self._transport, self._pool = self._transport, None, None
        if transport is not None:
            transport.close()


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _raise_mapped(exc: Exception) -> NoReturn:
    """Raise httpx's error for an httpcore one (as httpx's transport maps them); others as they are."""
    import httpcore

    table: dict[type[Exception], type[httpx.TransportError]] = {
        httpcore.ConnectTimeout: httpx.ConnectTimeout,
        httpcore.ReadTimeout: httpx.ReadTimeout,
        httpcore.WriteTimeout: httpx.WriteTimeout,
        httpcore.PoolTimeout: httpx.PoolTimeout,
        httpcore.TimeoutException: httpx.TimeoutException,
        httpcore.ConnectError: httpx.ConnectError,
        httpcore.ReadError: httpx.ReadError,
        httpcore.WriteError: httpx.WriteError,
        httpcore.NetworkError: httpx.NetworkError,
        httpcore.ProxyError: httpx.ProxyError,
        httpcore.UnsupportedProtocol: httpx.UnsupportedProtocol,
        httpcore.LocalProtocolError: httpx.LocalProtocolError,
        httpcore.RemoteProtocolError: httpx.RemoteProtocolError,
        httpcore.ProtocolError: httpx.ProtocolError,
    }
    for cls in type(exc).__mro__:
        kind = table.get(cls)
        if kind is not None:
            raise kind(str(exc)) from exc
    raise exc


__all__ = ["DefaultPool"]
