"""set_callback against gewe.testing.FakeGewe, which does what GeWe does: test the URL, then answer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gewe import AsyncGeweClient, GeweAPIError, GeweClient, GeweConfigError, GeweEventError
from gewe.events import Receiver, callback_url, secret_path, set_callback
from gewe.testing import FakeGewe
from tools.servers import free_port

TOKEN = "tok-SECRET-5f3a9c"
SET = "login.setCallback"


@pytest.fixture
async def gewe() -> AsyncIterator[FakeGewe]:
    async with FakeGewe(token=TOKEN) as fake:
        yield fake


async def test_listens_first_then_sets_the_url_and_sees_the_test_message(gewe: FakeGewe) -> None:
    receiver = Receiver(lambda e: None, path="/gewe/s3cret-path-7c1e9a4b")
    port = free_port()
    async with AsyncGeweClient(token=TOKEN, base_url=gewe.base_url, max_retries=0) as client:
        # a public URL without a path (as behind a proxy): the receiver's secret path is appended
        url = await set_callback(client, receiver, f"http://127.0.0.1:{port}", port=port)
    assert receiver.url == url == f"http://127.0.0.1:{port}/gewe/s3cret-path-7c1e9a4b"
    await receiver.stop()
    assert gewe.calls(SET) == [{"token": TOKEN, "callbackUrl": url}] and gewe.calls(SET)[0].problems == ()
    assert gewe.callback_url == url and receiver.last_ping is not None  # the test message arrived


async def test_with_a_public_url_that_reaches_the_receiver(gewe: FakeGewe) -> None:
    receiver = Receiver(lambda e: None, path=secret_path())
    local = await receiver.start()
    with GeweClient(token=TOKEN, base_url=gewe.base_url, max_retries=0) as client:  # the sync client too
        assert await set_callback(client, receiver, local) == local
    await receiver.stop()
    assert gewe.callback_url == local and receiver.last_ping is not None


async def test_a_url_gewe_cannot_reach_is_gewes_error(gewe: FakeGewe) -> None:
    receiver = Receiver(lambda e: None, path=secret_path())
    async with AsyncGeweClient(token=TOKEN, base_url=gewe.base_url, max_retries=0) as client:
        with pytest.raises(GeweAPIError) as info:
            await set_callback(client, receiver, "http://127.0.0.1:1/nothing-here")
    await receiver.stop()
    assert info.value.ret == 500 and TOKEN not in str(info.value) and gewe.callback_url is None


async def test_no_test_message_is_a_gewe_event_error(gewe: FakeGewe) -> None:
    # GeWe accepts the URL but its test message never reaches this receiver (e.g. a public URL
    # leading elsewhere): here setCallback answers as usual without posting anything
    gewe.reply(SET, data=None)
    receiver = Receiver(lambda e: None, path=secret_path())
    async with AsyncGeweClient(token=TOKEN, base_url=gewe.base_url, max_retries=0) as client:
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
