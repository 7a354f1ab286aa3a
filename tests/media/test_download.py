"""`client.message.download(event)`, `reply` and `text_without_mentions`, against
`gewe.testing.FakeGewe` (a download's `fileUrl` is what the fake serves, as GeWe's CDN)."""

from __future__ import annotations

import asyncio
import wave
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from gewe import AsyncGeweClient, GeweAPIError, GeweClient, GeweMediaError
from gewe.events import parse_event
from gewe.events.mentions import strip_leading_mentions
from gewe.events.models import FileEvent, FileNoticeEvent, ImageEvent, TextEvent, VideoEvent, VoiceEvent
from gewe.testing import FakeGewe
from tests.conftest import TOKEN
from tests.support import media_samples

IMG_XML = '<msg><img aeskey="6b6f" length="48213" md5="9e10" /></msg>'
NEW_MSG_ID = 9_123_456_789_012_345_678


def fake_gewe() -> FakeGewe:
    return FakeGewe(token=TOKEN, app_id="wx_app")


def downloads(fake: FakeGewe, op: str, data: bytes, name: str = "media") -> None:
    """`op` answers a fileUrl where the fake serves `data`."""
    fake.reply(op, data={"fileUrl": fake.serve(data, name=name)})


def image_event() -> ImageEvent:
    return ImageEvent(app_id="wx_app", msg_id=11, new_msg_id=9_000_000_000_000_000_001, content=IMG_XML)


def download(fake: FakeGewe, mode: str, event: Any, **kw: Any) -> Any:
    if mode == "sync":
        with GeweClient(token=TOKEN, app_id="wx_app", base_url=fake.base_url) as client:
            return client.message.download(event, **kw)

    async def main() -> Any:
        async with AsyncGeweClient(token=TOKEN, app_id="wx_app", base_url=fake.base_url) as client:
            return await client.message.download(event, **kw)

    return asyncio.run(main())


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_an_image_falls_back_to_the_sizes_that_exist(mode: str) -> None:
    with fake_gewe() as fake:
        fake.fail("message.downloadImage", msg="图片不存在", times=1)  # no high-definition size
        downloads(fake, "message.downloadImage", media_samples.png())
        data = download(fake, mode, image_event())
    assert data == media_samples.png()
    assert [b["type"] for b in fake.calls("message.downloadImage")] == [1, 2]
    assert fake.calls("message.downloadImage")[0]["xml"] == IMG_XML


def test_an_image_in_no_size_raises_the_last_error(mode: str) -> None:
    with fake_gewe() as fake:
        fake.fail("message.downloadImage", msg="图片不存在")
        with pytest.raises(GeweAPIError, match="图片不存在"):
            download(fake, mode, image_event())
    assert [b["type"] for b in fake.calls("message.downloadImage")] == [1, 2, 3]


def test_voice_as_silk_or_wav(mode: str, tmp_path: Path) -> None:
    pytest.importorskip("pysilk")
    from gewe.media.convert import to_silk

    silk, ms = to_silk(media_samples.wav(1.2))
    event = VoiceEvent(app_id="wx_app", msg_id=769533802, content="<msg><voicemsg voicelength='1200'/></msg>")
    with fake_gewe() as fake:
        downloads(fake, "message.downloadVoice", silk, "v.silk")
        assert download(fake, mode, event) == silk
        target = download(fake, mode, event, wav=True, to=tmp_path / "v.wav")
    assert fake.calls("message.downloadVoice")[0]["msgId"] == 769533802
    assert target == tmp_path / "v.wav"
    with wave.open(BytesIO(target.read_bytes())) as w:
        assert abs(w.getnframes() / w.getframerate() * 1000 - ms) < 30
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.wav"]  # no temporary file left


def test_video_and_file_written_atomically(mode: str, tmp_path: Path) -> None:
    video_bytes = b"\0\0\0\x18ftypmp42" + b"v" * 1000
    file_bytes = b"%PDF-1.7\n" + b"f" * 1000
    with fake_gewe() as fake:
        downloads(fake, "message.downloadVideo", video_bytes, "v.mp4")
        downloads(fake, "message.downloadFile", file_bytes, "r.pdf")
        video = download(fake, mode, VideoEvent(app_id="wx_app", content="<msg><videomsg/></msg>"))
        path = download(
            fake, mode, FileEvent(app_id="wx_app", content="<msg><appmsg/></msg>"), to=tmp_path / "r.pdf"
        )
    assert video == video_bytes
    assert path.read_bytes() == file_bytes


def test_over_the_limit_nothing_is_written(mode: str, tmp_path: Path) -> None:
    target = tmp_path / "big.bin"
    with fake_gewe() as fake:
        downloads(fake, "message.downloadFile", b"x" * 5000)
        with pytest.raises(GeweMediaError, match=r"over max_bytes \(1000 bytes\)"):
            download(fake, mode, FileEvent(app_id="wx_app", content="<msg/>"), to=target, max_bytes=1000)
    assert list(tmp_path.iterdir()) == []


def test_events_without_media_are_clear_errors() -> None:
    client = GeweClient(token=TOKEN, app_id="wx_app")
    with pytest.raises(GeweMediaError, match="still uploading"):
        client.message.download(FileNoticeEvent(content="<msg/>"))  # type: ignore[arg-type]
    with pytest.raises(GeweMediaError, match="nothing to download"):
        client.message.download(TextEvent(text="hi"))
    with pytest.raises(GeweMediaError, match="no XML content"):
        client.message.download(ImageEvent(content=None))


GROUP_PUSH = {
    "TypeName": "AddMsg",
    "Appid": "wx_app",
    "Wxid": "wxid_bot",
    "Data": {
        "MsgId": 1,
        "NewMsgId": 9_123_456_789_012_345_678,
        "FromUserName": {"string": "34757816141@chatroom"},
        "ToUserName": {"string": "wxid_bot"},
        "MsgType": 1,
        "Content": {"string": "wxid_alice:\n@Bot\u2005 @Carol\u2005what time is it?"},
        "CreateTime": 1733462400,
        "MsgSource": "<msgsource><atuserlist>wxid_bot,wxid_carol</atuserlist></msgsource>",
        "PushContent": "Alice : @Bot what time is it?",
    },
}


def test_text_without_mentions() -> None:
    event = parse_event(GROUP_PUSH)
    assert isinstance(event, TextEvent) and event.mentions_me
    assert event.text_without_mentions == "what time is it?"
    assert strip_leading_mentions(event.text or "", names=["Bot"]) == "@Carol\u2005what time is it?"
    not_me = TextEvent(text="@Carol\u2005hi", mentions=("wxid_carol",))
    assert not_me.text_without_mentions == "@Carol\u2005hi"  # only this account's mentions go
    assert TextEvent(text="@Bot\u2005", mentions_me=True).text_without_mentions == ""
    assert TextEvent(text="email me @ home", mentions_me=True).text_without_mentions == "email me @ home"
    assert ImageEvent().text_without_mentions is None


def test_reply_answers_in_the_chat_and_mentions_the_sender(mode: str) -> None:
    event = parse_event(GROUP_PUSH)
    assert isinstance(event, TextEvent)
    with fake_gewe() as fake:
        fake.reply("message.postText", data={"toWxid": "34757816141@chatroom", "newMsgId": NEW_MSG_ID})
        if mode == "sync":
            with GeweClient(token=TOKEN, base_url=fake.base_url) as client:
                sent = client.message.reply(event, "noon", mention_sender=True)
                client.message.reply(event, "plain")
        else:

            async def main() -> Any:
                async with AsyncGeweClient(token=TOKEN, base_url=fake.base_url) as client:
                    first = await client.message.reply(event, "noon", mention_sender=True)
                    await client.message.reply(event, "plain")
                    return first

            sent = asyncio.run(main())
    assert sent.new_msg_id == NEW_MSG_ID
    first, second = fake.calls("message.postText")
    assert first == {
        "appId": "wx_app",
        "toWxid": "34757816141@chatroom",
        "content": "@Alice\u2005noon",
        "ats": "wxid_alice",
    }
    assert second == {"appId": "wx_app", "toWxid": "34757816141@chatroom", "content": "plain"}
