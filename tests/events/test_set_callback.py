"""set_callback against a fake GeWe on 127.0.0.1 that does what GeWe does: test the URL, then answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from gewe import AsyncGeweClient, GeweAPIError, GeweClient, GeweConfigError, GeweEventError
from gewe.events import Receiver, callback_url, secret_path, set_callback
from tools.servers import free_port

TOKEN = "tok-SECRET-5f3a9c"


@dataclass
class FakeGeWe:
    url: str = ""
    ping: bool = True  # post the test message before answering, as GeWe does
    calls: list[dict[str, Any]] = field(default_factory=list)
    test_statuses: list[int] = field(default_factory=list)


@pytest.fixture
async def gewe() -> AsyncIterator[FakeGeWe]:
    fake = FakeGeWe()

    async def set_cb(request: web.Request) -> web.Response:
        body = await request.json()
        fake.calls.append({"header": request.headers.get("X-GEWE-TOKEN"), **body})
        if fake.ping:
            try:
                async with (
                    aiohttp.ClientSession() as http,
                    http.post(
                        body["callbackUrl"], json={"testMsg": "回调地址验证", "token": body["token"]}
                    ) as resp,
                ):
                    fake.test_statuses.append(resp.status)
                    ok = resp.status == 200
            except aiohttp.ClientError:
                ok = False
            if not ok:
                return web.json_response({"ret": 500, "msg": "回调地址不可用", "data": None})
        return web.json_response({"ret": 200, "msg": "操作成功"})

    app = web.Application()
    app.router.add_post("/gewe/v2/api/login/setCallback", set_cb)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    fake.url = f"http://{host}:{port}"
    yield fake
    await runner.cleanup()


async def test_listens_first_then_sets_the_url_and_sees_the_test_message(gewe: FakeGeWe) -> None:
    receiver = Receiver(lambda e: None, path="/gewe/s3cret-path")
    port = free_port()
    async with AsyncGeweClient(token=TOKEN, base_url=gewe.url, max_retries=0) as client:
        # a public URL without a path (as behind a proxy): the receiver's secret path is appended
        url = await set_callback(client, receiver, f"http://127.0.0.1:{port}", port=port)
    assert receiver.url == url == f"http://127.0.0.1:{port}/gewe/s3cret-path"
    await receiver.stop()
    assert gewe.calls == [{"header": TOKEN, "token": TOKEN, "callbackUrl": url}]
    assert gewe.test_statuses == [200]


async def test_with_a_public_url_that_reaches_the_receiver(gewe: FakeGeWe) -> None:
    receiver = Receiver(lambda e: None, path=secret_path())
    local = await receiver.start()
    with GeweClient(token=TOKEN, base_url=gewe.url, max_retries=0) as client:  # the sync client too
        assert await set_callback(client, receiver, local) == local
    await receiver.stop()
    assert gewe.test_statuses == [200] and receiver.last_ping is not None


async def test_a_url_gewe_cannot_reach_is_gewes_error(gewe: FakeGeWe) -> None:
    receiver = Receiver(lambda e: None, path=secret_path())
    async with AsyncGeweClient(token=TOKEN, base_url=gewe.url, max_retries=0) as client:
        with pytest.raises(GeweAPIError) as info:
            await set_callback(client, receiver, "http://127.0.0.1:1/nothing-here")
    await receiver.stop()
    assert info.value.ret == 500 and TOKEN not in str(info.value)


async def test_no_test_message_is_a_gewe_event_error(gewe: FakeGeWe) -> None:
    gewe.ping = False
    receiver = Receiver(lambda e: None, path=secret_path())
    async with AsyncGeweClient(token=TOKEN, base_url=gewe.url, max_retries=0) as client:
        with pytest.raises(GeweEventError, match=r"did not arrive within 0\.3 s"):
            await set_callback(client, receiver, "http://127.0.0.1:1/", timeout=0.3)
    await receiver.stop()


def test_callback_url() -> None:
    local = "http://127.0.0.1:8080/gewe/s3cret"
    assert callback_url("https://bot.example.com", local) == "https://bot.example.com/gewe/s3cret"
    assert callback_url("https://bot.example.com/", local) == "https://bot.example.com/gewe/s3cret"
    assert callback_url("https://bot.example.com/in/x", local) == "https://bot.example.com/in/x"
    for bad in ("bot.example.com", "ftp://x/", "http:///x"):
        with pytest.raises(GeweConfigError):
            callback_url(bad, local)
