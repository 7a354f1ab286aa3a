"""The pytest plugin's fixtures, used as a bot's tests would use them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from gewe import AsyncGeweClient, GeweClient, GeweOfflineError
from gewe.events import Event, Receiver, secret_path
from gewe.testing import FakeGewe, pushes
from gewe.testing.run import BotRun


def test_gewe_client_talks_to_gewe_fake(gewe_fake: FakeGewe, gewe_client: GeweClient) -> None:
    gewe_fake.reply("group.getChatroomQrCode", data={"qrBase64": "", "qrTips": "tips"})
    assert gewe_client.group.get_chatroom_qr_code(chatroom_id="1@chatroom").qr_tips == "tips"
    (call,) = gewe_fake.calls("group.getChatroomQrCode")
    assert call == {"appId": gewe_fake.app_id, "chatroomId": "1@chatroom"}


async def test_gewe_async_client_talks_to_gewe_fake(
    gewe_fake: FakeGewe, gewe_async_client: AsyncGeweClient
) -> None:
    gewe_fake.fail("group.getChatroomQrCode", msg="微信已离线", times=1)
    with pytest.raises(GeweOfflineError):
        await gewe_async_client.group.get_chatroom_qr_code(chatroom_id="1@chatroom")
    qr = await gewe_async_client.group.get_chatroom_qr_code(chatroom_id="1@chatroom")  # once only
    assert qr.qr_tips  # the page's example


async def test_gewe_bot_runs_a_handler_and_returns_what_it_called(
    gewe_fake: FakeGewe, gewe_async_client: AsyncGeweClient, gewe_bot: Callable[..., Awaitable[BotRun]]
) -> None:
    seen: list[str] = []

    async def handle(event: Event) -> None:
        seen.append(event.kind)
        if event.kind == "text" and not event.is_self:
            body = {"appId": event.app_id, "toWxid": event.chat_id, "content": f"echo {event.text}"}
            await gewe_async_client.invoke("message.postText", "/gewe/v2/api/message/postText", body, None)

    gewe_fake.reply("message.postText", data={"msgId": 1, "newMsgId": 2})
    first = pushes.text("one", app_id=gewe_fake.app_id)
    run = await gewe_bot(handle, first, pushes.text("mine", self_sent=True), pushes.offline(), duplicate=True)
    assert run.statuses == [200, 200, 200] and run.left == 0
    # each message once, though delivered twice; Offline has no id to de-duplicate on
    assert sorted(seen) == ["offline", "offline", "text", "text"]
    assert [(c["toWxid"], c["content"]) for c in run.calls("message.postText")] == [
        ("wxid_alice", "echo one")
    ]
    assert [d.status for d in gewe_fake.deliveries] == [200] * 6


async def test_gewe_bot_with_a_running_receiver_leaves_it_running(
    gewe_bot: Callable[..., Awaitable[BotRun]],
) -> None:
    got: list[Any] = []
    receiver = Receiver(got.append, path=secret_path())
    await receiver.start()
    try:
        run = await gewe_bot(receiver, pushes.offline(), timeout=2)
        assert run.statuses == [200] and receiver.url is not None
    finally:
        await receiver.stop()
    assert [e.kind for e in got] == ["offline"]


def test_the_plugin_loads_nothing_of_the_fake_until_a_fixture_is_used() -> None:
    import subprocess
    import sys

    code = (
        "import sys, gewe.testing.pytest_plugin; "
        "heavy = ('aiohttp', 'gewe.testing.fake', 'gewe.events.receiver'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
