"""`GeweClient`'s default sender: one `httpcore.Request` per attempt, straight to httpcore's pool.

`httpx.Client` (URL merging, a `Request`, cookies, a `Response` around the stream) costs more than
the socket work, so the default client keeps its own httpcore pool, made on first use with httpcore's
public arguments: `network_backend=` bounds every socket operation by the deadline
(`sync_deadline`); the proxy and TLS context come from `net`. No cookies: GeWe authenticates by token.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

from . import Attempt, ByIdentity, Reply, SenderClosed, SendFailure, Unreadable, net, raw_headers
from .body import BodyReader, BodyTooLarge, BodyUndecodable

if TYPE_CHECKING:
    import httpcore
    import httpx


def failure(exc: Exception) -> SendFailure | None:
    """The outcome of an httpcore error (None: not one of httpcore's)."""
    import httpcore

    known = (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError, httpcore.ProxyError)
    if not isinstance(exc, (*known, httpcore.UnsupportedProtocol)):
        return None
    before = isinstance(exc, httpcore.ConnectError | httpcore.ConnectTimeout | httpcore.PoolTimeout)
    timeout = isinstance(exc, httpcore.TimeoutException)
    return SendFailure(type(exc).__name__, str(exc), sent=not before, timeout=timeout)


class HttpcoreSender:
    """The default sync sender; shared by a client's `with_options` copies."""

    def __init__(self, base_url: str, max_connections: int = 100) -> None:
        self._base_url = base_url
        self._max_connections = max_connections
        self._lock = threading.Lock()
        self._pool: httpcore.ConnectionPool | None = None
        self._urls = ByIdentity(_core_url)
        self._headers = ByIdentity(self._encode)
        self.closed = False

    def _open(self) -> httpcore.ConnectionPool:
        with self._lock:
            if self._pool is not None:
                return self._pool
            if self.closed:
                raise SenderClosed
            import httpcore  # here, not at `import gewe`: GeweClient() should cost next to nothing
            import httpx

            from .sync_deadline import DeadlineBackend

            url = httpx.URL(self._base_url)
            self._pool = pool = net.sync_pool(
                net.proxy_for(url.scheme, url.host),
                ssl_context=net.context_for(self._base_url),
                max_connections=self._max_connections,
                max_keepalive_connections=20,
                keepalive_expiry=5.0,
                network_backend=DeadlineBackend(httpcore.SyncBackend()),
            )
            return pool

    def send(self, attempt: Attempt) -> Reply:
        pool = self._pool or self._open()
        import httpcore

        from .sync_deadline import phases

        body = attempt.body
        request = httpcore.Request(
            b"POST",
            self._urls(attempt.url),
            headers=[*self._headers(attempt.headers), (b"Content-Length", b"%d" % len(body))],
            content=body,
            extensions={"timeout": phases(attempt)},
        )
        response = None
        try:
            response = pool.handle_request(request)
            encoding = next(
                (v.decode("latin-1") for k, v in response.headers if k.lower() == b"content-encoding"), None
            )
            reader = BodyReader(encoding, attempt.max_bytes)
            for chunk in response.stream:  # type: ignore[union-attr]
                reader.feed(chunk)
            content = reader.finish()
        except (BodyTooLarge, BodyUndecodable) as exc:
            assert response is not None
            raise Unreadable(_reply(response, b"", attempt), exc) from None
        except Exception as exc:
            mapped = failure(exc)
            if mapped is None:
                if self.closed:  # closed under the call
                    raise SenderClosed from None
                raise
            raise mapped from exc
        finally:
            if response is not None:
                response.close()
        return _reply(response, content, attempt)

    def _encode(self, headers: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
        """`headers` as httpx sends them: Host first (from the base URL), then in their order."""
        import httpx

        return [(b"Host", httpx.URL(self._base_url).netloc), *raw_headers(headers)]

    def close(self) -> None:
        with self._lock:
            self.closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()


def _core_url(url: httpx.URL) -> httpcore.URL:
    import httpcore

    return httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path)


def _reply(response: httpcore.Response, content: bytes, attempt: Attempt) -> Reply:
    return Reply(
        response.status, response.headers, content, attempt, response.extensions.get("reason_phrase", b"")
    )
