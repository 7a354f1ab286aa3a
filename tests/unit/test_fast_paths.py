"""The clients' default senders (gewe.transport: httpcore's pool, aiohttp's) against a real loopback
server: the same request on the wire as a user's httpx transport, httpx objects only when asked
for (not even with DEBUG logging on), proxies from the environment, one TLS context per process,
and nothing heavy loaded before it is needed."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gewe import AsyncGeweClient, GeweClient, GeweHTTPError
from tests.conftest import APP_ID, TOKEN, qr_example
from tests.support import calls
from tests.support.loopback import FaultServer, ok, reply

QR = qr_example()["data"]
ROOM = "34757816141@chatroom"


def _qr(mode: str, client_kwargs: dict[str, Any], method: str = "call") -> Any:
    """One group-QR call (or `with_raw_response` of it) on a fresh client of `mode`."""
    settings = calls.client_kwargs(**client_kwargs)
    if mode == "sync":
        with GeweClient(**settings) as client:
            if method == "raw":
                return client.with_raw_response(client.group.get_chatroom_qr_code, chatroom_id=ROOM)
            return client.group.get_chatroom_qr_code(chatroom_id=ROOM)

    async def run() -> Any:
        async with AsyncGeweClient(**settings) as client:
            if method == "raw":
                return await client.with_raw_response(client.group.get_chatroom_qr_code, chatroom_id=ROOM)
            return await client.group.get_chatroom_qr_code(chatroom_id=ROOM)

    return asyncio.run(run())


@pytest.fixture
def count_httpx(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every httpx.Request and httpx.Response made while the test runs."""
    made: list[str] = []
    for cls in (httpx.Request, httpx.Response):
        original = cls.__init__

        def counting(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> None:
            made.append(type(self).__name__)
            _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "__init__", counting)
    yield made


@pytest.mark.parametrize("mode", calls.MODES)
def test_the_default_path_sends_what_the_httpx_route_sends(server: FaultServer, mode: str) -> None:
    server.script([ok(QR)])
    _qr(mode, {"base_url": server.base_url})
    transport = httpx.HTTPTransport() if mode == "sync" else httpx.AsyncHTTPTransport()
    _qr(mode, {"base_url": server.base_url, "transport": transport})
    fast, routed = server.requests
    assert fast.path == routed.path == "/gewe/v2/api/group/getChatroomQrCode"
    assert fast.body == routed.body and fast.json() == {"appId": APP_ID, "chatroomId": ROOM}

    def normal(headers: dict[str, str]) -> dict[str, str]:
        return {k.lower(): v for k, v in headers.items()}

    assert normal(fast.headers) == normal(routed.headers)
    assert fast.headers["X-GEWE-TOKEN"] == TOKEN  # header names go out in their own case
    assert normal(fast.headers)["x-gewe-token"] == TOKEN
    assert normal(fast.headers)["content-length"] == str(len(fast.body))


@pytest.mark.parametrize("mode", calls.MODES)
def test_a_plain_call_makes_no_httpx_objects(server: FaultServer, mode: str, count_httpx: list[str]) -> None:
    server.script([ok(QR)])
    assert _qr(mode, {"base_url": server.base_url}).qr_base64 == QR["qrBase64"]
    assert count_httpx == []


@pytest.mark.parametrize("mode", calls.MODES)
def test_with_raw_response_on_the_default_path(
    server: FaultServer, mode: str, count_httpx: list[str]
) -> None:
    server.script([reply({"ret": 200, "msg": "ok", "data": QR}, headers={"X-Trace": "t-1"})])
    raw = _qr(mode, {"base_url": server.base_url}, "raw")
    response = raw.http_response
    assert isinstance(response, httpx.Response) and count_httpx  # made because they were asked for
    assert response.status_code == 200 and response.headers["x-trace"] == "t-1"
    assert response.json()["data"]["qrBase64"] == QR["qrBase64"]
    assert str(response.request.url) == server.base_url + "/gewe/v2/api/group/getChatroomQrCode"
    assert response.request.headers["X-GEWE-TOKEN"] == TOKEN
    assert raw.parse().qr_base64 == QR["qrBase64"]


@pytest.mark.parametrize("mode", calls.MODES)
def test_debug_logging_keeps_the_sender_and_writes_the_wire_log(
    server: FaultServer, mode: str, count_httpx: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    server.script([ok(QR)])
    with caplog.at_level(logging.DEBUG, logger="gewe"):
        assert _qr(mode, {"base_url": server.base_url}).qr_base64 == QR["qrBase64"]
    assert count_httpx == []  # the same sender: DEBUG logging changes what is logged, not the stack
    wire = [r.getMessage() for r in caplog.records if r.name == "gewe.wire"]
    assert len(wire) == 1 and wire[0].startswith("POST /gewe/v2/api/group/getChatroomQrCode -> HTTP 200, ")
    assert any("group.getChatroomQrCode ret=200" in r.getMessage() for r in caplog.records)
    assert TOKEN not in caplog.text


@pytest.mark.parametrize("mode", calls.MODES)
def test_an_error_reply_on_the_default_path_is_the_same_error(server: FaultServer, mode: str) -> None:
    page = reply(b"<html>busy</html>", status=503, headers={"Content-Type": "text/html"})
    server.script([page, page, page])
    with pytest.raises(GeweHTTPError) as info:
        _qr(mode, {"base_url": server.base_url})
    assert info.value.status_code == 503 and "busy" in info.value.body_excerpt
    assert server.count == 3  # read-only: retried, as on the httpx route


@pytest.mark.parametrize("mode", calls.MODES)
def test_a_proxy_from_the_environment_is_used(
    server: FaultServer, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.script([ok(QR)])  # the loopback server plays the proxy: it sees the absolute URL
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.base_url)
    monkeypatch.setenv("http_proxy", server.base_url)
    result = _qr(mode, {"base_url": "http://api.gewe.invalid"})
    assert result.qr_base64 == QR["qrBase64"]
    (seen,) = server.requests
    assert seen.path == "http://api.gewe.invalid/gewe/v2/api/group/getChatroomQrCode"
    assert json.loads(seen.body)["chatroomId"] == ROOM


def _fresh(code: str) -> Any:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=False, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


HEAVY = ("attr", "httpcore", "aiohttp", "dateutil", "gewe_api.client", "gewe_api.types")


def test_import_and_a_new_client_load_nothing_heavy() -> None:
    loaded = _fresh(
        """
        import json, sys
        import httpx  # the floor: what httpx loads itself is not ours (httpx < 0.28 loads httpcore)
        BASE = set(sys.modules)
        HEAVY = {heavy!r}
        def heavy():
            return sorted(m for m in HEAVY if m in sys.modules and m not in BASE)
        import gewe
        after_import = heavy()
        from gewe.transport import net as _net
        client = gewe.GeweClient(token="tok-SECRET-5f3a9c", base_url="http://127.0.0.1:9")
        again = gewe.GeweClient(token="tok-SECRET-5f3a9c", base_url="https://127.0.0.1:9")
        after_clients = heavy()
        contexts = _net.verified_context.cache_info().misses
        client.close(); again.close()
        print(json.dumps([after_import, after_clients, contexts]))
        """.replace("{heavy!r}", repr(HEAVY))
    )
    after_import, after_clients, contexts = loaded
    assert after_import == []
    assert after_clients == ["attr"]  # RetryPolicy; no pool, no TLS context until the first call
    assert contexts == 0


def test_one_tls_context_per_process_and_only_for_https() -> None:
    counts = _fresh(
        """
        import json
        from gewe import AsyncGeweClient, GeweClient
        from gewe.transport import net as _net
        plain = GeweClient(token="tok-SECRET-5f3a9c", base_url="http://127.0.0.1:9")
        plain._sender._open()
        after_http = _net.verified_context.cache_info().misses
        pools = [GeweClient(token="tok-SECRET-5f3a9c", base_url="https://127.0.0.1:9") for _ in range(3)]
        pools = [c._sender._open() for c in pools]
        print(json.dumps([after_http, _net.verified_context.cache_info().misses]))
        """
    )
    assert counts == [0, 1]


@pytest.mark.parametrize(
    ("proxy", "error"), [("ftp://proxy.invalid:21", "GeweConfigError"), ("socks5://127.0.0.1:9", "any")]
)
def test_a_proxy_the_default_pool_cannot_use_is_a_gewe_error(
    proxy: str, error: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gewe import GeweConfigError, GeweError

    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALL_PROXY", proxy)
    monkeypatch.setenv("all_proxy", proxy)
    url = "http://api.gewe.invalid"
    with (
        GeweClient(token=TOKEN, app_id=APP_ID, base_url=url, max_retries=0) as client,
        pytest.raises(GeweError) as info,
    ):
        client.group.get_chatroom_qr_code(chatroom_id=ROOM)
    if error == "GeweConfigError":
        assert isinstance(info.value, GeweConfigError) and info.value.setting == "proxy"


@pytest.mark.parametrize("mode", calls.MODES)
def test_with_options_copies_share_the_default_pool(server: FaultServer, mode: str) -> None:
    server.script([ok(QR)])
    settings = calls.client_kwargs(base_url=server.base_url)

    def both(client: Any, copy: Any) -> None:
        assert copy is not client
        assert copy._sender is client._sender is not None

    if mode == "sync":
        with GeweClient(**settings) as client:
            copy = client.with_options(timeout=2.0)
            both(client, copy)
            copy.group.get_chatroom_qr_code(chatroom_id=ROOM)
            copy.close()  # a copy leaves the shared pool open
            client.group.get_chatroom_qr_code(chatroom_id=ROOM)
    else:

        async def run() -> None:
            async with AsyncGeweClient(**settings) as client:
                copy = client.with_options(timeout=2.0)
                both(client, copy)
                await copy.group.get_chatroom_qr_code(chatroom_id=ROOM)
                await copy.close()
                await client.group.get_chatroom_qr_code(chatroom_id=ROOM)

        asyncio.run(run())
    assert server.count == 2


@pytest.mark.parametrize("mode", calls.MODES)
def test_the_default_senders_map_their_library_s_failures_straight(mode: str) -> None:
    """A refused connection reaches the retry policy as "not sent" from httpcore's or aiohttp's own
    error: no httpx exception is made on the way (gewe.transport.SendFailure)."""
    from gewe import GeweConnectionError
    from gewe.transport import SendFailure
    from tests.support.loopback import closed_port

    with pytest.raises(GeweConnectionError) as info:
        _qr(mode, {"base_url": f"http://127.0.0.1:{closed_port()}"})
    assert info.value.attempts == 3  # never sent: retried (calls.FAST allows 2 retries)
    chain, node = [], info.value.__context__
    while node is not None:
        chain.append(node)
        node = node.__cause__ or node.__context__
    assert isinstance(chain[0], SendFailure) and chain[0].sent is False
    library = "httpcore" if mode == "sync" else "aiohttp"
    assert type(chain[1]).__module__.startswith(library), chain
    assert not any(type(e).__module__.startswith("httpx") for e in chain), chain
