"""The sync senders' whole-attempt deadline, down to each socket operation.

Per-phase timeouts never trip on a server that sends a byte every 0.3 s. `phases(attempt)` makes
the request's `timeout` extension of `Until` floats, phase limits that carry the deadline instant;
httpcore hands them unchanged to its network backend on every connect, read and write, where
`DeadlineBackend` waits at most until the deadline. Our pool gets it through httpcore's public
`network_backend=`; for a user's httpx client or transport, `bound()` reaches its pools through
httpx's private attributes (ARCHITECTURE.md; tests/unit/test_internals.py).
"""

from __future__ import annotations

import time
import typing

import httpcore
import httpx

if typing.TYPE_CHECKING:
    from . import Attempt


class Until(float):
    """A phase limit in seconds that also carries the attempt's deadline (a monotonic instant)."""

    deadline: float

    def __new__(cls, seconds: float, deadline: float) -> Until:
        value = super().__new__(cls, seconds)
        value.deadline = deadline
        return value


def phases(attempt: Attempt) -> dict[str, float | None]:
    """The request's `timeout` extension: each phase's limit (else the attempt's) with the deadline."""
    limits = attempt.limits
    deadline = attempt.deadline
    total = limits.total
    if deadline is None or total is None:
        return limits.phases.as_dict()
    p = limits.phases
    connect, read, write, pool = p.connect, p.read, p.write, p.pool
    if connect == read == write == pool:  # the usual `timeout=seconds`: one value for all four
        same = Until(total if connect is None else connect, deadline)
        return {"connect": same, "read": same, "write": same, "pool": same}
    return {
        name: Until(total if value is None else value, deadline)
        for name, value in (("connect", connect), ("read", read), ("write", write), ("pool", pool))
    }


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    if not isinstance(timeout, Until):
        return timeout
    left = timeout.deadline - time.monotonic()
    if left <= 0:
        raise error("the attempt ran past its timeout")
    return min(float(timeout), left)


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


class DeadlineBackend(httpcore.NetworkBackend):
    """A network backend whose every operation ends by the deadline its `Until` timeout carries."""

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


def bound(users: httpx.Client | httpx.BaseTransport) -> int:
    """Wrap the network backend of each httpcore pool under a user's httpx client or transport
    (through the private attributes ARCHITECTURE.md lists); how many pools it bound."""
    if isinstance(users, httpx.Client):
        transports = [getattr(users, "_transport", None), *getattr(users, "_mounts", {}).values()]
    else:
        transports = [users]
    done = 0
    for transport in transports:
        pool = getattr(transport, "_pool", None) if isinstance(transport, httpx.HTTPTransport) else None
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, httpcore.NetworkBackend) and not isinstance(backend, DeadlineBackend):
            pool._network_backend = DeadlineBackend(backend)  # type: ignore[union-attr]
        done += isinstance(getattr(pool, "_network_backend", None), DeadlineBackend)
    return done
