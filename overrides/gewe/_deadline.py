"""The sync client's whole-attempt deadline, down to each socket read.

httpx's timeouts bound each phase (connect, each write, each read), so a server that sends a byte
every 0.3 s — in the headers or in the body — never trips a 2 s read timeout. `GeweClient` sets
`DEADLINE` (a `time.monotonic()` value) around each attempt, and `install(client)` wraps the
network backend of the client's httpx connection pools so that every connect, read and write
waits at most until then (and raises httpx's own timeout error past it).

httpx has no public hook for this: `install` reaches its pools through `httpx.Client`'s transports
(`_transport`, `_mounts`) and `HTTPTransport._pool._network_backend`, and leaves any transport it
does not recognise alone; for those the deadline is still checked after each chunk of the body
(`gewe._body.read_sync`). tests/faults/test_hostile.py fails if an httpx upgrade moves them.
"""

from __future__ import annotations

import time
import typing
from contextvars import ContextVar

import httpcore
import httpx

DEADLINE: ContextVar[float | None] = ContextVar("gewe_deadline", default=None)


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    deadline = DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the attempt ran past its timeout")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: typing.Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(self._stream.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(self._backend.connect_tcp(host, port, bounded, local_address, socket_options))

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _Stream(self._backend.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def install(client: httpx.Client) -> int:
    """Bound the connection pools of `client`'s httpx transports by `DEADLINE`; how many it did."""
    transports = [getattr(client, "_transport", None), *getattr(client, "_mounts", {}).values()]
    return sum(install_transport(transport) for transport in transports)


def install_transport(transport: object) -> bool:
    """Bound the connection pool of an `httpx.HTTPTransport` by `DEADLINE`; False for any other."""
    pool = getattr(transport, "_pool", None) if isinstance(transport, httpx.HTTPTransport) else None
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, httpcore.NetworkBackend) and not isinstance(backend, _Backend):
        pool._network_backend = _Backend(backend)  # type: ignore[union-attr]
        return True
    return isinstance(backend, _Backend)
