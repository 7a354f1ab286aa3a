"""FakeGewe checks the media of a send as GeWe does: a user's test of `client.message.send_voice`,
`send_video`, `send_image` or `send_file` fails the way GeWe would (GeWe's failure envelope, a
typed error at the call, the reason in `fake.calls(op)[i].problems`)."""

from __future__ import annotations

import sys

import pytest

from gewe import GeweAPIError, GeweClient
from gewe.testing import FakeGewe
from tests.support import media_samples
from tools.servers import LOOPBACK, free_port

TO = "wxid_friend01"


@pytest.fixture
def fake(gewe_fake: FakeGewe) -> FakeGewe:
    return gewe_fake  # the plugin's fixtures, as a user's test has them


@pytest.fixture
def client(gewe_client: GeweClient) -> GeweClient:
    return gewe_client


def silk(seconds: float) -> bytes:
    pytest.importorskip("av")
    pytest.importorskip("pysilk")
    from gewe.media.convert import to_silk

    data, ms = to_silk(media_samples.wav(seconds))
    assert ms == round(seconds * 1000)
    return data


def jpeg() -> bytes:
    pytest.importorskip("av")
    from gewe.media.convert import video_info

    _, thumb = video_info(media_samples.video(1))
    assert thumb is not None
    return thumb


def test_a_voice_whose_stated_length_is_wrong_fails(fake: FakeGewe, client: GeweClient) -> None:
    url = fake.serve(silk(1.0), name="v.silk")
    client.message.send_voice(TO, url, duration_ms=1020)  # within 5 %: GeWe takes it
    with pytest.raises(GeweAPIError, match="voiceDuration is 10000 ms, but the SILK lasts 1000 ms") as err:
        client.message.send_voice(TO, url, duration_ms=10_000)
    assert err.value.ret == 500
    ok, wrong = fake.calls("message.postVoice")
    assert ok.problems == ()
    assert wrong.problems == ("voiceUrl: voiceDuration is 10000 ms, but the SILK lasts 1000 ms",)
    assert [f.content for f in fake.fetched] == [fake.fetched[0].content] * 2


def test_a_voice_that_is_not_silk_fails(fake: FakeGewe, client: GeweClient) -> None:
    with pytest.raises(GeweAPIError, match="not SILK audio"):
        client.message.send_voice(TO, fake.serve(media_samples.wav(0.5)), duration_ms=500)
    assert fake.calls("message.postVoice")[0].problems[0].startswith("voiceUrl: not SILK audio")


def test_a_png_thumbnail_fails_a_video(fake: FakeGewe, client: GeweClient) -> None:
    pytest.importorskip("av")
    video = fake.serve(media_samples.video(3), name="clip.mp4")
    client.message.send_video(TO, video, thumbnail=fake.serve(jpeg()), duration_s=3)
    with pytest.raises(GeweAPIError, match="thumbnail is image/png, not a JPEG"):
        client.message.send_video(TO, video, thumbnail=fake.serve(media_samples.png()), duration_s=3)
    with pytest.raises(GeweAPIError, match=r"videoDuration is 30 s, but the video lasts 3\.00 s"):
        client.message.send_video(TO, video, thumbnail=fake.serve(jpeg()), duration_s=30)
    assert [c.problems for c in fake.calls("message.postVideo")] == [
        (),
        ("thumbUrl: the video thumbnail is image/png, not a JPEG",),
        ("videoUrl: videoDuration is 30 s, but the video lasts 3.00 s",),
    ]


def test_an_unfetchable_url_fails_the_send(fake: FakeGewe, client: GeweClient) -> None:
    nobody = f"http://{LOOPBACK}:{free_port()}/cat.png"  # nothing listens there
    with pytest.raises(GeweAPIError, match=r"imgUrl 文件下载失败 \(no answer\)"):
        client.message.send_image(TO, nobody)
    with pytest.raises(GeweAPIError, match=r"fileUrl 文件下载失败 \(HTTP 404\)"):
        client.message.send_file(TO, fake.base_url + "/_fake/files/none/report.pdf")
    assert fake.calls("message.postImage")[0].problems == ("imgUrl 文件下载失败 (no answer)",)
    assert [(f.field, f.status) for f in fake.fetched] == [("imgUrl", None), ("fileUrl", 404)]


def test_images_must_be_images_and_files_may_be_anything(fake: FakeGewe, client: GeweClient) -> None:
    client.message.send_image(TO, fake.serve(media_samples.png(), name="a.png"))
    client.message.send_file(TO, fake.serve(b"%PDF-1.7 whatever", name="r.pdf"))
    with pytest.raises(GeweAPIError, match="imgUrl: not an image"):
        client.message.send_image(TO, fake.serve(b"%PDF-1.7 not an image"))
    assert [c.problems for c in fake.calls()] == [(), (), ("imgUrl: not an image (JPEG, PNG, GIF or WebP)",)]


def test_without_the_media_extra_the_fake_says_so(
    fake: FakeGewe, client: GeweClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = fake.serve(silk(1.0))
    monkeypatch.setitem(sys.modules, "pysilk", None)  # the fake runs in this process
    with pytest.raises(GeweAPIError, match=r"cannot check voiceUrl.*pip install 'gewe-sdk\[media\]'"):
        client.message.send_voice(TO, url, duration_ms=1000)
    fake.check_media = False  # the explicit way out: fetched, not checked
    client.message.send_voice(TO, url, duration_ms=10_000)
    assert [len(c.problems) for c in fake.calls("message.postVoice")] == [1, 0]


def test_served_files_are_gets_only_and_forgotten_on_reset(fake: FakeGewe) -> None:
    import httpx

    url = fake.serve(b"\x89PNG\r\n\x1a\nrest", name="a b.png", content_type="image/png")
    assert url.endswith("/a_b.png")
    got = httpx.get(url, timeout=5)
    assert (got.status_code, got.content, got.headers["content-type"]) == (
        200,
        b"\x89PNG\r\n\x1a\nrest",
        "image/png",
    )
    assert httpx.post(url, timeout=5).status_code == 405
    fake.reset()
    assert httpx.get(url, timeout=5).status_code == 404
    assert fake.calls() == []  # fetching a served file is not a call
