"""Receiver over real HTTP on 127.0.0.1: answers, de-duplication, a full queue, draining, mounting."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from gewe import GeweConfigError
from gewe.events import Event, ImageEvent, MemoryDedup, MemoryQueue, Receiver, TextEvent, Worker, secret_path
from gewe.events.receiver import MIN_SECRET
from tests.fixtures import pushes as P

TOKEN = "tok-SECRET-5f3a9c"


def body(push: dict[str, Any]) -> bytes:
    return json.dumps(push).encode()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


async def post(http: aiohttp.ClientSession, url: str, data: bytes, **kw: Any) -> int:
    async with http.post(url, data=data, headers={"Content-Type": "application/json"}, **kw) as resp:
        await resp.read()
        return resp.status


class Recorder:
    """A handler that records each event; `gate` (when set) holds every handler until opened."""

    def __init__(self, gate: bool = False) -> None:
        self.events: list[Event] = []
        self.started = asyncio.Event()
        self.gate = asyncio.Event()
        if not gate:
            self.gate.set()

    async def __call__(self, event: Event) -> None:
        self.started.set()
        await self.gate.wait()
        self.events.append(event)

    def ids(self) -> list[int | None]:
        return sorted(getattr(e, "new_msg_id", None) or 0 for e in self.events)


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """`app` on 127.0.0.1 and a free port: its base URL; cleaned up (which stops mounted receivers)."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_answers_for_every_kind_of_request(
    http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rec = Recorder()
    receiver = Receiver(rec, path=secret_path(), max_body=4096)
    url = await receiver.start()
    try:
        assert url.startswith("http://127.0.0.1:") and "/gewe/" in url
        base = url.rsplit("/gewe/", 1)[0]
        assert await post(http, url, body(P.push(1, "hi"))) == 200
        assert await post(http, base + "/gewe/wrong-secret", body(P.push(1, "hi"))) == 404
        assert await post(http, url + "x", body(P.push(1, "hi"))) == 404
        assert await post(http, base + "/", body(P.push(1, "hi"))) == 404
        assert await post(http, url, b"not json") == 400
        assert await post(http, url, b"[1, 2]") == 400
        assert await post(http, url, b"x" * 5000) == 413

        async def chunked(size: int) -> AsyncIterator[bytes]:  # no Content-Length: read as it comes
            pushed = json.dumps(P.push(1, "big")).encode()
            yield pushed[:-1] + b', "pad": "'
            for _ in range(size // 1000):
                yield b"x" * 1000
                await asyncio.sleep(0)
            yield b'"}'

        assert await post(http, url, chunked(1000)) == 200  # a body in many chunks is read whole
        assert await post(http, url, chunked(20_000)) == 413
        assert await post(http, url, json.dumps({"TypeName": "AddMsg", "pad": "x" * 5000}).encode()) == 413
        async with http.get(url) as resp:
            assert resp.status == 405
        ping = json.dumps({"testMsg": "回调地址验证", "token": TOKEN}).encode()
        assert await post(http, url, ping) == 200
        assert receiver.pinged.is_set() and receiver.last_ping is not None
        assert receiver.last_ping.token_matches(TOKEN)
        await until(lambda: len(rec.events) == 2)
        assert [type(e) for e in rec.events] == [TextEvent, TextEvent]  # the ping never reaches it
    finally:
        assert await receiver.stop() == 0
    secret = url.rsplit("/", 1)[1]
    assert TOKEN not in caplog.text and secret not in caplog.text and secret not in repr(receiver)


async def test_only_allowed_source_addresses_may_post(http: aiohttp.ClientSession) -> None:
    rec = Recorder()
    closed = Receiver(rec, path="/cb/s3cret", allow=["10.0.0.0/8"])
    open_ = Receiver(rec, path="/cb/s3cret", allow="127.0.0.0/8")
    try:
        assert await post(http, await closed.start(), body(P.push(1, "a"))) == 403
        assert await post(http, await open_.start(), body(P.push(1, "b"))) == 200
    finally:
        await closed.stop()
        await open_.stop()
    assert [e.kind for e in rec.events] == ["text"]
    with pytest.raises(GeweConfigError):
        Receiver(rec, path="/cb/s3cret", allow=["not-an-address"])


async def test_duplicates_are_handled_once(http: aiohttp.ClientSession) -> None:
    rec = Recorder()
    receiver = Receiver(rec, path=secret_path())
    url = await receiver.start()
    try:
        first, second = P.push(1, "one"), P.push(1, "two")
        again = P.push(1, "one, re-sent", new_msg_id=int(first["Data"]["NewMsgId"]), id_as_string=True)
        other_app = {**first, "Appid": "wx_other_device"}
        statuses = [await post(http, url, body(b)) for b in (first, second, first, again, other_app)]
        assert statuses == [200] * 5
        await until(lambda: len(rec.events) == 3)
        await asyncio.sleep(0.05)
        assert len(rec.events) == 3 and receiver.duplicates == 2
        assert sorted((e.app_id, e.new_msg_id) for e in rec.events) == sorted(  # type: ignore[union-attr]
            [
                (P.APP, first["Data"]["NewMsgId"]),
                (P.APP, second["Data"]["NewMsgId"]),
                ("wx_other_device", first["Data"]["NewMsgId"]),
            ]
        )
    finally:
        await receiver.stop()


async def test_a_full_queue_answers_503_and_loses_nothing_once_resent(
    http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    rec = Recorder(gate=True)
    receiver = Receiver(rec, path=secret_path(), workers=1, queue_size=2)
    url = await receiver.start()
    pushes = [P.push(1, f"m{i}") for i in range(5)]
    try:
        assert await post(http, url, body(pushes[0])) == 200
        await asyncio.wait_for(rec.started.wait(), 5)  # the one worker holds push 0
        statuses = [await post(http, url, body(p)) for p in pushes[1:]]
        assert statuses == [200, 200, 503, 503]
        assert (
            sum("answered 503" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING) == 2
        )
        rec.gate.set()
        await until(lambda: len(rec.events) == 3)
        # GeWe delivers the refused ones again (and, as it does, some accepted ones too)
        statuses = [await post(http, url, body(p)) for p in pushes[2:]]
        assert statuses == [200, 200, 200]
        await until(lambda: len(rec.events) == 5)
        await asyncio.sleep(0.05)
        assert rec.ids() == sorted(int(p["Data"]["NewMsgId"]) for p in pushes)
    finally:
        await receiver.stop()


async def test_a_failing_handler_is_logged_and_its_event_is_handled_when_resent(
    http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int | None] = []

    async def handler(event: Event) -> None:
        calls.append(getattr(event, "new_msg_id", None))
        if len(calls) == 1:
            raise RuntimeError("boom")

    receiver = Receiver(handler, path=secret_path(), workers=1)
    url = await receiver.start()
    push = P.push(1, "x")
    nid = int(push["Data"]["NewMsgId"])
    try:
        assert await post(http, url, body(push)) == 200
        await until(lambda: receiver.failed == 1)
        failure = next(r for r in caplog.records if "handler failed" in r.getMessage())
        assert "text" in failure.getMessage() and str(nid) in failure.getMessage() and failure.exc_info
        assert await post(http, url, body(push)) == 200  # re-sent: handled again, the worker went on
        await until(lambda: receiver.handled == 1)
        assert calls == [nid, nid]
    finally:
        await receiver.stop()


async def test_sync_handlers_run_in_a_thread_pool(http: aiohttp.ClientSession) -> None:
    threads: list[str] = []
    receiver = Receiver(lambda event: threads.append(threading.current_thread().name), path=secret_path())
    url = await receiver.start()
    try:
        assert await post(http, url, body(P.push(1, "x"))) == 200
        await until(lambda: len(threads) == 1)
        assert threads[0].startswith("gewe-handler") and threads[0] != threading.current_thread().name
    finally:
        await receiver.stop()


async def test_an_xml_bomb_is_harmless(http: aiohttp.ClientSession) -> None:
    rec = Recorder()
    receiver = Receiver(rec, path=secret_path())
    url = await receiver.start()
    try:
        for content in (P.BILLION_LAUGHS, P.EXTERNAL_ENTITY):
            assert await post(http, url, body(P.push(3, content))) == 200
        await until(lambda: len(rec.events) == 2)
        assert all(isinstance(e, ImageEvent) and e.aes_key is None for e in rec.events)
    finally:
        await receiver.stop()


async def test_stop_drains_the_queue_or_says_what_was_left(
    http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    async def slow(event: Event) -> None:
        await asyncio.sleep(0.1)
        done.append(event)

    done: list[Event] = []
    receiver = Receiver(slow, path=secret_path(), workers=2)
    url = await receiver.start()
    for i in range(6):
        assert await post(http, url, body(P.push(1, f"d{i}"))) == 200
    assert await receiver.stop(timeout=10) == 0
    assert len(done) == 6

    dedup = MemoryDedup()
    rec = Recorder(gate=True)  # never opened: nothing can finish
    stuck = Receiver(rec, path=secret_path(), workers=1, dedup=dedup)
    url = await stuck.start()
    pushes = [P.push(1, f"s{i}") for i in range(4)]
    for p in pushes:
        assert await post(http, url, body(p)) == 200
    assert await stuck.stop(timeout=0.2) == 4
    assert any("4 events not handled" in r.getMessage() for r in caplog.records)
    assert len(dedup) == 0  # their ids are forgotten: GeWe's next delivery of them is handled
    with pytest.raises(aiohttp.ClientConnectionError):
        await post(http, url, body(pushes[0]))


async def test_mounted_in_an_aiohttp_app(http: aiohttp.ClientSession) -> None:
    rec = Recorder()
    receiver = Receiver(rec, path="/hooks/gewe-s3cret-4f9a2c7e")
    app = web.Application()

    async def health(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.router.add_get("/health", health)
    receiver.add_to(app)
    async with serving(app) as base:
        async with http.get(base + "/health") as resp:
            assert resp.status == 200
        assert await post(http, base + "/hooks/gewe-s3cret-4f9a2c7e", body(P.push(1, "mounted"))) == 200
        assert await post(http, base + "/hooks/other", body(P.push(1, "x"))) == 404
        await until(lambda: len(rec.events) == 1)
    # leaving `serving` cleaned the app up, which stopped the receiver too
    assert receiver.left == 0


async def test_as_an_asgi_app() -> None:
    rec = Recorder()
    receiver = Receiver(rec, path="/cb/asgi-s3cret-4f9a2c7e", max_body=2000)
    app = receiver.asgi()

    async def call(path: str, data: bytes, method: str = "POST", root_path: str = "") -> int:
        sent: list[dict[str, Any]] = []
        chunks = [data[:10], data[10:]]

        async def receive() -> dict[str, Any]:
            chunk = chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "method": method,
            "path": path,
            "root_path": root_path,
            "client": ("127.0.0.1", 5),
        }
        await app(scope, receive, send)
        return int(sent[0]["status"])

    assert await call("/cb/asgi-s3cret-4f9a2c7e", body(P.push(1, "asgi"))) == 200
    assert await call("/asgi-s3cret-4f9a2c7e", body(P.push(1, "mounted")), root_path="/cb") == 200
    assert await call("/cb/nope", body(P.push(1, "x"))) == 404
    assert await call("/cb/asgi-s3cret-4f9a2c7e", b"{", method="GET") == 405
    assert await call("/cb/asgi-s3cret-4f9a2c7e", b"x" * 3000) == 413
    assert await call("/cb/asgi-s3cret-4f9a2c7e", b"nope") == 400
    await until(lambda: len(rec.events) == 2)
    assert await receiver.stop() == 0


async def test_after_stop_every_route_answers_503_and_nothing_restarts(http: aiohttp.ClientSession) -> None:
    rec = Recorder()
    receiver = Receiver(rec, path="/hooks/after-stop-4f9a2c7e")
    app = web.Application()
    receiver.add_to(app)
    asgi = receiver.asgi()

    async def via_asgi(data: bytes) -> int:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": data, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "method": "POST",
            "path": "/hooks/after-stop-4f9a2c7e",
            "client": ("127.0.0.1", 5),
        }
        await asgi(scope, receive, send)
        return int(sent[0]["status"])

    async with serving(app) as base:
        url = base + "/hooks/after-stop-4f9a2c7e"
        assert await post(http, url, body(P.push(1, "before"))) == 200
        await until(lambda: len(rec.events) == 1)
        assert await receiver.stop() == 0
        assert await post(http, url, body(P.push(1, "after"))) == 503
        assert await via_asgi(body(P.push(1, "after, asgi"))) == 503
        await asyncio.sleep(0.05)
        assert len(rec.events) == 1 and receiver.intake is None  # no worker came back to life
        assert receiver.stats()["answered"] == {"200": 1, "503": 2}


async def test_asgi_refuses_compressed_bodies_before_reading_them() -> None:
    receiver = Receiver(Recorder(), path="/cb/enc-4f9a2c7e0d1b3a5c")
    app = receiver.asgi()
    read: list[int] = []

    async def receive() -> dict[str, Any]:
        read.append(1)
        return {"type": "http.request", "body": b"{}", "more_body": False}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"content-encoding", b"gzip"), (b"content-length", b"2")]
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/cb/enc-4f9a2c7e0d1b3a5c",
        "client": ("127.0.0.1", 5),
        "headers": headers,
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 415 and read == []
    await receiver.stop()


async def test_a_sync_handler_past_its_timeout_is_reported_and_its_late_result_not_counted(
    http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    release = threading.Event()
    calls: list[int | None] = []

    def slow(event: Event) -> None:
        calls.append(getattr(event, "new_msg_id", None))
        if len(calls) == 1:
            release.wait(5)

    receiver = Receiver(slow, path=secret_path(), handler_timeout=0.2, workers=1)
    url = await receiver.start()
    push = P.push(1, "slow")
    try:
        assert await post(http, url, body(push)) == 200
        await until(lambda: receiver.timed_out == 1)
        warning = next(r for r in caplog.records if "gave no result" in r.getMessage())
        assert warning.levelno == logging.WARNING and str(push["Data"]["NewMsgId"]) in warning.getMessage()
        assert "text event" in warning.getMessage()
        assert await post(http, url, body(push)) == 200  # its id was released: the re-delivery runs
        await until(lambda: receiver.handled == 1)
        release.set()  # the first call returns now, late: it is not counted
        await asyncio.sleep(0.1)
        stats = receiver.stats()
        assert (stats["handled"], stats["timed_out"], stats["failed"]) == (1, 1, 0)
        assert len(calls) == 2
    finally:
        release.set()
        await receiver.stop()


async def test_the_test_message_never_reaches_the_handler_nor_leaves_its_token(
    http: aiohttp.ClientSession,
) -> None:
    import copy
    import dataclasses
    import pickle

    rec = Recorder()
    receiver = Receiver(rec, path=secret_path())
    url = await receiver.start()
    try:
        mixed = {**P.push(1, "a push with the test message in it"), "testMsg": "回调地址验证", "token": TOKEN}
        assert await post(http, url, body(mixed)) == 200
        assert await post(http, url, body(P.push(1, "after"))) == 200
        await until(lambda: len(rec.events) == 1)
        ping = receiver.last_ping
        assert ping is not None and ping.token_matches(TOKEN)
        for shown in (repr(ping), str(dataclasses.asdict(ping)), str(ping.raw), repr(copy.deepcopy(ping))):
            assert TOKEN not in shown
        assert TOKEN.encode() not in pickle.dumps(ping)
        assert not pickle.loads(pickle.dumps(ping)).token_matches(TOKEN)
        assert all(TOKEN not in json.dumps(dict(e.raw)) for e in rec.events)
    finally:
        await receiver.stop()


async def test_keys_beyond_any_real_size_are_refused(http: aiohttp.ClientSession) -> None:
    dedup = MemoryDedup()
    receiver = Receiver(Recorder(), path=secret_path(), dedup=dedup)
    url = await receiver.start()
    try:
        long_appid = {**P.push(1, "x"), "Appid": "w" * 500}
        assert await post(http, url, body(long_appid)) == 400
        assert await post(http, url, body({**P.push(1, "x"), "Appid": "w" * 100})) == 200
        assert len(dedup) == 1
    finally:
        await receiver.stop()


def test_allow_lists_match_ipv4_mapped_ipv6_peers() -> None:
    receiver = Receiver(Recorder(), path="/cb/x", allow=["127.0.0.1", "10.0.0.0/8", "2001:db8::/32"])
    assert receiver.address_allowed("::ffff:127.0.0.1") and receiver.address_allowed("::ffff:10.1.2.3")
    assert receiver.address_allowed("2001:db8::1") and receiver.address_allowed("127.0.0.1")
    assert not receiver.address_allowed("::ffff:192.168.0.1") and not receiver.address_allowed("::1")
    assert not receiver.address_allowed("garbage") and not receiver.address_allowed(None)


async def test_stop_returns_within_its_timeout_even_when_a_handler_ignores_cancellation(
    http: aiohttp.ClientSession,
) -> None:
    started = asyncio.Event()

    async def stubborn(event: Event) -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            await asyncio.sleep(60)  # refuses to end

    dedup = MemoryDedup()
    receiver = Receiver(stubborn, path=secret_path(), dedup=dedup)
    url = await receiver.start()
    assert await post(http, url, body(P.push(1, "stubborn"))) == 200
    await asyncio.wait_for(started.wait(), 5)
    left = await asyncio.wait_for(receiver.stop(timeout=0.5), 5)  # not the handler's 60 s
    assert left == 1 and len(dedup) == 0  # its id is forgotten: GeWe's re-delivery is handled


async def test_idle_keep_alive_and_slow_requests_are_closed_by_their_deadlines() -> None:
    path = "/cb/idle-4f9a2c7e0d1b3a5c"
    receiver = Receiver(Recorder(), path=path, idle_timeout=0.3, request_timeout=0.4)
    url = await receiver.start()
    port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
    try:
        data = body(P.push(1, "keep-alive"))
        head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(data)}\r\n\r\n".encode()
        idle_r, idle_w = await asyncio.open_connection("127.0.0.1", port)
        idle_w.write(head + data)
        assert (await idle_r.readline()).startswith(b"HTTP/1.1 200")
        slow_r, slow_w = await asyncio.open_connection("127.0.0.1", port)
        slow_w.write(head[:20])  # the rest never comes
        await until(lambda: receiver.stats()["connections"] == 2)
        for reader in (idle_r, slow_r):  # both closed by the receiver, without a word from the client
            while await asyncio.wait_for(reader.read(1000), 3):
                pass
        assert receiver.stats()["connections"] == 0
        for writer in (idle_w, slow_w):
            writer.close()
    finally:
        await receiver.stop()


async def test_a_port_in_use_is_a_config_error_naming_it() -> None:
    import socket

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    receiver = Receiver(Recorder(), path=secret_path())
    try:
        with pytest.raises(GeweConfigError, match=f"cannot listen on 127.0.0.1:{port}: ") as err:
            await receiver.start("127.0.0.1", port)
        assert err.value.setting == "port"
    finally:
        taken.close()
    url = await receiver.start("127.0.0.1", 0)  # nothing half-started is left in the way
    assert url.startswith("http://127.0.0.1:")
    await receiver.stop()


@pytest.mark.parametrize("handler", ["nope", 42, object()])
def test_a_handler_that_cannot_be_called_is_a_config_error_at_construction(handler: Any) -> None:
    for kwargs in ({}, {"queue": MemoryQueue()}):  # the in-process workers, and a queue's Worker
        with pytest.raises(GeweConfigError, match="handler must be callable") as err:
            Receiver(handler, path=secret_path(), **kwargs)
        assert err.value.setting == "handler"
    with pytest.raises(GeweConfigError, match="handler must be callable") as err:
        Worker(handler, queue=MemoryQueue())
    assert err.value.setting == "handler"
    Receiver(None, path=secret_path(), queue=MemoryQueue())  # None: stores only, with a queue


@pytest.mark.parametrize("path", ["/", "/gewe", "/gewe/", "/cb/s3cret", "/gewe/callback-url"])
def test_a_path_without_a_secret_is_refused_unless_an_allow_list_authenticates(path: str) -> None:
    with pytest.raises(GeweConfigError, match="no secret") as err:
        Receiver(Recorder(), path=path)
    assert err.value.setting == "path"
    assert "s3cret" not in str(err.value) and "callback-url" not in str(err.value)  # never echoed
    Receiver(Recorder(), path=path, allow=["127.0.0.1"])  # the address list authenticates instead
    Receiver(Recorder(), path=f"{path.rstrip('/')}/{'x' * MIN_SECRET}")  # a segment long enough
