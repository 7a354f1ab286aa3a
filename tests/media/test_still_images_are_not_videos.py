"""`send_video` refuses what is not a moving picture: a still image (JPEG, PNG, WebP), a GIF, an
MP4 of a single frame, an audio file whose only picture is its cover; it is a GeweMediaError before
anything is published, as audio without any picture ("the video has no video stream") already is."""

from __future__ import annotations

import asyncio
import io
import struct
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from gewe import AsyncGeweClient, GeweClient, GeweMediaError
from gewe.media import DirectoryMediaHost, set_media_host
from tests.conftest import TOKEN
from tests.support import media_samples

av = pytest.importorskip("av")
pytest.importorskip("pysilk")


def _frames(fmt: str, codec: str, pix: str, count: int = 1, size: tuple[int, int] = (64, 48)) -> bytes:
    """`count` frames encoded with `codec` into the container `fmt`."""
    out = io.BytesIO()
    with av.open(out, "w", format=fmt) as container:
        stream: Any = container.add_stream(codec, rate=10)
        stream.width, stream.height = size
        stream.pix_fmt = pix
        for i in range(count):
            frame = av.VideoFrame(size[0], size[1], "rgb24")
            frame.planes[0].update(bytes([i * 40 % 256, 90, 30]) * (frame.planes[0].buffer_size // 3))
            for packet in stream.encode(frame.reformat(format=pix)):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def _mp3_with_cover() -> bytes:
    """A second of silence as MP3 behind an ID3 tag holding a JPEG cover (APIC), as music files
    carry one: FFmpeg reads the cover as a video stream of one picture, an "attached picture".
    (The tag is written by hand: PyAV before 15 cannot mark a stream as an attached picture.)"""
    cover = _frames("image2pipe", "mjpeg", "yuvj420p", size=(16, 16))
    apic = b"\0" + b"image/jpeg\0" + b"\x03" + b"\0" + cover  # encoding, MIME, front cover, no text
    frame = b"APIC" + struct.pack(">I", len(apic)) + b"\0\0" + apic
    size = len(frame)
    syncsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    out = io.BytesIO()
    with av.open(out, "w", format="mp3") as container:
        audio: Any = container.add_stream("libmp3lame", rate=44_100)
        audio.layout = "mono"
        for start in range(0, 44_100, 1152):
            samples = av.AudioFrame(format="s16", layout="mono", samples=1152)
            samples.planes[0].update(b"\0" * 2304)
            samples.sample_rate, samples.pts, samples.time_base = 44_100, start, Fraction(1, 44_100)
            for packet in audio.encode(samples):
                container.mux(packet)
        for packet in audio.encode(None):
            container.mux(packet)
    return b"ID3\x03\x00\x00" + syncsafe + frame + out.getvalue()


NOT_VIDEOS = {
    "jpeg": (lambda: _frames("image2pipe", "mjpeg", "yuvj420p"), "a still image"),
    "png": (lambda: _frames("image2pipe", "png", "rgb24"), "a still image"),
    "tiny-png": (media_samples.png, "a still image"),
    "gif": (lambda: _frames("gif", "gif", "rgb8", count=5), "an image"),
    "one-frame-mp4": (lambda: _frames("mp4", "mpeg4", "yuv420p", count=1), "a single frame"),
    "one-frame-mkv": (lambda: _frames("matroska", "mpeg4", "yuv420p", count=1), "a single frame"),
    "one-frame-m4v": (lambda: _frames("m4v", "mpeg4", "yuv420p", count=1), "a single frame"),
    # PyAV 15+ reads the cover's disposition ("only a cover picture"); older, its one picture
    "mp3-with-cover": (_mp3_with_cover, "no video stream|a single frame"),
}


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("kind", sorted(NOT_VIDEOS))
@pytest.mark.parametrize("given", ["bytes", "path"])
def test_what_does_not_move_is_refused_before_anything_is_published(
    tmp_path: Path, mode: str, kind: str, given: str
) -> None:
    make, problem = NOT_VIDEOS[kind]
    data = make()
    source: Any = data
    if given == "path":
        source = tmp_path / f"cat.{kind.rsplit('-', 1)[-1]}"
        source.write_bytes(data)
    served = tmp_path / "served"
    served.mkdir()
    host = DirectoryMediaHost(served, "http://127.0.0.1:1/media")
    with pytest.raises(GeweMediaError, match=problem):
        if mode == "sync":
            with GeweClient(token=TOKEN, app_id="wx_app", base_url="http://127.0.0.1:1") as client:
                set_media_host(client, host)
                client.message.send_video("wxid_a", source, duration_s=3)
        else:

            async def main() -> None:
                async with AsyncGeweClient(
                    token=TOKEN, app_id="wx_app", base_url="http://127.0.0.1:1"
                ) as client:
                    set_media_host(client, host)
                    await client.message.send_video("wxid_a", source, duration_s=3)

            asyncio.run(main())
    assert list(served.iterdir()) == []  # nothing published


def test_real_videos_still_read_as_videos() -> None:
    from gewe.media.convert import video_info

    seconds, jpeg = video_info(media_samples.video(3))
    assert seconds == 3 and jpeg is not None and jpeg.startswith(b"\xff\xd8\xff")
    two_frames = _frames("mp4", "mpeg4", "yuv420p", count=2)
    assert video_info(two_frames, thumbnail=False) == (1, None)  # 0.2 s: at least a second
    # containers that count no frames (mkv), or state no length at all (a raw MPEG-4 stream)
    assert video_info(_frames("matroska", "mpeg4", "yuv420p", count=30), thumbnail=False) == (3, None)
    assert video_info(_frames("m4v", "mpeg4", "yuv420p", count=30), thumbnail=False) == (3, None)


def test_the_fake_gewe_refuses_a_still_image_sent_by_url_as_a_video() -> None:
    """A URL is passed through unread; the fake, like GeWe, fetches it and finds no video."""
    from gewe import GeweAPIError
    from gewe.testing import FakeGewe

    with FakeGewe(token=TOKEN, app_id="wx_app") as fake:
        fake.reply("message.postVideo", data={"newMsgId": 1})
        still = fake.serve(_frames("image2pipe", "mjpeg", "yuvj420p"), name="cat.jpg")
        with (
            GeweClient(token=TOKEN, app_id="wx_app", base_url=fake.base_url, max_retries=0) as client,
            pytest.raises(GeweAPIError),
        ):
            client.message.send_video("wxid_a", still, duration_s=3, thumbnail=still)
        (call,) = fake.calls("message.postVideo")
    assert any(p.startswith("videoUrl: the video is a still image") for p in call.problems), call.problems
