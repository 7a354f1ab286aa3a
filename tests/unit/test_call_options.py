"""Per-call and per-client options: extra_body/extra_headers/timeout/max_retries on every method,
with_options, with_raw_response, http_client, default_headers, and `client.generated` (MockTransport)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from gewe import AsyncGeweClient, GeweClient, GeweConfigError, GeweHTTPError
from gewe.group_qr import GroupQrCode
from gewe.raw import RawResponse
from gewe_api.api.group import group_get_chatroom_qr_code
from gewe_api.models import GroupGetChatroomQrCodeRequest
from tests.conftest import APP_ID, TOKEN, qr_example
from tests.support.calls import FAST, MODES

QR = {"ret": 200, "msg": "ok", "data": qr_example()["data"]}
ROOM = "34757816141@chatroom"


class Seen:
    """A MockTransport handler that answers `replies` in turn (the last repeats) and keeps requests."""

    def __init__(self, *replies: httpx.Response) -> None:
        self.replies = list(replies) or [httpx.Response(200, json=QR)]
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        return httpx.Response(reply.status_code, headers=reply.headers, content=reply.content)

    def body(self, i: int = -1) -> Any:
        return json.loads(self.requests[i].content)


def run(mode: str, act: Any, **settings: Any) -> Any:
    """`act(client)` on a fresh client of the mode (awaited for async)."""
    kwargs: dict[str, Any] = {"token": TOKEN, "app_id": APP_ID, "retry_policy": FAST, **settings}
    if mode == "sync":
        with GeweClient(**kwargs) as client:
            return act(client)

    async def go() -> Any:
        async with AsyncGeweClient(**kwargs) as client:
            result = act(client)
            return await result if asyncio.iscoroutine(result) else result

    return asyncio.run(go())


def transport(mode: str, seen: Seen) -> Any:
    return httpx.MockTransport(seen)


@pytest.mark.parametrize("mode", MODES)
def test_extra_body_sends_fields_the_docs_forgot(mode: str) -> None:
    seen = Seen()
    run(
        mode,
        lambda c: c.group.get_chatroom_qr_code(
            chatroom_id=ROOM, extra_body={"proxyIp": "1.2.3.4", "x": None}
        ),
        transport=transport(mode, seen),
    )
    assert seen.body() == {"appId": APP_ID, "chatroomId": ROOM, "proxyIp": "1.2.3.4", "x": None}


@pytest.mark.parametrize("mode", MODES)
def test_extra_headers_go_with_the_call_but_never_replace_the_token(mode: str) -> None:
    seen = Seen()
    run(
        mode,
        lambda c: c.group.get_chatroom_qr_code(chatroom_id=ROOM, extra_headers={"X-Trace": "abc"}),
        transport=transport(mode, seen),
    )
    assert seen.requests[-1].headers["X-Trace"] == "abc"
    assert seen.requests[-1].headers["X-GEWE-TOKEN"] == TOKEN
    with pytest.raises(GeweConfigError, match="cannot set X-GEWE-TOKEN"):
        run(
            mode,
            lambda c: c.group.get_chatroom_qr_code(
                chatroom_id=ROOM, extra_headers={"x-gewe-token": "other-token"}
            ),
            transport=transport(mode, seen),
        )
    assert len(seen.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_max_retries_per_call(mode: str) -> None:
    seen = Seen(httpx.Response(503, text="busy"))
    with pytest.raises(GeweHTTPError) as info:
        run(
            mode,
            lambda c: c.group.get_chatroom_qr_code(chatroom_id=ROOM, max_retries=0),
            transport=transport(mode, seen),
        )
    assert len(seen.requests) == 1 and info.value.attempts == 1
    seen = Seen(httpx.Response(503, text="busy"))
    with pytest.raises(GeweHTTPError):
        run(
            mode,
            lambda c: c.group.get_chatroom_qr_code(chatroom_id=ROOM, max_retries=4),
            transport=transport(mode, seen),
        )
    assert len(seen.requests) == 5
    with pytest.raises(GeweConfigError, match="max_retries"):
        run(
            mode,
            lambda c: c.group.get_chatroom_qr_code(chatroom_id=ROOM, max_retries=-1),
            transport=transport(mode, seen),
        )


@pytest.mark.parametrize("mode", MODES)
def test_timeout_per_call_reaches_the_request(mode: str) -> None:
    seen = Seen()
    run(
        mode,
        lambda c: c.group.get_chatroom_qr_code(chatroom_id=ROOM, timeout=1.5),
        transport=transport(mode, seen),
    )
    assert seen.requests[-1].extensions["timeout"]["read"] == 1.5


@pytest.mark.parametrize("mode", MODES)
def test_with_options_is_a_cheap_copy_sharing_the_pool(mode: str) -> None:
    seen = Seen(httpx.Response(503, text="busy"))

    def act(client: Any) -> Any:
        fast = client.with_options(timeout=2.0, max_retries=0, app_id="wx_other")
        assert fast is not client and type(fast) is type(client)
        assert fast.app_id == "wx_other" and client.app_id == APP_ID
        assert fast.group is not client.group  # resources belong to their own client
        shared = fast._transport is client._transport  # the transport given, shared by the copy
        return shared, fast

    shared, _ = run(mode, act, transport=transport(mode, seen))
    assert shared

    def call_both(client: Any) -> Any:
        fast = client.with_options(timeout=2.0, max_retries=0, app_id="wx_other")

        async def both_async() -> None:
            with pytest.raises(GeweHTTPError):
                await fast.group.get_chatroom_qr_code(chatroom_id=ROOM)
            with pytest.raises(GeweHTTPError):
                await client.group.get_chatroom_qr_code(chatroom_id=ROOM)
            await fast.close()  # a copy leaves the shared pool open
            with pytest.raises(GeweHTTPError):
                await client.group.get_chatroom_qr_code(chatroom_id=ROOM)

        if mode == "async":
            return both_async()
        with pytest.raises(GeweHTTPError):
            fast.group.get_chatroom_qr_code(chatroom_id=ROOM)
        with pytest.raises(GeweHTTPError):
            client.group.get_chatroom_qr_code(chatroom_id=ROOM)
        fast.close()
        with pytest.raises(GeweHTTPError):
            client.group.get_chatroom_qr_code(chatroom_id=ROOM)
        return None

    seen = Seen(httpx.Response(503, text="busy"))
    run(mode, call_both, transport=transport(mode, seen))
    # the copy: 1 attempt, app id and timeout its own; the original: 3 attempts each, its own app id
    assert len(seen.requests) == 1 + 3 + 3
    assert seen.body(0)["appId"] == "wx_other" and seen.requests[0].extensions["timeout"]["read"] == 2.0
    assert seen.body(1)["appId"] == APP_ID and seen.requests[1].extensions["timeout"]["read"] == 30.0


@pytest.mark.parametrize("mode", MODES)
def test_with_options_strict(mode: str) -> None:
    bad = {"ret": 200, "msg": "ok", "data": {**QR["data"], "qrTips": True}}
    seen = Seen(httpx.Response(200, json=bad))
    lenient = run(
        mode, lambda c: c.group.get_chatroom_qr_code(chatroom_id=ROOM), transport=transport(mode, seen)
    )
    assert lenient.qr_tips is True
    from gewe import GeweResponseError

    with pytest.raises(GeweResponseError, match=r"data\.qrTips"):
        run(
            mode,
            lambda c: c.with_options(strict=True).group.get_chatroom_qr_code(chatroom_id=ROOM),
            transport=transport(mode, seen),
        )


@pytest.mark.parametrize("mode", MODES)
def test_with_raw_response_gives_the_http_reply_and_the_parsed_result(mode: str) -> None:
    reply = httpx.Response(200, json=QR, headers={"X-Request-Id": "r-1"})
    seen = Seen(reply)
    raw = run(
        mode,
        lambda c: c.with_raw_response(c.group.get_chatroom_qr_code, chatroom_id=ROOM),
        transport=transport(mode, seen),
    )
    assert isinstance(raw, RawResponse)
    assert raw.status_code == 200 and raw.headers["X-Request-Id"] == "r-1"
    assert isinstance(raw.http_response, httpx.Response) and raw.json() == QR
    parsed = raw.parse()
    assert isinstance(parsed, GroupQrCode) and parsed.qr_tips == QR["data"]["qrTips"]


def test_with_raw_response_needs_a_call_of_the_client() -> None:
    with (
        GeweClient(token=TOKEN, transport=httpx.MockTransport(Seen())) as client,
        pytest.raises(GeweConfigError, match="made no call"),
    ):
        client.with_raw_response(lambda: 42)


def test_http_client_of_your_own_gets_url_token_and_headers_and_is_not_closed() -> None:
    seen = Seen()
    own = httpx.Client(transport=httpx.MockTransport(seen), headers={"X-Mine": "1"})
    with GeweClient(
        token=TOKEN, app_id=APP_ID, http_client=own, default_headers={"X-Team": "bots"}
    ) as client:
        client.group.get_chatroom_qr_code(chatroom_id=ROOM)
    request = seen.requests[-1]
    assert str(request.url) == "http://api.geweapi.com/gewe/v2/api/group/getChatroomQrCode"
    assert request.headers["X-GEWE-TOKEN"] == TOKEN
    assert request.headers["X-Team"] == "bots" and request.headers["X-Mine"] == "1"
    assert not own.is_closed
    own.close()


def test_async_http_client_of_your_own() -> None:
    seen = Seen()

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(seen)) as own:
            async with AsyncGeweClient(token=TOKEN, app_id=APP_ID, http_client=own) as client:
                await client.group.get_chatroom_qr_code(chatroom_id=ROOM)
            assert not own.is_closed

    asyncio.run(go())
    assert seen.requests[-1].headers["X-GEWE-TOKEN"] == TOKEN


@pytest.mark.parametrize("cls", [GeweClient, AsyncGeweClient])
def test_client_option_mistakes_are_config_errors(cls: type) -> None:
    with pytest.raises(GeweConfigError, match="either http_client or transport"):
        cls(token=TOKEN, http_client=object(), transport=httpx.MockTransport(Seen()))
    with pytest.raises(GeweConfigError, match="http_client must be"):
        cls(token=TOKEN, http_client=object())
    with pytest.raises(GeweConfigError, match="cannot set X-GEWE-TOKEN"):
        cls(token=TOKEN, default_headers={"X-GEWE-TOKEN": "other-token"})


@pytest.mark.parametrize("mode", MODES)
def test_default_headers_go_with_every_call(mode: str) -> None:
    seen = Seen()
    run(
        mode,
        lambda c: c.group.get_chatroom_qr_code(chatroom_id=ROOM),
        transport=transport(mode, seen),
        default_headers={"X-Team": "bots", "User-Agent": "my-bot/1"},
    )
    assert seen.requests[-1].headers["X-Team"] == "bots"
    assert seen.requests[-1].headers["User-Agent"] == "my-bot/1"


def test_generated_functions_use_the_clients_transport_headers_and_base_url() -> None:
    seen = Seen()
    with GeweClient(
        token=TOKEN, base_url="http://gewe.internal:8080", transport=httpx.MockTransport(seen),
        default_headers={"X-Team": "bots"},
    ) as client:  # fmt: skip
        body = GroupGetChatroomQrCodeRequest(app_id=APP_ID, chatroom_id=ROOM)
        reply = group_get_chatroom_qr_code.sync(client=client.generated, body=body)
    assert reply is not None and reply.ret == 200
    request = seen.requests[-1]
    assert str(request.url) == "http://gewe.internal:8080/gewe/v2/api/group/getChatroomQrCode"
    assert request.headers["X-GEWE-TOKEN"] == TOKEN and request.headers["X-Team"] == "bots"


def test_async_generated_functions_use_the_clients_transport() -> None:
    seen = Seen()

    async def go() -> Any:
        async with AsyncGeweClient(
            token=TOKEN, base_url="http://gewe.internal:8080", transport=httpx.MockTransport(seen)
        ) as client:
            body = GroupGetChatroomQrCodeRequest(app_id=APP_ID, chatroom_id=ROOM)
            return await group_get_chatroom_qr_code.asyncio(client=client.generated, body=body)

    reply = asyncio.run(go())
    assert reply is not None and reply.ret == 200
    assert str(seen.requests[-1].url).startswith("http://gewe.internal:8080/")
    assert seen.requests[-1].headers["X-GEWE-TOKEN"] == TOKEN


@pytest.mark.parametrize("mode", MODES)
def test_a_misspelled_field_or_option_is_not_silently_dropped(mode: str) -> None:
    seen = Seen()
    for wrong, message in (
        ({"chatroomid": ROOM}, "missing 1 required keyword-only argument: 'chatroom_id'"),
        ({"chatroom_id": ROOM, "max_retry": 1}, "unexpected keyword argument 'max_retry'"),
    ):
        with pytest.raises(TypeError, match=message):  # the override forwards to the generated method
            run(mode, lambda c, w=wrong: c.group.get_chatroom_qr_code(**w), transport=transport(mode, seen))
    assert seen.requests == []


# --- options resolved once: UNSET keeps, None removes --------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_with_options_none_removes_a_limit_and_unset_keeps_it(mode: str) -> None:
    seen = Seen()

    def act(client: Any) -> Any:
        kept = client.with_options(max_retries=1)  # timeout not given: kept
        unlimited = client.with_options(timeout=None, app_id=None)
        assert kept._settings.timeout == client._settings.timeout and kept.app_id == APP_ID
        assert unlimited._settings.timeout.total is None and unlimited.app_id is None
        return unlimited.group.get_chatroom_qr_code(app_id="wx_given", chatroom_id=ROOM, timeout=None)

    run(mode, act, transport=transport(mode, seen), timeout=7.0)
    # no limit on any phase; a call's None keeps the copy's (the generated methods pass None for "not given")
    assert seen.requests[-1].extensions["timeout"] == {
        "connect": None,
        "read": None,
        "write": None,
        "pool": None,
    }
    assert seen.body()["appId"] == "wx_given"
    with pytest.raises(GeweConfigError, match="app id"):
        GeweClient(token=TOKEN, app_id=APP_ID).with_options(app_id=None).resolve_app_id(None)


def test_settings_are_frozen_keyword_only_and_resolved_in_one_place() -> None:
    from dataclasses import FrozenInstanceError

    from gewe.settings import UNSET

    settings = GeweClient(token=TOKEN, app_id=APP_ID, timeout=3.0)._settings
    with pytest.raises(FrozenInstanceError):
        settings.strict = True  # type: ignore[misc]
    with pytest.raises(TypeError):
        type(settings)(TOKEN)  # type: ignore[call-arg,misc]
    assert settings.resolve() is settings and settings.resolve(timeout=UNSET, strict=None) is settings
    assert settings.resolve(max_retries=0).retry_policy.max_retries == 0
    bad: dict[str, Any] = {"timeout": 0, "send_interval": -1, "max_response_bytes": 0, "app_id": 5}
    for setting, value in bad.items():
        with pytest.raises(GeweConfigError) as info:
            settings.resolve(**{setting: value})
        assert info.value.setting == setting
