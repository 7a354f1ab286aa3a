"""Sending local media through every media host to `gewe.testing.FakeGewe`, which, like GeWe,
downloads the URL it is given over real HTTP and checks the bytes (an image, SILK and its length, a
video's length and JPEG thumbnail); each host holds nothing once the send returned."""

from __future__ import annotations

import asyncio
import functools
import http.server
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from gewe import AsyncGeweClient, GeweClient, GeweDependencyError, GeweMediaError
from gewe.events import Receiver, secret_path
from gewe.media import DirectoryMediaHost, Hosted, ReceiverMediaHost, set_media_host
from gewe.media.convert import silk_duration_ms
from gewe.testing import FakeGewe
from tests.conftest import TOKEN
from tests.support import media_samples

pytest.importorskip("av")
pytest.importorskip("pysilk")

TO = "wxid_friend01"
NEW_MSG_ID = 9_123_456_789_012_345_678  # beyond 2**53
SENDS = ("message.postImage", "message.postVoice", "message.postVideo", "message.postFile")


@contextmanager
def fake_gewe() -> Iterator[FakeGewe]:
    """The fake GeWe, answering each send as GeWe does (createTime and type null)."""
    with FakeGewe(token=TOKEN, app_id="wx_app") as fake:
        for op in SENDS:
            data = {
                "toWxid": TO,
                "createTime": None,
                "msgId": 769533801,
                "newMsgId": NEW_MSG_ID,
                "type": None,
            }
            fake.reply(op, data=data)
        yield fake


class LoopThread:
    """An event loop in a thread, for the aiohttp servers the sync tests fetch from."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@contextmanager
def receiver_host() -> Iterator[tuple[ReceiverMediaHost, Callable[[], int]]]:
    """The media served by a running Receiver (the bot's own server, as GeWe's pushes are)."""
    loop = LoopThread()
    host = ReceiverMediaHost("http://127.0.0.1:1", ttl=60)  # the public URL is known once listening
    receiver = Receiver(lambda e: None, path=secret_path(), media=host)
    try:
        url = loop.run(_start(receiver))
        host.public_url = url.split("/gewe/")[0]
        yield host, lambda: len(host)
    finally:
        loop.run(receiver.stop())
        loop.close()


async def _start(receiver: Receiver) -> str:
    return await receiver.start("127.0.0.1", 0)


@contextmanager
def directory_host(tmp: Path) -> Iterator[tuple[DirectoryMediaHost, Callable[[], int]]]:
    """A folder served by a plain web server (the user's nginx, here http.server)."""
    handler = functools.partial(_QuietFiles, directory=str(tmp))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=lambda: server.serve_forever(poll_interval=0.05), daemon=True)
    thread.start()
    try:
        host = DirectoryMediaHost(tmp, f"http://127.0.0.1:{server.server_address[1]}/", ttl=60)
        yield host, lambda: len(list(tmp.iterdir()))
    finally:
        server.shutdown()
        server.server_close()


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class RecordingHost:
    """A host of one's own (the MediaHost protocol): wraps another, recording what it did."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.published: list[tuple[str, str, int]] = []
        self.removed: list[str] = []

    def publish(self, data: bytes, *, name: str, content_type: str) -> Hosted:
        self.published.append((name, content_type, len(data)))
        hosted: Hosted = self.inner.publish(data, name=name, content_type=content_type)
        return hosted

    def remove(self, hosted: Hosted) -> None:
        self.removed.append(hosted.key)
        self.inner.remove(hosted)

    def __len__(self) -> int:
        return len(self.published) - len(self.removed)


@pytest.fixture(params=["receiver", "directory", "protocol"])
def host(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, Callable[[], int]]]:
    if request.param == "receiver":
        with receiver_host() as found:
            yield found
    elif request.param == "directory":
        with directory_host(tmp_path) as found:
            yield found
    else:
        with directory_host(tmp_path) as (inner, _):
            recording = RecordingHost(inner)
            yield recording, lambda: len(recording)


def send_all(fake: FakeGewe, host: Any, mode: str, tmp_path: Path) -> list[Any]:
    """An image (bytes), a voice (a wav path), a video (bytes) and a file (a path), sync or async."""
    voice = tmp_path.parent / "hello.wav"
    voice.write_bytes(media_samples.audio("wav", 1.6))
    doc = tmp_path.parent / "report.txt"
    doc.write_bytes(b"quarterly numbers\n" * 100)
    video = media_samples.video(3)

    if mode == "sync":
        with GeweClient(token=TOKEN, app_id="wx_app", base_url=fake.base_url) as client:
            set_media_host(client, host)
            m = client.message
            return [
                m.send_image(TO, media_samples.png()),
                m.send_voice(TO, voice),
                m.send_video(TO, video),
                m.send_file(TO, doc),
            ]

    async def main() -> list[Any]:
        async with AsyncGeweClient(token=TOKEN, app_id="wx_app", base_url=fake.base_url) as client:
            set_media_host(client, host)
            m = client.message
            return [
                await m.send_image(TO, media_samples.png()),
                await m.send_voice(TO, voice),
                await m.send_video(TO, video),
                await m.send_file(TO, doc, name="Q3 report.txt"),
            ]

    return asyncio.run(main())


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_local_media_reach_gewe_through_each_host(
    host: tuple[Any, Callable[[], int]], mode: str, tmp_path: Path
) -> None:
    media_host, held = host
    with fake_gewe() as fake:
        replies = send_all(fake, media_host, mode, tmp_path)
    assert [r.new_msg_id for r in replies] == [NEW_MSG_ID] * 4  # beyond 2**53, exact
    assert all(r.create_time is None for r in replies)  # GeWe's null, kept optional
    calls = fake.calls()
    assert [(c.op, c.problems) for c in calls] == [(op, ()) for op in SENDS]  # every check passed
    fetched = {f.field: f.content for f in fake.fetched}
    assert sorted(fetched) == ["fileUrl", "imgUrl", "thumbUrl", "videoUrl", "voiceUrl"]
    assert fetched["imgUrl"] == media_samples.png()
    voice = fake.calls("message.postVoice")[0]
    assert voice["voiceUrl"].endswith(".silk") and voice["voiceDuration"] == 1600
    assert silk_duration_ms(fetched["voiceUrl"]) == 1600  # what GeWe got is as long as stated
    video = fake.calls("message.postVideo")[0]
    assert video["videoDuration"] == 3 and fetched["thumbUrl"].startswith(b"\xff\xd8\xff")
    file_body = fake.calls("message.postFile")[0]
    assert file_body["fileName"] == ("report.txt" if mode == "sync" else "Q3 report.txt")
    assert fetched["fileUrl"] == b"quarterly numbers\n" * 100
    assert held() == 0  # every object removed once its send returned
    for fetch in fake.fetched:  # and no longer fetchable
        import httpx

        assert httpx.get(fetch.url, timeout=5).status_code == 404, fetch


@pytest.mark.parametrize("kind", ["wav", "mp3", "ogg", "m4a"])
def test_every_common_audio_format_becomes_silk_of_its_real_length(kind: str, tmp_path: Path) -> None:
    seconds = 2.2
    with directory_host(tmp_path) as (media_host, held), fake_gewe() as fake:
        with GeweClient(token=TOKEN, app_id="wx_app", base_url=fake.base_url) as client:
            client.message.send_voice(TO, media_samples.audio(kind, seconds), host=media_host)
        (sent,) = fake.calls("message.postVoice")
    assert sent.problems == ()  # SILK, as long as stated (within 5 %)
    assert abs(sent["voiceDuration"] - seconds * 1000) <= 0.05 * seconds * 1000
    assert held() == 0


def test_a_wrong_duration_is_what_the_fake_refuses(tmp_path: Path) -> None:
    """The fake's check can fail: a voice sent with a made-up length (as some SDKs hard-code)."""
    from gewe import GeweAPIError

    with (
        directory_host(tmp_path) as (media_host, _),
        fake_gewe() as fake,
        GeweClient(token=TOKEN, app_id="wx_app", base_url=fake.base_url) as client,
        pytest.raises(GeweAPIError),
    ):
        client.message.send_voice(TO, media_samples.audio("wav", 1.0), duration_ms=10_000, host=media_host)
    assert fake.calls("message.postVoice")[0].problems == (
        "voiceUrl: voiceDuration is 10000 ms, but the SILK lasts 1000 ms",
    )


def test_limits_and_bad_media_fail_before_anything_is_uploaded(tmp_path: Path) -> None:
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8\xff" + b"\0" * 5000)
    with directory_host(tmp_path / "..") as (inner, _), fake_gewe() as fake:
        recording = RecordingHost(inner)
        with GeweClient(token=TOKEN, app_id="wx_app", base_url=fake.base_url) as client:
            set_media_host(client, recording)
            with pytest.raises(GeweMediaError, match="over the image limit of 1000 bytes"):
                client.message.send_image(TO, big, max_bytes=1000)
            with pytest.raises(GeweMediaError, match="not a JPEG, PNG, GIF or WebP"):
                client.message.send_image(TO, b"%PDF-1.7 not an image")
            with pytest.raises(GeweMediaError, match="cannot be decoded"):
                client.message.send_voice(TO, b"not audio at all" * 10)
            with pytest.raises(GeweMediaError, match="cannot read the file"):
                client.message.send_file(TO, tmp_path / "missing.txt")
            with pytest.raises(GeweMediaError, match="pass duration_ms"):
                client.message.send_voice(TO, "https://cdn.example.com/a.silk")
    assert recording.published == [] and fake.calls() == []


def test_urls_pass_through_without_a_host() -> None:
    with fake_gewe() as fake, GeweClient(token=TOKEN, app_id="wx_app", base_url=fake.base_url) as client:
        url = fake.serve(media_samples.png(), name="img.png")
        client.message.send_image(TO, url)
    assert fake.calls("message.postImage")[0]["imgUrl"] == url
    assert [f.content for f in fake.fetched] == [media_samples.png()]


def test_no_host_is_a_clear_error() -> None:
    client = GeweClient(token=TOKEN, app_id="wx_app")
    with pytest.raises(GeweMediaError, match="needs a media host"):
        client.message.send_image(TO, media_samples.png())


def test_missing_media_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "av", None)
    client = GeweClient(token=TOKEN, app_id="wx_app")
    set_media_host(client, RecordingHost(None))
    with pytest.raises(GeweDependencyError, match=r"pip install 'gewe-sdk\[media\]'"):
        client.message.send_voice(TO, media_samples.audio("wav", 0.5))


def test_receiver_urls_are_signed_and_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    host = ReceiverMediaHost("https://bot.example.com", secret=b"k" * 32, prefix="/media/abc/", ttl=30)
    hosted = host.publish(b"data", name="a b.jpg", content_type="image/jpeg")
    path = hosted.url.removeprefix("https://bot.example.com")
    assert path.startswith("/media/abc/") and path.endswith("/a_b.jpg")
    assert host.lookup(path) is not None
    token, name = path.removeprefix("/media/abc/").split("/")
    key, expires, sig = token.split(".")
    tampered = sig[:-1] + ("B" if sig.endswith("A") else "A")
    assert host.lookup(f"/media/abc/{key}.{expires}.{tampered}/{name}") is None
    assert host.lookup(f"/media/abc/{key}.{int(expires) + 100}.{sig}/{name}") is None  # extended
    assert host.lookup(f"/media/abc/{key}.{expires}.{sig}/other.jpg") is None
    assert "abc" not in repr(host) and "k" * 8 not in repr(host)
    import time as time_module

    real = time_module.time
    monkeypatch.setattr(time_module, "time", lambda: real() + 31)
    assert host.lookup(path) is None and len(host) == 0  # expired and swept


def test_receiver_host_bounds_what_it_holds() -> None:
    host = ReceiverMediaHost("https://bot.example.com", max_bytes=10)
    host.publish(b"123456", name="a", content_type="x/y")
    with pytest.raises(GeweMediaError, match="max_bytes"):
        host.publish(b"123456", name="b", content_type="x/y")


def test_directory_host_sweeps_what_a_crash_left(tmp_path: Path) -> None:
    import os

    host = DirectoryMediaHost(tmp_path, "https://files.example.com/m", ttl=10)
    old = host.publish(b"old", name="x.jpg", content_type="image/jpeg")
    os.utime(tmp_path / old.key, (0, 0))
    (tmp_path / "not-ours.txt").write_text("keep")
    host.publish(b"new", name="y.jpg", content_type="image/jpeg")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert old.key not in names and "not-ours.txt" in names and len(names) == 2


async def test_receiver_host_on_its_own_server() -> None:
    import aiohttp

    host = ReceiverMediaHost("http://127.0.0.1:1", prefix="/m/s3cret/")
    local = await host.start()
    try:
        host.public_url = local
        hosted = host.publish(b"\xff\xd8\xffjpeg", name="p.jpg", content_type="image/jpeg")
        async with aiohttp.ClientSession() as http:
            async with http.get(hosted.url) as ok:
                assert (ok.status, await ok.read(), ok.content_type) == (
                    200,
                    b"\xff\xd8\xffjpeg",
                    "image/jpeg",
                )
            async with http.post(hosted.url) as post:
                assert post.status == 405
            async with http.get(hosted.url.replace("/p.jpg", "/q.jpg")) as other:
                assert other.status == 404
            host.remove(hosted)
            async with http.get(hosted.url) as gone:
                assert gone.status == 404
        assert host.served == 1
    finally:
        await host.stop()
