"""FakeGewe itself: request checks, replies and failures as typed errors, recorded calls, pushes, login."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from gewe import (
    AsyncGeweClient,
    GeweAPIError,
    GeweAuthError,
    GeweClient,
    GeweConfigError,
    GeweConnectionError,
    GeweHTTPError,
    GeweTimeoutError,
)
from gewe.events import Event, Receiver, secret_path
from gewe.failures import KNOWN_FAILURES
from gewe.testing import FakeGewe, pushes

QR = "group.getChatroomQrCode"
QR_PATH = "/gewe/v2/api/group/getChatroomQrCode"


@pytest.fixture
async def fake() -> AsyncIterator[FakeGewe]:
    async with FakeGewe(redelivery_delay=0.01) as running:
        yield running


@pytest.fixture
async def client(fake: FakeGewe) -> AsyncIterator[AsyncGeweClient]:
    async with AsyncGeweClient(
        token=fake.token, app_id=fake.app_id, base_url=fake.base_url, max_retries=0, timeout=2
    ) as c:
        yield c


async def post(fake: FakeGewe, path: str, body: Any, token: str | None = "") -> dict[str, Any]:
    headers = {} if token is None else {"X-GEWE-TOKEN": token or fake.token}
    async with (
        aiohttp.ClientSession() as http,
        http.post(fake.base_url + path, json=body, headers=headers) as r,
    ):
        reply: dict[str, Any] = await r.json()
        return reply


# ------------------------------------------------------------------------------------ the checks


async def test_the_page_example_is_the_default_reply(fake: FakeGewe, client: AsyncGeweClient) -> None:
    qr = await client.group.get_chatroom_qr_code(chatroom_id="34757816141@chatroom")
    assert qr.qr_tips == fake.operations[QR]["reply"]["data"]["qrTips"]
    (call,) = fake.calls(QR)
    assert call == {"appId": fake.app_id, "chatroomId": "34757816141@chatroom"} and call.problems == ()


async def test_a_request_that_breaks_the_spec_is_refused_naming_what(fake: FakeGewe) -> None:
    missing = await post(fake, QR_PATH, {"appId": fake.app_id})
    assert missing["ret"] == 500 and missing["msg"] == "参数错误: chatroomId is required"
    wrong = await post(fake, QR_PATH, {"appId": fake.app_id, "chatroomId": 5})
    assert wrong["msg"] == "参数错误: chatroomId is an integer, expected string"
    assert (await post(fake, QR_PATH, [1, 2]))["msg"] == "参数错误: the body is an array, expected object"
    assert (await post(fake, QR_PATH, {"appId": "wx_nobody", "chatroomId": "r"}))["msg"].endswith(
        "设备不存在"
    )
    assert fake.calls(QR)[0].problems == ("chatroomId is required",)


async def test_the_token_header_is_checked(fake: FakeGewe) -> None:
    body = {"appId": fake.app_id, "chatroomId": "r"}
    assert (await post(fake, QR_PATH, body, token=None))["msg"] == "header:X-GEWE-TOKEN 不可为空"
    async with AsyncGeweClient(token="tok-wrong-123456", base_url=fake.base_url, max_retries=0) as c:
        with pytest.raises(GeweAuthError):
            await c.group.get_chatroom_qr_code(app_id=fake.app_id, chatroom_id="r")


async def test_an_unknown_path_is_a_404_and_an_unknown_operation_can_be_taught(
    fake: FakeGewe, client: AsyncGeweClient
) -> None:
    with pytest.raises(GeweHTTPError) as info:
        await client.invoke(
            "message.noSuchPage", "/gewe/v2/api/message/noSuchPage", {"appId": fake.app_id}, None
        )
    assert info.value.status_code == 404
    fake.reply("message.noSuchPage", data={"newMsgId": 7})
    data = await client.invoke("message.noSuchPage", "/gewe/v2/api/message/noSuchPage", {"appId": "x"}, None)
    assert data == {"newMsgId": 7}
    calls = fake.calls("message.noSuchPage")
    assert [(c["appId"], c.problems) for c in calls] == [(fake.app_id, ("no such operation",)), ("x", ())]


# ------------------------------------------------------------------------------------ failures


def _text_for(pattern: str | re.Pattern[str]) -> str:
    return pattern if isinstance(pattern, str) else "token无效"


@pytest.mark.parametrize(
    ("pattern", "error_class"),
    KNOWN_FAILURES,
    ids=[cls.__name__ + f"-{i}" for i, (_, cls) in enumerate(KNOWN_FAILURES)],
)
async def test_each_gewe_failure_class_surfaces_as_its_typed_error(
    fake: FakeGewe, client: AsyncGeweClient, pattern: str | re.Pattern[str], error_class: type[GeweAPIError]
) -> None:
    fake.fail(QR, msg=f"操作失败: {_text_for(pattern)}", times=1)
    with pytest.raises(error_class) as info:
        await client.group.get_chatroom_qr_code(chatroom_id="r")
    assert type(info.value) is error_class and info.value.ret == 500
    assert (await client.group.get_chatroom_qr_code(chatroom_id="r")).qr_tips  # once only


async def test_data_msg_and_ret_401_are_classified_too(fake: FakeGewe, client: AsyncGeweClient) -> None:
    fake.fail(QR, msg="发送消息失败", data={"code": "-1", "msg": "微信已离线"}, times=1)
    fake.fail(QR, ret=401, msg="whatever", times=1)
    from gewe import GeweOfflineError

    with pytest.raises(GeweOfflineError) as info:
        await client.group.get_chatroom_qr_code(chatroom_id="r")
    assert info.value.code == "-1"
    with pytest.raises(GeweAuthError):
        await client.group.get_chatroom_qr_code(chatroom_id="r")


async def test_http_errors_timeouts_and_dropped_connections(fake: FakeGewe, client: AsyncGeweClient) -> None:
    fake.fail(QR, status=502, times=1)
    fake.fail(QR, timeout=True, times=1)
    fake.fail(QR, drop=True, times=1)
    with pytest.raises(GeweHTTPError) as http_error:
        await client.group.get_chatroom_qr_code(chatroom_id="r")
    assert http_error.value.status_code == 502
    with pytest.raises(GeweTimeoutError):
        await client.group.get_chatroom_qr_code(chatroom_id="r", timeout=0.3)
    with pytest.raises(GeweConnectionError) as dropped:
        await client.group.get_chatroom_qr_code(chatroom_id="r")
    assert not isinstance(dropped.value, GeweTimeoutError)
    assert (await client.group.get_chatroom_qr_code(chatroom_id="r")).qr_tips
    assert len(fake.calls(QR)) == 4


async def test_a_read_only_call_is_retried_through_a_failure_and_the_fake_counts_it(fake: FakeGewe) -> None:
    fake.fail(QR, status=503, times=2)
    async with AsyncGeweClient(
        token=fake.token, app_id=fake.app_id, base_url=fake.base_url, max_retries=2
    ) as c:
        assert (await c.group.get_chatroom_qr_code(chatroom_id="r")).qr_tips
    assert len(fake.calls(QR)) == 3


async def test_replies_once_then_always(fake: FakeGewe, client: AsyncGeweClient) -> None:
    fake.reply(QR, data={"qrBase64": "", "qrTips": "always"})
    fake.reply(QR, data={"qrBase64": "", "qrTips": "first"}, times=1)
    fake.fail(QR, msg="微信已离线", times=1)
    tips = []
    for _ in range(4):
        try:
            tips.append((await client.group.get_chatroom_qr_code(chatroom_id="r")).qr_tips)
        except GeweAPIError as exc:
            tips.append(exc.msg)
    assert tips == ["first", "微信已离线", "always", "always"]
    fake.reset()
    assert (
        fake.calls() == [] and (await client.group.get_chatroom_qr_code(chatroom_id="r")).qr_tips != "always"
    )


def test_bad_settings_are_config_errors() -> None:
    fake = FakeGewe()
    with pytest.raises(GeweConfigError):
        fake.reply("getChatroomQrCode", data={})
    with pytest.raises(GeweConfigError):
        fake.fail(QR, timeout=True, drop=True)
    with pytest.raises(GeweConfigError):
        fake.reply(QR, times=0)
    with pytest.raises(GeweConfigError):
        fake.login_flow(states=(0, 3))
    for bad in ({"token": ""}, {"token": "  "}, {"redeliveries": -1}, {"push_timeout": 0}):
        with pytest.raises(GeweConfigError):
            FakeGewe(**bad)  # type: ignore[arg-type]


async def test_a_push_that_is_not_json_is_a_config_error(fake: FakeGewe) -> None:
    with pytest.raises(GeweConfigError, match="not JSON"):
        await fake.push({"when": object()}, url="http://127.0.0.1:1/")
    assert fake.deliveries == []


# ------------------------------------------------------------------------------------ recording


async def test_calls_are_recorded_in_order_under_concurrency(fake: FakeGewe, client: AsyncGeweClient) -> None:
    async def sender(task: int) -> None:
        for seq in range(5):  # each task's calls one after another
            await client.group.get_chatroom_qr_code(chatroom_id=f"{task}-{seq}@chatroom")

    await asyncio.gather(*(sender(t) for t in range(20)))
    calls = fake.calls(QR)
    assert len(calls) == 100
    assert sorted(c["chatroomId"] for c in calls) == sorted(
        f"{t}-{s}@chatroom" for t in range(20) for s in range(5)
    )
    for task in range(20):
        mine = [c["chatroomId"] for c in calls if c["chatroomId"].startswith(f"{task}-")]
        assert mine == [f"{task}-{s}@chatroom" for s in range(5)]
    times = [c.at for c in calls]
    assert times == sorted(times)


async def test_the_token_is_never_in_a_repr(fake: FakeGewe, client: AsyncGeweClient) -> None:
    receiver = Receiver(lambda e: None, path=secret_path())
    url = await receiver.start()
    try:
        await client.login.set_callback(token=fake.token, callback_url=url)
    finally:
        await receiver.stop()
    (call,) = fake.calls("login.setCallback")
    assert call["token"] == fake.token  # the body as sent
    assert (
        fake.token not in repr(call) and fake.token not in repr(fake) and fake.token not in repr(fake.calls())
    )


# ------------------------------------------------------------------------------------ pushes


async def test_set_callback_posts_the_test_message_first(fake: FakeGewe, client: AsyncGeweClient) -> None:
    got: list[Any] = []

    async def receive(request: web.Request) -> web.Response:
        got.append(await request.json())
        return web.Response(status=200)

    async with _server(receive) as url:
        await client.login.set_callback(token=fake.token, callback_url=url)
        assert fake.callback_url == url
    assert got == [{"testMsg": "回调地址链接成功！", "token": fake.token}]
    with pytest.raises(GeweAPIError, match="回调地址不可用"):
        await client.login.set_callback(token=fake.token, callback_url="http://127.0.0.1:1/x")
    assert fake.callback_url == url  # unchanged


async def test_a_receiver_answering_503_gets_the_push_again(fake: FakeGewe) -> None:
    answers = [503, 500, 200]
    got: list[Any] = []

    async def receive(request: web.Request) -> web.Response:
        got.append(await request.json())
        return web.Response(status=answers.pop(0))

    push = pushes.text("again")
    async with _server(receive) as url:
        assert await fake.push(push, url=url) == 200
    assert got == [push] * 3
    assert [(d.attempt, d.status) for d in fake.deliveries] == [(1, 503), (2, 500), (3, 200)]


async def test_a_full_receiver_answers_503_and_gets_the_push_again_once_it_drains() -> None:
    release = asyncio.Event()
    handled: list[str] = []

    async def handle(event: Event) -> None:
        await release.wait()
        handled.append(event.text or "")  # type: ignore[union-attr]

    receiver = Receiver(handle, path=secret_path(), queue_size=1, workers=1)
    url = await receiver.start()
    async with FakeGewe(redeliveries=20, redelivery_delay=0.1) as fake:  # a slow machine drains late
        try:
            assert await fake.push(pushes.text("a"), url=url) == 200  # the worker holds it
            await asyncio.sleep(0.05)
            assert await fake.push(pushes.text("b"), url=url) == 200  # queued
            later = asyncio.get_running_loop().call_later(0.15, release.set)
            assert await fake.push(pushes.text("c"), url=url) == 200  # 503 while full, then 200
            later.cancel()
        finally:
            release.set()
            await receiver.stop()
    statuses = [(d.body["Data"]["Content"]["string"], d.status) for d in fake.deliveries]
    assert ("c", 503) in statuses and statuses[-1] == ("c", 200)  # delivered again after the 503
    assert [text for text, status in statuses if status == 200] == ["a", "b", "c"]
    assert sorted(handled) == ["a", "b", "c"]


async def test_a_slow_or_absent_receiver_is_given_up_on_after_the_redeliveries() -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(1)
        return web.Response()

    async with FakeGewe(push_timeout=0.2, redeliveries=1, redelivery_delay=0) as fake, _server(slow) as url:
        assert await fake.push(pushes.offline(), url=url) is None
        assert [d.status for d in fake.deliveries] == [None, None]
        assert await fake.push(pushes.offline(), url="http://127.0.0.1:1/") is None
    with pytest.raises(GeweConfigError, match="no callback URL"):
        await FakeGewe().push(pushes.offline())


async def test_a_duplicate_push_reaches_a_receiver_that_handles_it_once(fake: FakeGewe) -> None:
    handled: list[Event] = []
    receiver = Receiver(handled.append, path=secret_path())
    url = await receiver.start()
    try:
        assert await fake.push(pushes.text("once"), url=url, duplicate=True) == 200
    finally:
        await receiver.stop()
    assert len(fake.deliveries) == 2 and [e.kind for e in handled] == ["text"]


def test_the_sync_fake_runs_in_its_thread() -> None:
    with FakeGewe() as fake, GeweClient(token=fake.token, app_id=fake.app_id, base_url=fake.base_url) as c:
        assert c.group.get_chatroom_qr_code(chatroom_id="r").qr_tips
        with pytest.raises(GeweConfigError):
            fake.push_sync(pushes.offline())  # no callback URL yet
        assert fake.push_sync(pushes.offline(), url="http://127.0.0.1:1/") is None
    assert len(fake.calls(QR)) == 1


# ------------------------------------------------------------------------------------ login, media


async def _login(client: AsyncGeweClient, op: str, body: dict[str, Any]) -> Any:
    module, name = op.split(".")
    return await client.invoke(op, f"/gewe/v2/api/{module}/{name}", body, None)


async def test_the_login_flow_goes_0_1_2(fake: FakeGewe, client: AsyncGeweClient) -> None:
    from gewe import GeweAlreadyLoggedInError

    with pytest.raises(GeweAlreadyLoggedInError):  # the fake starts logged in
        await _login(
            client, "login.getLoginQrCode", {"appId": fake.app_id, "type": "ipad", "regionId": "310000"}
        )
    fake.login_flow(wxid="wxid_me", nickname="Me")
    qr = await _login(client, "login.getLoginQrCode", {"appId": "", "type": "ipad", "regionId": "310000"})
    assert qr["appId"].startswith("wx_fake_") and qr["qrImgBase64"].startswith("data:image/")
    states = []
    for _ in range(4):
        data = await _login(client, "login.checkLogin", {"appId": qr["appId"], "uuid": qr["uuid"]})
        states.append(data["status"])
    assert states == [0, 1, 2, 2] and data["loginInfo"]["wxid"] == "wxid_me"
    # the new device is known from now on
    await client.group.get_chatroom_qr_code(app_id=qr["appId"], chatroom_id="r")


async def test_captcha_and_expiry(fake: FakeGewe, client: AsyncGeweClient) -> None:
    from gewe import GeweVerificationRequiredError

    fake.login_flow(states=(2,), captcha="1234")
    qr = await _login(
        client, "login.getLoginQrCode", {"appId": fake.app_id, "type": "ipad", "regionId": "310000"}
    )
    with pytest.raises(GeweVerificationRequiredError):
        await _login(client, "login.checkLogin", {"appId": fake.app_id, "uuid": qr["uuid"]})
    done = await _login(
        client, "login.checkLogin", {"appId": fake.app_id, "uuid": qr["uuid"], "captchCode": "1234"}
    )
    assert done["status"] == 2
    fake.login_flow(states=(0,), expires_after=2)
    qr = await _login(
        client, "login.getLoginQrCode", {"appId": fake.app_id, "type": "ipad", "regionId": "310000"}
    )
    left = [
        (await _login(client, "login.checkLogin", {"appId": fake.app_id, "uuid": qr["uuid"]}))["expiredTime"]
    ]
    left += [
        (await _login(client, "login.checkLogin", {"appId": fake.app_id, "uuid": qr["uuid"]}))["expiredTime"]
    ]
    expired = await _login(client, "login.checkLogin", {"appId": fake.app_id, "uuid": qr["uuid"]})
    assert left[0] > left[1] > 0 and (expired["status"], expired["expiredTime"]) == (0, 0)


async def test_media_urls_in_sends_are_fetched(fake: FakeGewe, client: AsyncGeweClient) -> None:
    async def image(request: web.Request) -> web.Response:
        if request.path.endswith("missing.png"):
            return web.Response(status=404)
        return web.Response(body=b"\x89PNG\r\n\x1a\n-bytes", content_type="image/png")

    fake.reply("message.postImage", data={"newMsgId": 1})
    async with _server(image) as url:
        base = url.rsplit("/", 1)[0]
        body = {"appId": fake.app_id, "toWxid": "wxid_a", "imgUrl": f"{base}/cat.png"}
        await _login(client, "message.postImage", body)
        with pytest.raises(GeweAPIError, match="imgUrl"):
            await _login(client, "message.postImage", {**body, "imgUrl": f"{base}/missing.png"})
    assert [(f.field, f.status, f.content) for f in fake.fetched] == [
        ("imgUrl", 200, b"\x89PNG\r\n\x1a\n-bytes"),
        ("imgUrl", 404, b""),
    ]


# ------------------------------------------------------------------------------------ helpers


class _server:
    """An aiohttp server on 127.0.0.1 for one handler; `async with` gives its URL."""

    def __init__(self, handler: Callable[[web.Request], Any]) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        self.runner = web.AppRunner(app)

    async def __aenter__(self) -> str:
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        host, port = self.runner.addresses[0][:2]
        return f"http://{host}:{port}/gewe/cb"

    async def __aexit__(self, *exc: object) -> None:
        await self.runner.cleanup()
