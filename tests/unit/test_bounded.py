"""Memory stays bounded whatever callers pass: caches keyed by per-call values, and reply bodies."""

from __future__ import annotations

import gc
import gzip
import tracemalloc
import zlib

import httpx
import pytest

from gewe import GeweClient
from gewe.call import Call
from gewe.settings import Timeouts
from gewe.transport.async_default import TIMEOUT_CACHE_SIZE, AiohttpSender
from gewe.transport.body import BodyReader, BodyTooLarge, BodyUndecodable
from tests.conftest import TOKEN

CALLS = 100_000


def test_100000_distinct_timeouts_keep_the_async_sender_flat() -> None:
    sender = AiohttpSender()
    tracemalloc.start()
    try:
        for i in range(1_000):  # warm: the cache full once
            phases = httpx.Timeout(1.0 + i / 1e6, pool=None)
            sender._timeouts(Timeouts(phases, 60.0))
        before = tracemalloc.get_traced_memory()[0]
        for i in range(CALLS):  # a bot passing "time left": every value new
            sender._timeouts(Timeouts(httpx.Timeout(30.0 - i / 1e5), 60.0))
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(sender._timeouts._kept) <= TIMEOUT_CACHE_SIZE
    assert grown < 64 * 1024, grown  # flat: not 100,000 ClientTimeouts (~20 MB)


def test_100000_calls_with_distinct_timeouts_resolve_without_growing() -> None:
    client = GeweClient(token=TOKEN, app_id="wx")
    settings, shared = client._settings, client._shared
    try:
        for i in range(1_000):  # warm, and 1,000 distinct paths: the URL cache stays bounded
            Call(
                settings,
                shared,
                "message.postText",
                f"/p/{i}",
                {"appId": "wx"},
                None,
                True,
                {"timeout": 1 + i},
            )
        assert len(shared._urls) <= 256
        gc.collect()
        before = len(gc.get_objects())
        for i in range(CALLS):
            call = Call(
                settings,
                shared,
                "message.postText",
                "/p/1",
                {"appId": "wx"},
                None,
                True,
                {"timeout": 30.0 - i / 1e5},
            )
            assert call.settings.timeout.total == 30.0 - i / 1e5
        gc.collect()
        grown = len(gc.get_objects()) - before
    finally:
        client.close()
    assert grown < 100, grown  # nothing kept per call


def reader_total(encoding: str | None, body: bytes, limit: int, chunk: int = 1000) -> bytes:
    reader = BodyReader(encoding, limit)
    for i in range(0, len(body), chunk):
        reader.feed(body[i : i + chunk])
    return reader.finish()


@pytest.mark.parametrize("encoding", [None, "identity", "gzip", "x-gzip", "deflate", "gzip, gzip"])
def test_the_reader_decodes_what_the_server_says(encoding: str | None) -> None:
    data = b'{"ret":200,"msg":"ok","data":"' + b"z" * 50_000 + b'"}'
    body = data
    for coding in [c.strip() for c in (encoding or "").split(",") if c.strip() not in ("", "identity")]:
        body = gzip.compress(body) if "gzip" in coding else zlib.compress(body)
    assert reader_total(encoding, body, len(data)) == data
    with pytest.raises(BodyTooLarge) as info:
        reader_total(encoding, body, len(data) - 1)
    assert info.value.prefix == data[: len(info.value.prefix)]


def test_a_bomb_never_decodes_past_the_limit() -> None:
    squeeze = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    bomb = squeeze.compress(bytes(64 * 1024 * 1024)) + squeeze.flush()  # 64 KB that expand 1000-fold
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge):
            reader_total("gzip", bomb, 1024 * 1024, chunk=len(bomb))  # all of it in one chunk
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the kept MiB, one decompress step (256 KiB), and the compressed input with zlib's copy of its tail
    assert peak < 1024 * 1024 + 256 * 1024 + 3 * len(bomb) + 64 * 1024, peak


@pytest.mark.parametrize(
    ("encoding", "body"), [("gzip", b"not gzip"), ("br", b"x"), ("deflate", b"\x00\x01")]
)
def test_undecodable_bodies_are_reported(encoding: str, body: bytes) -> None:
    with pytest.raises(BodyUndecodable):
        reader_total(encoding, body, 1000)
