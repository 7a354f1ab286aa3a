"""AsyncGeweClient under concurrent load, against a real HTTP server on 127.0.0.1.

Bursts of calls on one client meet a reset, a slow server, a 429 or simply their own number; the
server's request count proves what was sent, what was retried and what never was. No wall-clock
assertions: waits the client asks for are recorded by replacing its sleep.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from httpx_aiohttp import AiohttpTransport as HttpxAiohttpTransport

from gewe import AsyncGeweClient, GeweConnectionError, GeweHTTPError, GeweTimeoutError
from gewe.group_qr import GroupQrCode
from gewe.retry import RetryPolicy
from tests.conftest import TOKEN, qr_example
from tests.support import calls
from tests.support.calls import client_kwargs
from tests.support.loopback import FaultServer, Step, ok, reply

QR = qr_example()["data"]
BODY = json.dumps({"ret": 200, "msg": "ok", "data": QR}).encode()
WRITE = ("message.postText", "/gewe/v2/api/message/postText")
RESET = Step(body=BODY, reset_after=20)
# As many retries as faults scripted below: whichever calls the faults land on, none runs out.
PATIENT = RetryPolicy(max_retries=5, base_delay=0.001, max_delay=0.005)


def client(
    server: FaultServer, transport: httpx.AsyncBaseTransport | None = None, **overrides: Any
) -> AsyncGeweClient:
    """A client on the sender of the `route` fixture (when a test takes it), or on `transport`."""
    kwargs = client_kwargs(base_url=server.base_url, **overrides)
    return AsyncGeweClient(**kwargs, transport=transport or calls.user_transport("async"))


async def burst(n: int, make: Callable[[], Awaitable[Any]]) -> list[Any]:
    return await asyncio.gather(*(make() for _ in range(n)), return_exceptions=True)


def write(c: AsyncGeweClient) -> Awaitable[Any]:
    return c.invoke(WRITE[0], WRITE[1], {"appId": "wx", "content": "hi"}, None)


def read(c: AsyncGeweClient) -> Awaitable[Any]:
    return c.group.get_chatroom_qr_code(chatroom_id="34757816141@chatroom")


async def test_a_burst_goes_out_once_per_call_with_the_token(server: FaultServer, route: str) -> None:
    server.script([ok(QR)])
    async with client(server) as c:
        results = await burst(50, lambda: read(c))
    assert all(isinstance(r, GroupQrCode) for r in results), results
    assert server.count == 50
    assert all(s.headers.get("X-GEWE-TOKEN") == TOKEN for s in server.requests)  # names in their case
    assert {s.path for s in server.requests} == {"/gewe/v2/api/group/getChatroomQrCode"}


async def _resets_never_resend(server: FaultServer, transport: httpx.AsyncBaseTransport | None) -> None:
    server.script([ok({})] * 10 + [RESET] * 5 + [ok({})])
    async with client(server, transport) as c:
        results = await burst(40, lambda: write(c))
    failed = [r for r in results if isinstance(r, BaseException)]
    assert len(failed) == 5, failed
    assert all(type(r) is GeweConnectionError for r in failed), failed
    assert server.count == 40  # nothing that may have been delivered was sent again


async def test_resets_mid_burst_never_resend_a_message(server: FaultServer, route: str) -> None:
    await _resets_never_resend(server, None)


async def test_resets_mid_burst_through_httpx_aiohttp_never_resend_a_message(server: FaultServer) -> None:
    """httpx-aiohttp's transport (a user's, on the httpx sender) maps a reset while the server
    answered to `ConnectTimeout`, "never sent": the aiohttp error under it decides (async_httpx)."""
    await _resets_never_resend(server, HttpxAiohttpTransport())


async def test_resets_mid_burst_are_retried_for_reads(server: FaultServer, route: str) -> None:
    server.script([ok(QR)] * 10 + [RESET] * 5 + [ok(QR)])
    async with client(server, retry_policy=PATIENT) as c:
        results = await burst(40, lambda: read(c))
    assert all(isinstance(r, GroupQrCode) for r in results), results
    assert server.count == 45  # each reset call once more


async def test_slow_server_with_a_short_timeout(server: FaultServer) -> None:
    server.script([Step(body=BODY, delay=1.5)])
    async with client(server, timeout=0.2) as c:
        writes = await burst(10, lambda: write(c))
        assert all(type(r) is GeweTimeoutError for r in writes), writes
        assert server.count == 10  # timed out after sending: never re-sent

        server.script([Step(body=BODY, delay=1.5)])
        reads = await burst(10, lambda: read(c))
    assert all(type(r) is GeweTimeoutError for r in reads), reads
    assert server.count == 30  # read-only: each tried 1 + max_retries (2) times


async def test_the_timeout_starts_when_a_call_is_sent_not_while_it_waits_its_turn(
    server: FaultServer,
) -> None:
    # 2 connections, 12 calls of 0.3 s each: the last wait ~1.5 s for a slot, longer than their
    # 1 s timeout, and none times out, because the wait for a slot is not a pool timeout.
    server.script([Step(body=BODY, delay=0.3, headers={"Content-Type": "application/json"})])
    async with client(server, timeout=1.0, max_connections=2, max_retries=0) as c:
        results = await burst(12, lambda: read(c))
    assert all(isinstance(r, GroupQrCode) for r in results), results
    assert server.count == 12


async def test_429_with_retry_after_mid_burst(server: FaultServer) -> None:
    busy = reply(b"slow down", status=429, headers={"Retry-After": "2"})
    server.script([busy] * 5 + [ok(QR)])
    async with client(server, retry_policy=PATIENT) as c:
        waits: list[float] = []

        async def no_wait(delay: float) -> None:
            waits.append(delay)

        c._sleep = no_wait  # records what the client waits for, instead of waiting
        results = await burst(20, lambda: read(c))
        assert all(isinstance(r, GroupQrCode) for r in results), results
        assert server.count == 25
        assert waits == [2.0] * 5  # Retry-After, not the (millisecond) backoff

        server.script([busy, ok({})])
        with pytest.raises(GeweHTTPError) as info:
            await write(c)
    assert info.value.status_code == 429
    assert server.count == 1  # a message is not re-sent on 429


async def test_ten_thousand_calls_on_one_client_with_default_settings(server: FaultServer) -> None:
    server.script([ok({"msgId": 1})])
    async with AsyncGeweClient(token=TOKEN, app_id="wx", base_url=server.base_url) as c:
        results = await burst(10_000, lambda: write(c))
    failed = [r for r in results if isinstance(r, BaseException)]
    assert failed == []
    assert server.count == 10_000  # each call sent exactly once: no pool timeout, nothing retried
