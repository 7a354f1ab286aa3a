"""A hostile server in its own process (tests/support/hostile.py), sync and async.

Each hostile reply ends as its documented `GeweError`; the server's count per test proves what was
sent, what was retried (a read-only operation is used, so any retry would show) and that nothing
reached another origin.
"""

from __future__ import annotations

import asyncio
import gc
import json
import pickle
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import gewe
from gewe import (
    AsyncGeweClient,
    GeweAPIError,
    GeweClient,
    GeweConfigError,
    GeweConnectionError,
    GeweError,
    GeweHTTPError,
    GeweTimeoutError,
)
from gewe.envelope import BODY_CHARS
from gewe.retry import RetryPolicy
from gewe.settings import DEFAULT_MAX_RESPONSE_BYTES
from tests.conftest import TOKEN
from tests.support import calls
from tests.support.calls import FAST, MODES
from tests.support.hostile import HostileServer
from tests.support.loopback import closed_port

# Over the clients' default fast paths and over a transport the user passes (see tests.support.calls).
pytestmark = pytest.mark.usefixtures("route")

READ = ("group.getChatroomInfo", "/gewe/v2/api/group/getChatroomInfo")  # read-only: would be retried
WRITE = ("message.postText", "/gewe/v2/api/message/postText")


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    server = HostileServer()
    try:
        yield server
    finally:
        server.stop()


def call(
    mode: str,
    base_url: str,
    operation: tuple[str, str] = READ,
    client_options: dict[str, Any] | None = None,
    **options: Any,
) -> Any:
    """One `invoke` on a fresh client of the mode."""
    settings: dict[str, Any] = {"token": TOKEN, "app_id": "wx_1", "retry_policy": FAST, "timeout": 5.0}
    settings.update(client_options or {})
    if "transport" not in settings and "http_client" not in settings:
        settings["transport"] = calls.user_transport(mode)  # the route (see tests.support.calls)
    body = {"appId": "wx_1"}
    users = settings.get("http_client")  # the test's own client: closed here, never by the SDK
    if mode == "sync":
        try:
            with GeweClient(base_url=base_url, **settings) as client:
                return client.invoke(*operation, body, None, **options)
        finally:
            if users is not None:
                users.close()

    async def run() -> Any:
        try:
            async with AsyncGeweClient(base_url=base_url, **settings) as client:
                return await client.invoke(*operation, body, None, **options)
        finally:
            if users is not None:
                await users.aclose()

    return asyncio.run(run())


def tag() -> str:
    return uuid.uuid4().hex[:12]


FAILURES = {
    "no-token": gewe.GeweAuthError,
    "token-expired": gewe.GeweAuthError,
    "offline": gewe.GeweOfflineError,
    "no-device": gewe.GeweDeviceNotFoundError,
    "verify": gewe.GeweVerificationRequiredError,
    "logged-in": gewe.GeweAlreadyLoggedInError,
    "device-limit": gewe.GeweDeviceLimitError,
    "unknown": GeweAPIError,
    "bad-gzip": GeweHTTPError,
    "odd-encoding": GeweHTTPError,
    "deep-json": GeweHTTPError,
    "deep-error": GeweAPIError,
    "brotli": GeweHTTPError,
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("scenario", "error"), FAILURES.items(), ids=list(FAILURES))
def test_each_hostile_reply_ends_as_its_documented_error_once(
    hostile: HostileServer, mode: str, scenario: str, error: type[GeweError]
) -> None:
    t = tag()
    with pytest.raises(GeweError) as info:
        call(mode, hostile.base_url(scenario, t))
    assert type(info.value) is error, info.value
    assert hostile.count(t) == 1  # never retried, though the operation is read-only
    copy = pickle.loads(pickle.dumps(info.value))  # even with `data` nested 900 levels deep
    assert type(copy) is error and str(copy) == str(info.value) and TOKEN not in str(info.value)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("scenario", ["garbage", "hangup", "huge-header"])
def test_a_broken_reply_is_a_connection_error_and_a_message_is_not_resent(
    hostile: HostileServer, mode: str, scenario: str
) -> None:
    t = tag()
    with pytest.raises(GeweConnectionError) as info:
        call(mode, hostile.base_url(scenario, t), WRITE)
    assert TOKEN not in str(info.value)
    assert hostile.count(t) == 1  # the request may have been acted on: never sent again


@pytest.mark.parametrize("mode", MODES)
def test_a_gzip_reply_is_decoded(hostile: HostileServer, mode: str) -> None:
    assert call(mode, hostile.base_url("gzip-ok", tag())) == {"msgId": 1}


@pytest.mark.parametrize("mode", MODES)
def test_a_reply_over_the_limit_ends_early_with_a_bounded_body(hostile: HostileServer, mode: str) -> None:
    t = tag()
    with pytest.raises(GeweHTTPError, match="max_response_bytes") as info:
        call(mode, hostile.base_url("huge", t), client_options={"max_response_bytes": 1 << 20})
    assert len(info.value.body) <= BODY_CHARS and info.value.body.startswith("xxx")
    assert hostile.count(t) == 1
    with pytest.raises(GeweHTTPError, match=r"max_response_bytes \(1000 bytes\)"):
        call(mode, hostile.base_url("huge", tag()), max_response_bytes=1000)  # per call


BOMB_LIMIT = DEFAULT_MAX_RESPONSE_BYTES  # 16 MiB; the bomb expands to 1 GiB
_RSS_SCRIPT = """
import asyncio, json, sys
from gewe import AsyncGeweClient, GeweClient, GeweHTTPError
mode, warm, bomb, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
kw = dict(token="tok-SECRET-5f3a9c", app_id="wx", max_response_bytes=limit, max_retries=0)
def status(field):  # kB, from /proc (ru_maxrss would carry the parent's peak across fork and exec)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(field + ":"))
async def run_async(url):
    async with AsyncGeweClient(base_url=url, **kw) as c:
        await c.invoke("group.getChatroomInfo", "/x", {}, None)
def run(url):
    if mode == "sync":
        with GeweClient(base_url=url, **kw) as c:
            c.invoke("group.getChatroomInfo", "/x", {}, None)
    else:
        asyncio.run(run_async(url))
run(warm)  # imports, the event loop, a first connection and reply
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # the peak (VmHWM) starts again from the resident set now
before = status("VmRSS")
try:
    run(bomb)
    outcome = "no error"
except GeweHTTPError as exc:
    outcome = type(exc).__name__ + ": " + str(exc)[:80]
print(json.dumps({"growth": status("VmHWM") - before, "outcome": outcome}))
"""


@pytest.mark.parametrize("mode", MODES)
def test_a_gzip_bomb_ends_with_memory_under_twice_the_limit(hostile: HostileServer, mode: str) -> None:
    t = tag()
    warm, bomb = hostile.base_url("ok", t), hostile.base_url("gzip-bomb", t)
    out = subprocess.run(
        [sys.executable, "-c", _RSS_SCRIPT, mode, warm, bomb, str(BOMB_LIMIT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(out.stdout)
    assert result["outcome"].startswith("GeweHTTPError") and "max_response_bytes" in result["outcome"]
    assert result["growth"] < 2 * BOMB_LIMIT, result
    assert hostile.count(t) == 2


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("scenario", "users_client"), [("trickle-body", False), ("trickle-head", False), ("trickle-head", True)]
)
def test_a_trickling_server_ends_at_the_deadline(
    hostile: HostileServer, mode: str, scenario: str, users_client: bool
) -> None:
    t = tag()
    options: dict[str, Any] = {"timeout": 1.0}
    if users_client:
        options["http_client"] = httpx.Client() if mode == "sync" else httpx.AsyncClient()
    started = time.monotonic()
    with pytest.raises(GeweTimeoutError) as info:
        call(mode, hostile.base_url(scenario, t), WRITE, client_options=options)
    took = time.monotonic() - started
    assert 1.0 <= took < 1.0 + 0.8, took  # the deadline, plus one trickle step and the set-up
    assert info.value.timeout == 1.0 and "timeout 1 s" in str(info.value)
    assert hostile.count(t) == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("users_client", [False, True])
@pytest.mark.parametrize("scenario", ["redirect-away", "redirect-away-303"])
def test_a_redirect_to_another_origin_receives_nothing(
    hostile: HostileServer, mode: str, users_client: bool, scenario: str
) -> None:
    for operation in (WRITE, READ):
        t = tag()
        options: dict[str, Any] = {}
        if users_client and mode == "sync":
            options["http_client"] = httpx.Client(follow_redirects=True)
        elif users_client:
            options["http_client"] = httpx.AsyncClient(follow_redirects=True)
        with pytest.raises(GeweHTTPError, match="not followed") as info:
            call(mode, hostile.base_url(scenario, t), operation, client_options=options)
        assert info.value.status_code in (303, 307)
        assert hostile.count(t) == 1  # the redirect itself; nothing reached the other port
        assert str(hostile.other_port) in str(info.value)


@pytest.mark.parametrize("mode", MODES)
def test_a_same_origin_redirect_is_followed_for_reads_only(hostile: HostileServer, mode: str) -> None:
    t = tag()
    assert call(mode, hostile.base_url("redirect-home", t), READ) == {"msgId": 1}
    assert hostile.count(t) == 2
    t = tag()
    with pytest.raises(GeweHTTPError, match="not read-only"):
        call(mode, hostile.base_url("redirect-home", t), WRITE)
    assert hostile.count(t) == 1
    t = tag()
    with pytest.raises(GeweHTTPError, match="more than 5 redirects"):
        call(mode, hostile.base_url("redirect-loop", t), READ)
    assert hostile.count(t) == 6


async def test_close_ends_queued_and_in_flight_calls_without_warnings(
    hostile: HostileServer, recwarn: pytest.WarningsRecorder
) -> None:
    t = tag()
    client = AsyncGeweClient(
        token=TOKEN, app_id="wx", base_url=hostile.base_url("slow", t), max_connections=1, retry_policy=FAST
    )
    calls = [asyncio.ensure_future(client.invoke(*WRITE, {}, None)) for _ in range(5)]
    for _ in range(100):  # until one is in flight (the server takes 1 s); four wait for its slot
        await asyncio.sleep(0.05)
        if await asyncio.to_thread(hostile.count, t):
            break
    started = time.monotonic()
    await client.close()
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert time.monotonic() - started < 0.9  # nobody waited for the slow reply
    assert all(isinstance(r, GeweError) for r in results), results
    assert sum(isinstance(r, GeweConfigError) for r in results) >= 4
    assert hostile.count(t) == 1
    assert client._sender._session is None  # type: ignore[union-attr]
    del client, calls, results
    gc.collect()  # aiohttp warns about what was left open when it is collected
    await asyncio.sleep(0)
    assert not [w for w in recwarn if issubclass(w.category, ResourceWarning | RuntimeWarning)]


async def test_close_wakes_a_call_sleeping_between_retries_and_opens_nothing() -> None:
    patient = RetryPolicy(max_retries=3, base_delay=30.0, max_delay=30.0)
    url = f"http://127.0.0.1:{closed_port()}"
    client = AsyncGeweClient(token=TOKEN, app_id="wx", base_url=url, retry_policy=patient)
    pending = asyncio.ensure_future(client.invoke(*READ, {}, None))  # refused: retried after 15-30 s
    await asyncio.sleep(0.3)
    started = time.monotonic()
    await client.close()
    with pytest.raises(GeweConfigError, match="closed") as info:
        await pending
    assert time.monotonic() - started < 1.0 and info.value.attempts == 1  # the retry was never sent
    assert client._sender._session is None  # type: ignore[union-attr]


def test_close_from_another_thread_wakes_a_sync_call_sleeping_between_retries() -> None:
    patient = RetryPolicy(max_retries=3, base_delay=30.0, max_delay=30.0)
    url = f"http://127.0.0.1:{closed_port()}"
    transport = calls.user_transport("sync")  # on each sync sender (the `route` parameter)
    client = GeweClient(token=TOKEN, app_id="wx", base_url=url, retry_policy=patient, transport=transport)
    copy = client.with_options(timeout=5.0)  # shares the pool: closing the client ends its calls too
    outcomes: list[BaseException] = []

    def call(which: GeweClient) -> None:
        try:
            which.invoke(*READ, {}, None)  # refused: retried after 15-30 s
        except BaseException as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=call, args=(c,), daemon=True) for c in (client, copy)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    client.close()
    for thread in threads:
        thread.join(timeout=5.0)
    assert time.monotonic() - started < 2.0
    assert len(outcomes) == 2
    for exc in outcomes:
        assert isinstance(exc, GeweConfigError) and "closed" in str(exc)
        assert exc.attempts == 1  # the retry was never sent


def test_a_second_event_loop_is_a_config_error(hostile: HostileServer) -> None:
    client = AsyncGeweClient(token=TOKEN, app_id="wx", base_url=hostile.base_url("ok", tag()))
    first = asyncio.new_event_loop()
    try:
        assert first.run_until_complete(client.invoke(*READ, {}, None)) == {"msgId": 1}
        with pytest.raises(GeweConfigError, match="bound to the event loop") as info:
            asyncio.run(client.invoke(*READ, {}, None))
        assert info.value.setting == "event_loop"
        assert first.run_until_complete(client.invoke(*READ, {}, None)) == {"msgId": 1}  # still works there
        first.run_until_complete(client.close())
    finally:
        first.close()


def test_a_closed_sync_client_refuses_calls(hostile: HostileServer) -> None:
    t = tag()
    client = GeweClient(token=TOKEN, app_id="wx", base_url=hostile.base_url("ok", t))
    client.close()
    with pytest.raises(GeweConfigError, match="closed"):
        client.invoke(*WRITE, {}, None)
    users = httpx.Client()
    client = GeweClient(token=TOKEN, app_id="wx", base_url=hostile.base_url("ok", t), http_client=users)
    users.close()
    with pytest.raises(GeweConfigError, match="closed"):
        client.invoke(*WRITE, {}, None)
    assert hostile.count(t) == 0


async def test_a_closed_user_async_client_is_a_config_error(hostile: HostileServer) -> None:
    t = tag()
    users = httpx.AsyncClient()
    client = AsyncGeweClient(token=TOKEN, app_id="wx", base_url=hostile.base_url("ok", t), http_client=users)
    await users.aclose()
    with pytest.raises(GeweConfigError, match="closed"):
        await client.invoke(*WRITE, {}, None)
    assert hostile.count(t) == 0
