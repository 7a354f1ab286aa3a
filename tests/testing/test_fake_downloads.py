"""A bot's download works against the fake out of the box: each download operation (any whose
example reply has `data.fileUrl`) answers a URL the fake serves itself, with media of the right
kind, so `gewe_client.message.download(event)` returns a JPEG, SILK (WAV with `wav=True`), an MP4 or a
file's bytes; a test's own `gewe_fake.reply(...)` still wins."""

from __future__ import annotations

import sys
import wave
from importlib import resources
from io import BytesIO
from pathlib import Path

import pytest

from gewe import GeweAPIError, GeweClient, GeweDependencyError
from gewe.events import MessageEvent, parse_event
from gewe.media import image_type
from gewe.testing import FakeGewe, pushes

SAMPLES = resources.files("gewe.testing").joinpath("samples")
# the tests take the plugin's fixtures (gewe_fake, gewe_client), as a user's test does


def event(push: dict[str, object]) -> MessageEvent:
    found = parse_event(push)
    assert isinstance(found, MessageEvent)
    return found


def test_an_image_downloads_as_a_jpeg(gewe_fake: FakeGewe, gewe_client: GeweClient, tmp_path: Path) -> None:
    saved = gewe_client.message.download(event(pushes.image()), to=tmp_path / "a.jpg")
    assert isinstance(saved, Path)
    assert image_type(saved.read_bytes()) == ("image/jpeg", ".jpg")
    [call] = gewe_fake.calls("message.downloadImage")
    assert call.problems == () and call["type"] == 1  # high definition first, as GeWe offers


def test_a_voice_downloads_as_silk_and_decodes_to_the_length_the_push_states(
    gewe_fake: FakeGewe, gewe_client: GeweClient
) -> None:
    voice = event(pushes.voice())
    data = gewe_client.message.download(voice)
    assert isinstance(data, bytes) and data.startswith((b"#!SILK_V3", b"\x02#!SILK_V3"))
    pytest.importorskip("pysilk")
    wav = gewe_client.message.download(voice, wav=True)
    assert isinstance(wav, bytes)
    with wave.open(BytesIO(wav)) as w:
        assert round(w.getnframes() / w.getframerate() * 1000) == 2500  # pushes.voice()'s voicelength
    assert [c.problems for c in gewe_fake.calls("message.downloadVoice")] == [(), ()]


def test_without_the_media_extra_wav_says_what_to_install(
    gewe_fake: FakeGewe, gewe_client: GeweClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pysilk", None)  # as if silk-python were not installed
    with pytest.raises(GeweDependencyError, match=r"pip install 'gewe-sdk\[media\]'"):
        gewe_client.message.download(event(pushes.voice()), wav=True)


def test_a_video_downloads_as_an_mp4_of_the_length_the_push_states(
    gewe_fake: FakeGewe, gewe_client: GeweClient
) -> None:
    data = gewe_client.message.download(event(pushes.video()))
    assert isinstance(data, bytes) and data[4:8] == b"ftyp"  # an MP4
    pytest.importorskip("av")
    from gewe.media.convert import video_info

    seconds, thumbnail = video_info(data)
    assert seconds == 12 and thumbnail is not None  # pushes.video()'s playlength


def test_a_file_downloads_as_bytes(gewe_fake: FakeGewe, gewe_client: GeweClient) -> None:
    data = gewe_client.message.download(event(pushes.file()))
    assert data == SAMPLES.joinpath("file.txt").read_bytes() and data


def test_a_tests_own_reply_wins(gewe_fake: FakeGewe, gewe_client: GeweClient) -> None:
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
        "3a7e9b550000000a49444154789c63600000000200015cd9e96e0000000049454e44ae426082"
    )
    gewe_fake.reply("message.downloadImage", data={"fileUrl": gewe_fake.serve(png, name="mine.png")})
    assert gewe_client.message.download(event(pushes.image())) == png
    gewe_fake.fail("message.downloadVideo", msg="下载失败")
    with pytest.raises(GeweAPIError, match="下载失败"):
        gewe_client.message.download(event(pushes.video()))


async def test_any_download_operation_of_a_spec_is_served_by_its_reply_not_its_name() -> None:
    """Found by the `fileUrl` in the example reply; the kind by the operation's name."""
    cdn = {"ret": 200, "msg": "ok", "data": {"fileUrl": "https://cdn.example.com/x", "size": 3}}
    operations = {
        "message.downloadEmojiImg": {"path": "/gewe/v2/api/message/downloadEmojiImg", "reply": cdn},
        "message.fetchAudio": {"path": "/gewe/v2/api/message/fetchAudio", "reply": cdn},
        "message.getCdnThing": {"path": "/gewe/v2/api/message/getCdnThing", "reply": cdn},
        "message.postText": {
            "path": "/gewe/v2/api/message/postText",
            "reply": {"ret": 200, "data": {"a": 1}},
        },
    }
    import aiohttp

    async with FakeGewe(operations=operations, validate=False) as fake, aiohttp.ClientSession() as http:

        async def reply(op: str) -> dict[str, object]:
            url = fake.base_url + str(operations[op]["path"])
            async with http.post(url, json={}, headers={"X-GEWE-TOKEN": fake.token}) as resp:
                body: dict[str, object] = await resp.json()
                return body

        async def get(url: str) -> bytes:
            async with http.get(url) as resp:
                assert resp.status == 200
                return await resp.read()

        got = {op: await reply(op) for op in operations}
        assert got["message.postText"] == operations["message.postText"]["reply"]  # not a download
        urls = {op: got[op]["data"]["fileUrl"] for op in operations if op != "message.postText"}  # type: ignore[index]
        assert all(url.startswith(fake.base_url) for url in urls.values())
        assert got["message.fetchAudio"]["data"]["size"] == 3  # type: ignore[index]  # the rest kept
        assert image_type(await get(urls["message.downloadEmojiImg"])) == ("image/jpeg", ".jpg")
        assert (await get(urls["message.fetchAudio"])).startswith(b"\x02#!SILK_V3")
        assert await get(urls["message.getCdnThing"]) == SAMPLES.joinpath("file.txt").read_bytes()
        fake.reset()  # forgets what tests served, not the fake's own files
        assert image_type(await get(urls["message.downloadEmojiImg"])) is not None
        async with http.get(fake.base_url + "/_fake/files/samples/nope.jpg") as missing:
            assert missing.status == 404


def test_the_samples_are_what_they_say() -> None:
    """tools/fake_samples.py made them; decoded here with the libraries a user's bot uses."""
    assert image_type(SAMPLES.joinpath("image.jpg").read_bytes()) == ("image/jpeg", ".jpg")
    pytest.importorskip("av")
    pytest.importorskip("pysilk")
    from gewe.media.convert import silk_duration_ms, video_info

    assert silk_duration_ms(SAMPLES.joinpath("voice.silk").read_bytes()) == 2500
    assert video_info(SAMPLES.joinpath("video.mp4").read_bytes())[0] == 12
