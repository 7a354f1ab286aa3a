"""`GeweClient`'s default sender: one `httpcore.Request` per attempt, straight to httpcore's pool.

Going through `httpx.Client` (URL merging, a `Request`, cookies, a `Response` around the stream)
costs more than the socket work on loopback, so the default client keeps its own httpcore pool,
built with httpcore's public arguments on first use (so `GeweClient()` loads neither httpcore nor a
TLS context): `network_backend=` bounds every socket operation by the attempt's deadline
(`sync_deadline`), the proxy comes from the environment (`net.proxy_for`), certificates from the
process's one TLS context (`net`). Cookies are not kept: GeWe's API authenticates by token.

httpcore's failures become `SendFailure`s here, classed by whether the request may have left.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from . import Attempt, Reply, SenderClosed, SendFailure, Unreadable, header, net, raw_headers
from .body import BodyReader, BodyTooLarge, BodyUndecodable

if TYPE_CHECKING:
    import httpcore
    import httpx

CACHE_SIZE = 256  # URLs and header sets kept encoded (operation paths, same-origin redirects)


def failure(exc: Exception) -> SendFailure | None:
    """The outcome of an httpcore error (None: not one of httpcore's)."""
    import httpcore

    if not isinstance(exc, httpcore.ConnectError | httpcore.TimeoutException | httpcore.NetworkError) and (
        not isinstance(exc, httpcore.ProtocolError | httpcore.ProxyError | httpcore.UnsupportedProtocol)
    ):
        return None
    before = isinstance(
        exc, httpcore.ConnectError | httpcore.ConnectTimeout | httpcore.PoolTimeout | httpcore.ProxyError
    )
    timeout = isinstance(exc, httpcore.TimeoutException)
    return SendFailure(type(exc).__name__, str(exc), sent=not before, timeout=timeout)


class HttpcoreSender:
    """The default sync sender; shared by a client's `with_options` copies."""

    def __init__(self, base_url: str, max_connections: int = 100) -> None:
        self._base_url = base_url
        self._max_connections = max_connections
        self._lock = threading.Lock()
        self._pool: httpcore.ConnectionPool | None = None
        self._urls: dict[int, tuple[httpx.URL, httpcore.URL]] = {}
        self._headers: dict[int, tuple[object, list[tuple[bytes, bytes]]]] = {}
        self.closed = False

    def _open(self) -> httpcore.ConnectionPool:
        with self._lock:
            if self._pool is not None:
                return self._pool
            if self.closed:
                raise SenderClosed
            import httpcore  # here, not at `import gewe`: GeweClient() should cost next to nothing

            from .sync_deadline import DeadlineBackend

            url = _url(self._base_url)
            kwargs = {
                "ssl_context": net.context_for(self._base_url),
                "max_connections": self._max_connections,
                "max_keepalive_connections": 20,
                "keepalive_expiry": 5.0,
                "network_backend": DeadlineBackend(httpcore.SyncBackend()),
            }
            proxy = net.proxy_for(url.scheme, url.host)
            self._pool = pool = net.sync_pool(proxy, kwargs)
            return pool

    def send(self, attempt: Attempt) -> Reply:
        pool = self._pool or self._open()
        import httpcore

        from .sync_deadline import phases

        body = attempt.body
        request = httpcore.Request(
            b"POST",
            self._url(attempt.url),
            headers=[*self._encoded(attempt.headers), (b"Content-Length", b"%d" % len(body))],
            content=body,
            extensions={"timeout": phases(attempt)},
        )
        try:
            response = pool.handle_request(request)
        except Exception as exc:
            mapped = failure(exc)
            if mapped is None:
                raise
            raise mapped from exc
        try:
            reader = BodyReader(header(response.headers, b"content-encoding"), attempt.max_bytes)
            for chunk in response.stream:  # type: ignore[union-attr]
                reader.feed(chunk)
            content = reader.finish()
        except (BodyTooLarge, BodyUndecodable) as exc:
            raise Unreadable(self._reply(response, b"", attempt), exc) from None
        except Exception as exc:
            mapped = failure(exc)
            if mapped is None:
                raise
            raise mapped from exc
        finally:
            response.close()
        return self._reply(response, content, attempt)

    @staticmethod
    def _reply(response: httpcore.Response, content: bytes, attempt: Attempt) -> Reply:
        reason = response.extensions.get("reason_phrase", b"")
        return Reply(response.status, response.headers, content, attempt, reason)

    def _url(self, url: httpx.URL) -> httpcore.URL:
        # By identity: `Shared.url` hands out one httpx.URL per path (hashing one formats it).
        cached = self._urls.get(id(url))
        if cached is not None and cached[0] is url:
            return cached[1]
        import httpcore

        if len(self._urls) >= CACHE_SIZE:
            self._urls.clear()
        core = httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path)
        self._urls[id(url)] = (url, core)  # the URL kept: its id stays its own
        return core

    def _encoded(self, headers: object) -> list[tuple[bytes, bytes]]:
        """`headers` as httpx sends them: Host first (from the base URL), then in their order."""
        cached = self._headers.get(id(headers))
        if cached is not None and cached[0] is headers:
            return cached[1]
        if len(self._headers) >= CACHE_SIZE:
            self._headers.clear()
        encoded = [(b"Host", _url(self._base_url).netloc), *raw_headers(headers)]  # type: ignore[arg-type]
        self._headers[id(headers)] = (headers, encoded)  # the mapping kept: its id stays its own
        return encoded

    def close(self) -> None:
        with self._lock:
            self.closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()


def _url(base_url: str) -> httpx.URL:
    import httpx

    return httpx.URL(base_url)
