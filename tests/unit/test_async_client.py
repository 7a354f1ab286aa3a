"""AsyncGeweClient's own send path: the request it builds, `max_connections`, its transport.

Over `httpx.MockTransport` (the request as the transport receives it) and aiohttp's error types;
the same paths over real sockets are in tests/faults/test_async_faults.py.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import aiohttp
import httpx
import pytest

from gewe import AsyncGeweClient, GeweConfigError, GeweConnectionError, GeweTimeoutError
from gewe.group_qr import GroupQrCode
from gewe.transport import async_default, async_httpx
from tests.conftest import APP_ID, TOKEN, qr_example
from tests.support.calls import FAST

QR = qr_example()["data"]
WRITE = ("message.postText", "/gewe/v2/api/message/postText")


def answer(data: Any = QR) -> httpx.Response:
    return httpx.Response(200, json={"ret": 200, "msg": "ok", "data": data})


def make(handler: Any, **kwargs: Any) -> AsyncGeweClient:
    settings: dict[str, Any] = {"token": TOKEN, "app_id": APP_ID, "retry_policy": FAST}
    settings.update(kwargs)
    return AsyncGeweClient(**settings, transport=httpx.MockTransport(handler))


async def test_the_request_is_what_httpx_asyncclient_post_would_send() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer({})

    body = {"appId": APP_ID, "content": "你好 👋", "ats": None}
    async with make(handler, base_url="http://gewe.test/root/") as client:
        await client.invoke(*WRITE, body, None)
    async with httpx.AsyncClient(
        base_url="http://gewe.test/root",
        headers={"X-GEWE-TOKEN": TOKEN},
        transport=httpx.MockTransport(handler),
    ) as raw:
        await raw.post(WRITE[1], json=body)
    ours, theirs = seen
    assert (ours.method, ours.url) == (theirs.method, theirs.url)
    # The body is compact UTF-8 JSON, byte for byte what httpx 0.28+ sends (httpx 0.27, which the
    # metadata allows, spaces and \u-escapes it: the same JSON, other bytes).
    assert ours.content == json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    assert json.loads(ours.content) == json.loads(theirs.content) == body
    assert ours.headers["Content-Length"] == str(len(ours.content))
    for name in ("X-GEWE-TOKEN", "Content-Type", "Host", "Accept", "Accept-Encoding"):
        assert ours.headers[name] == theirs.headers[name], name
    assert ours.headers["User-Agent"].startswith("gewe-sdk/")
    assert b"X-GEWE-TOKEN" in [name for name, _ in ours.headers.raw]  # the header's case is kept


async def test_client_and_per_call_timeouts_reach_the_transport() -> None:
    seen: list[dict[str, float | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return answer({})

    async with make(handler, timeout=httpx.Timeout(7.0, connect=2.0)) as client:
        await client.invoke(*WRITE, {}, None)
        await client.invoke(*WRITE, {}, None, timeout=0.5)
    assert seen == [
        {"connect": 2.0, "read": 7.0, "write": 7.0, "pool": 7.0},
        {"connect": 0.5, "read": 0.5, "write": 0.5, "pool": 0.5},
    ]


@pytest.mark.parametrize("limit", [1, 3, 10])
async def test_max_connections_bounds_the_calls_in_flight(limit: int) -> None:
    in_flight, peak = 0, 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(3):  # let the other calls run while this one is "on the wire"
            await asyncio.sleep(0)
        in_flight -= 1
        return answer()

    async with make(handler, max_connections=limit) as client:
        results = await asyncio.gather(
            *(client.group.get_chatroom_qr_code(chatroom_id="1") for _ in range(40))
        )
    assert all(isinstance(r, GroupQrCode) for r in results)
    assert peak == limit


@pytest.mark.parametrize("value", [0, -1, 1.5, "10", True, None])
def test_max_connections_must_be_a_positive_integer(value: Any) -> None:
    with pytest.raises(GeweConfigError, match="max_connections"):
        AsyncGeweClient(token=TOKEN, max_connections=value)


async def test_a_closed_client_says_so_and_closes_its_transport() -> None:
    closed: list[bool] = []

    class Transport(httpx.MockTransport):
        async def aclose(self) -> None:
            closed.append(True)

    client = AsyncGeweClient(token=TOKEN, app_id=APP_ID, transport=Transport(lambda r: answer()))
    await client.close()
    assert closed == [True]
    with pytest.raises(GeweConfigError, match="closed"):
        await client.group.get_chatroom_qr_code(chatroom_id="1")


def test_the_default_transport_is_aiohttps_pool_and_import_gewe_does_not_load_aiohttp() -> None:
    client = AsyncGeweClient(token=TOKEN, max_connections=7)
    assert isinstance(client._sender, async_default.AiohttpSender)
    assert client._sender._limit == 7
    code = "import sys, gewe; gewe.GeweClient(token='tok-12345678'); print('aiohttp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def _connector_error() -> aiohttp.ClientConnectorError:
    return aiohttp.ClientConnectorError(
        aiohttp.client_reqrep.ConnectionKey(  # type: ignore[attr-defined]
            "h", 80, False, True, None, None, None
        ),
        OSError(111, "refused"),
    )


@pytest.mark.parametrize(
    ("error", "sent", "timeout"),
    [
        (aiohttp.ConnectionTimeoutError("connect"), False, True),
        (_connector_error(), False, False),
        (aiohttp.SocketTimeoutError("read"), True, True),
        (aiohttp.ServerDisconnectedError(), True, False),
        (aiohttp.ClientOSError(104, "reset"), True, False),
        (aiohttp.ClientPayloadError("cut short"), True, False),
        (aiohttp.ClientConnectionResetError("reset"), True, False),
        (aiohttp.ClientError("unknown"), True, False),  # one we do not know: it may have left
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_aiohttp_failures_are_classed_by_whether_the_request_left(
    error: aiohttp.ClientError, sent: bool, timeout: bool
) -> None:
    # Raised by the default sender, let through by an httpx transport on aiohttp, or mapped by
    # httpx-aiohttp 0.2.0 (most of them to ConnectTimeout, aiohttp's error as the cause).
    try:
        raise httpx.ConnectTimeout(str(error)) from error
    except httpx.ConnectTimeout as mapped:
        failures = [async_default.failure(error), async_httpx.failure(error), async_httpx.failure(mapped)]
    for failure in failures:
        assert (failure.sent, failure.timeout, failure.label) == (sent, timeout, type(error).__name__)


def test_httpx_failures_are_classed_by_whether_the_request_left() -> None:
    refused = async_httpx.failure(httpx.ConnectError("refused"))
    assert (refused.sent, refused.timeout, refused.label) == (False, False, "ConnectError")
    pool = async_httpx.failure(httpx.PoolTimeout("busy"))
    assert (pool.sent, pool.timeout) == (False, True)
    read = async_httpx.failure(httpx.ReadTimeout("slow"))
    assert (read.sent, read.timeout) == (True, True)


@pytest.mark.parametrize(
    ("error", "kind", "attempts"),
    [
        (aiohttp.ServerDisconnectedError(), GeweConnectionError, 1),  # may have been delivered
        (aiohttp.SocketTimeoutError("read"), GeweTimeoutError, 1),
        (aiohttp.ConnectionTimeoutError("connect"), GeweTimeoutError, 3),  # never sent: retried
    ],
)
async def test_a_write_is_retried_only_when_it_was_never_sent(
    error: aiohttp.ClientError, kind: type[Exception], attempts: int
) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise error

    async with make(handler) as client:
        with pytest.raises(kind) as info:
            await client.invoke(*WRITE, {}, None)
    assert type(info.value) is kind
    assert calls == attempts
    assert TOKEN not in str(info.value)
