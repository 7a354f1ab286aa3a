"""`send_video(..., thumbnail=...)`: a PNG, GIF or WebP thumbnail becomes the JPEG GeWe needs (by
PyAV, the media extra's own encoder); a JPEG is sent as it is; what is not an image is refused."""

from __future__ import annotations

import asyncio
import io
import sys
from pathlib import Path
from typing import Any

import pytest

from gewe import AsyncGeweClient, GeweClient, GeweDependencyError, GeweMediaError
from gewe.media import DirectoryMediaHost, set_media_host
from gewe.media.convert import image_to_jpeg
from tests.conftest import TOKEN
from tests.media.test_send_media import directory_host, fake_gewe
from tests.support import media_samples

av = pytest.importorskip("av")
pytest.importorskip("pysilk")
TO = "wxid_friend01"


def picture(fmt: str, codec: str, pix: str, size: tuple[int, int] = (33, 21)) -> bytes:
    """One picture of an odd size, coloured so its JPEG can be checked."""
    out = io.BytesIO()
    with av.open(out, "w", format=fmt) as container:
        stream: Any = container.add_stream(codec, rate=1)
        stream.width, stream.height = size
        stream.pix_fmt = pix
        frame = av.VideoFrame(size[0], size[1], "rgb24")
        plane = frame.planes[0]
        plane.update(bytes([200, 40, 40]) * (plane.buffer_size // 3))
        for packet in stream.encode(frame.reformat(format=pix)):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def jpeg_size(data: bytes) -> tuple[int, int]:
    with av.open(io.BytesIO(data)) as container:
        frame = next(container.decode(video=0))
        assert container.streams.video[0].codec_context.name == "mjpeg"
        return frame.width, frame.height


THUMBNAILS = {
    "png": lambda: picture("image2pipe", "png", "rgb24"),
    "gif": lambda: picture("gif", "gif", "rgb8"),
    "tiny-png": media_samples.png,  # 1x1
}


@pytest.mark.parametrize("kind", sorted(THUMBNAILS))
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_image_thumbnail_becomes_a_jpeg(tmp_path: Path, kind: str, mode: str) -> None:
    thumb = tmp_path / f"thumb.{kind}"
    thumb.write_bytes(THUMBNAILS[kind]())
    video = media_samples.video(2)
    served = tmp_path / "served"
    served.mkdir()
    with directory_host(served) as (host, held), fake_gewe() as fake:
        if mode == "sync":
            with GeweClient(token=TOKEN, app_id="wx_app", base_url=fake.base_url) as client:
                client.message.send_video(TO, video, thumbnail=thumb, host=host)
        else:

            async def main() -> None:
                async with AsyncGeweClient(token=TOKEN, app_id="wx_app", base_url=fake.base_url) as client:
                    await client.message.send_video(TO, video, thumbnail=thumb, host=host)

            asyncio.run(main())
        (sent,) = fake.calls("message.postVideo")
        assert sent.problems == ()  # the fake checked a JPEG thumbnail and a 2 s video, as GeWe does
        assert sent["videoDuration"] == 2 and sent["thumbUrl"].endswith("thumb.jpg")
        (jpeg,) = [f.content for f in fake.fetched if f.field == "thumbUrl"]
        assert held() == 0
    width, height = jpeg_size(jpeg)
    if kind == "tiny-png":
        assert (width, height) == (2, 2)  # the smallest the encoder takes
    else:
        assert (width, height) == (32, 20)  # even sides, as the encoder wants


def test_a_jpeg_thumbnail_is_sent_as_it_is(tmp_path: Path) -> None:
    jpeg = picture("image2pipe", "mjpeg", "yuvj420p")
    served = tmp_path / "served"
    served.mkdir()
    with directory_host(served) as (host, _), fake_gewe() as fake:
        with GeweClient(token=TOKEN, app_id="wx_app", base_url=fake.base_url) as client:
            client.message.send_video(TO, media_samples.video(2), thumbnail=jpeg, host=host)
        assert fake.calls("message.postVideo")[0].problems == ()
        assert [f.content for f in fake.fetched if f.field == "thumbUrl"] == [jpeg]


def test_a_thumbnail_that_is_not_an_image_is_refused(tmp_path: Path) -> None:
    host = DirectoryMediaHost(tmp_path, "http://127.0.0.1:1/m")
    with GeweClient(token=TOKEN, app_id="wx_app", base_url="http://127.0.0.1:1") as client:
        set_media_host(client, host)
        with pytest.raises(GeweMediaError, match="thumbnail is not a JPEG, PNG, GIF or WebP"):
            client.message.send_video(TO, media_samples.video(2), thumbnail=b"%PDF-1.7 not a picture")
    assert list(tmp_path.iterdir()) == []


def test_without_the_media_extra_a_png_thumbnail_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "av", None)
    with pytest.raises(GeweDependencyError, match=r"pip install 'gewe-sdk\[media\]'.*or give a JPEG"):
        image_to_jpeg(media_samples.png(), "the video thumbnail")
