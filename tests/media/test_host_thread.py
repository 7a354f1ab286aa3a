"""`ReceiverMediaHost.serving()`: sync code hosts its own local media on a server running on a
thread and event loop of its own, started and stopped within a timeout, gone when the block ends."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading

import httpx
import pytest

from gewe import GeweClient, GeweConfigError, GeweMediaError
from gewe.media import ReceiverMediaHost, set_media_host
from gewe.testing import FakeGewe
from tests.support import media_samples

TO = "wxid_friend01"


def host_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "gewe-media-host"]


def test_plain_sync_code_sends_local_media_through_it() -> None:
    host = ReceiverMediaHost("http://127.0.0.1:1", ttl=60)  # the public URL is known once listening
    with (
        host.serving() as local,
        FakeGewe() as fake,
        GeweClient(token=fake.token, app_id=fake.app_id, base_url=fake.base_url) as client,
    ):
        assert local.startswith("http://127.0.0.1:") and len(host_threads()) == 1
        host.public_url = local
        set_media_host(client, host)
        client.message.send_image(TO, media_samples.png())
        client.message.send_file(TO, b"minutes\n" * 50, name="minutes.txt")
        assert len(host) == 0  # removed once each send returned
        (image, document) = fake.fetched
        assert (image.status, image.content) == (200, media_samples.png())
        assert (document.status, document.content) == (200, b"minutes\n" * 50)
        assert httpx.get(image.url, timeout=5).status_code == 404  # removed, so no longer served
        assert [c.problems for c in fake.calls()] == [(), ()]
        assert host.served == 2
    assert host_threads() == []  # stopped on leaving the block
    with pytest.raises(httpx.ConnectError):
        httpx.get(local + "/", timeout=5)


def test_it_can_serve_again_after_the_block() -> None:
    host = ReceiverMediaHost("https://bot.example.com", prefix="/m/k/")
    for _ in range(2):
        with host.serving() as local:
            hosted = host.publish(b"GIF89a...", name="a.gif", content_type="image/gif")
            path = hosted.url.removeprefix("https://bot.example.com")
            assert httpx.get(local + path, timeout=5).content == b"GIF89a..."
    assert host_threads() == []


def test_a_port_in_use_is_a_config_error_and_leaves_no_thread() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        with (
            pytest.raises(GeweConfigError, match=f"cannot listen on 127.0.0.1:{port}"),
            ReceiverMediaHost("https://bot.example.com").serving(port=port),
        ):
            pytest.fail("the block must not run")
    finally:
        taken.close()
    assert host_threads() == []


def test_a_start_that_hangs_ends_at_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    host = ReceiverMediaHost("https://bot.example.com")

    async def hang(*args: object) -> str:
        await asyncio.sleep(3600)
        return "never"

    monkeypatch.setattr(host, "start", hang)
    with (
        pytest.raises(GeweMediaError, match=r"did not start listening on 127\.0\.0\.1:0 within 0\.2 s"),
        host.serving(timeout=0.2),
    ):
        pytest.fail("the block must not run")
    assert host_threads() == []


def test_a_stop_that_hangs_is_logged_and_the_block_still_ends(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    host = ReceiverMediaHost("https://bot.example.com")

    async def hang() -> None:
        await asyncio.sleep(3600)

    with caplog.at_level(logging.WARNING, logger="gewe"), host.serving(timeout=0.5):
        monkeypatch.setattr(host, "stop", hang)
    assert "did not stop cleanly within 0.5 s (NotInTime); its event loop ended anyway" in caplog.text
    assert host_threads() == []  # its loop was stopped anyway


def test_bad_timeouts_are_config_errors() -> None:
    host = ReceiverMediaHost("https://bot.example.com")
    for bad in (0, -1, float("nan"), float("inf"), "5"):
        with (
            pytest.raises(GeweConfigError, match="timeout must be a positive number"),
            host.serving(timeout=bad),  # type: ignore[arg-type]
        ):
            pass
