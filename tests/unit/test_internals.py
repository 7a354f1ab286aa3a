"""Every use of a library's private internals (ARCHITECTURE.md lists them, with why), checked here on
the installed releases: each test fails naming the library, its version and what moved, so an
upgrade that breaks one says so instead of quietly losing a deadline or a fast path."""

from __future__ import annotations

import time
from pathlib import Path

import aiohttp
import httpcore
import httpx
import pytest

from gewe.settings import Timeouts
from gewe.transport import Attempt, async_default, sync_deadline

# The releases these were last checked on (requirements/dev.txt); the floors run them too
# (tests/packaging/matrix.py).
CHECKED_ON = {"httpx": "0.28.1", "httpcore": "1.0.9", "aiohttp": "3.14.5"}


def _moved(library: str, version: str, what: str, where: str) -> str:
    return (
        f"{library} {version} (checked on {CHECKED_ON[library]}): {what} moved or changed; "
        f"update {where} and ARCHITECTURE.md"
    )


def test_a_users_httpx_client_and_transport_are_bound_through_httpx_private_attributes() -> None:
    """sync_deadline.bound: `Client._transport`, `Client._mounts`, `HTTPTransport._pool`,
    `ConnectionPool._network_backend` (no public way to set a user's pool's network backend)."""
    where = "gewe/transport/sync_deadline.bound"
    what = "httpx.Client._transport/_mounts, HTTPTransport._pool or httpcore ConnectionPool._network_backend"
    with httpx.Client(mounts={"http://other.test": httpx.HTTPTransport()}) as client:
        assert sync_deadline.bound(client) == 2, _moved("httpx", httpx.__version__, what, where)
    transport = httpx.HTTPTransport()
    assert sync_deadline.bound(transport) == 1, _moved("httpx", httpx.__version__, what, where)
    assert sync_deadline.bound(httpx.MockTransport(lambda r: httpx.Response(200))) == 0  # left alone


class _Recording(httpcore.MockBackend):
    def __init__(self, buffer: list[bytes]) -> None:
        super().__init__(buffer)
        self.timeouts: list[object] = []

    def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, *args: object, **kw: object
    ) -> httpcore.NetworkStream:
        self.timeouts.append(timeout)
        return super().connect_tcp(host, port, timeout, *args, **kw)  # type: ignore[arg-type]


def test_httpcore_hands_the_timeout_extension_values_to_the_backend_unchanged() -> None:
    """sync_deadline: the attempt's deadline rides on the `timeout` extension's values (`Until`);
    httpcore must pass them as they are to its network backend (public `network_backend=`)."""
    recorder = _Recording([b"HTTP/1.1 200 OK\r\n", b"Content-Length: 2\r\n\r\n", b"{}"])
    pool = httpcore.ConnectionPool(network_backend=sync_deadline.DeadlineBackend(recorder))
    deadline = time.monotonic() + 5
    attempt = Attempt(httpx.URL("http://gewe.test/x"), {}, b"", Timeouts.of(2.0), 100, deadline)
    timeouts = sync_deadline.phases(attempt)
    response = pool.request("POST", "http://gewe.test/x", extensions={"timeout": timeouts})
    assert response.status == 200
    (seen,) = recorder.timeouts
    # the backend under DeadlineBackend gets a plain float, bounded by the deadline
    assert isinstance(seen, float) and not isinstance(seen, sync_deadline.Until) and 0 < seen <= 2.0
    assert isinstance(timeouts["connect"], sync_deadline.Until), "Until lost its deadline"
    passed: list[object] = []

    class Spy(sync_deadline.DeadlineBackend):
        def connect_tcp(
            self, host: str, port: int, timeout: float | None = None, *a: object, **k: object
        ) -> httpcore.NetworkStream:
            passed.append(timeout)
            return super().connect_tcp(host, port, timeout, *a, **k)  # type: ignore[arg-type]

    spy = httpcore.ConnectionPool(
        network_backend=Spy(_Recording([b"HTTP/1.1 200 OK\r\n", b"Content-Length: 0\r\n\r\n"]))
    )
    spy.request("POST", "http://gewe.test/x", extensions={"timeout": timeouts})
    assert passed and passed[0] is timeouts["connect"], _moved(
        "httpcore",
        httpcore.__version__,
        "the timeout extension's values reaching the network backend",
        "gewe/transport/sync_deadline.phases",
    )


def test_the_aiohttp_direct_route_has_the_internals_it_uses() -> None:
    """async_default._post: `ClientRequest(...)`, `BaseConnector.connect`, the protocol's
    `set_response_params`, `ClientRequest.send`, `ClientResponse.start` (checked by signature)."""
    what = "ClientRequest/BaseConnector.connect/ResponseHandler.set_response_params/send/start"
    assert async_default.DIRECT, _moved(
        "aiohttp", aiohttp.__version__, what, "gewe/transport/async_default._post"
    )


@pytest.mark.parametrize("library", ["httpx", "httpcore", "aiohttp"])
def test_the_checked_releases_are_the_pinned_ones(library: str) -> None:
    """When a pin moves, the internals above are checked again and CHECKED_ON says so."""
    text = (Path(__file__).resolve().parents[2] / "requirements" / "dev.txt").read_text(encoding="utf-8")
    pins = dict(line.split("==") for line in text.split() if "==" in line)
    assert pins[library] == CHECKED_ON[library], (
        f"{library} is pinned at {pins[library]}: check its internals"
    )
