"""Careless calls and settings: each is a GeweConfigError naming the option, sync and async alike,
never a raw TypeError / ValueError / UnicodeEncodeError / httpx error; and what is refused is
never sent."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import httpx
import pytest

from gewe import AsyncGeweClient, GeweClient, GeweConfigError, GeweHTTPError
from tests.conftest import TOKEN
from tests.support.calls import FAST, MODES

WRITE = ("message.postText", "/gewe/v2/api/message/postText")


class Seen:
    def __init__(self, reply: httpx.Response | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.reply = reply or httpx.Response(200, json={"ret": 200, "msg": "ok", "data": None})

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.reply.status_code, headers=self.reply.headers, content=self.reply.content)


def invoke(mode: str, seen: Seen, client: dict[str, Any] | None = None, **options: Any) -> Any:
    settings: dict[str, Any] = {"token": TOKEN, "app_id": "wx", "retry_policy": FAST, **(client or {})}
    body = options.pop("body", {"appId": "wx"})
    if mode == "sync":
        with GeweClient(transport=httpx.MockTransport(seen), **settings) as c:
            return c.invoke(*WRITE, body, None, **options)

    async def run() -> Any:
        async with AsyncGeweClient(transport=httpx.MockTransport(seen), **settings) as c:
            return await c.invoke(*WRITE, body, None, **options)

    return asyncio.run(run())


BAD_TIMEOUTS = [0, 0.0, -1, -0.5, math.nan, math.inf, True, "5", httpx.Timeout(0)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("timeout", BAD_TIMEOUTS, ids=repr)
def test_zero_negative_and_odd_timeouts_are_refused_alike_everywhere(mode: str, timeout: Any) -> None:
    seen = Seen()
    for where in ("client", "call", "with_options"):
        with pytest.raises(GeweConfigError, match="timeout must be a positive number") as info:
            if where == "client":
                invoke(mode, seen, client={"timeout": timeout})
            elif where == "call":
                invoke(mode, seen, timeout=timeout)
            else:
                GeweClient(token=TOKEN).with_options(timeout=timeout)
        assert info.value.setting == "timeout"
    assert seen.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_none_is_no_limit_and_a_number_bounds_every_phase(mode: str) -> None:
    seen = Seen()
    invoke(mode, seen, client={"timeout": None})
    invoke(mode, seen, timeout=2.5)
    assert [r.extensions["timeout"] for r in seen.requests] == [
        {"connect": None, "read": None, "write": None, "pool": None},
        {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5},
    ]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("options", "setting"),
    [
        ({"extra_body": {"x": object()}}, "extra_body"),
        ({"extra_body": {"x": math.nan}}, "extra_body"),
        ({"body": {"content": "\ud800"}}, "body"),
        ({"extra_headers": {"X-Name": "张三"}}, "extra_headers"),
        ({"extra_headers": {"X-Split": "a\r\nX-Injected: 1"}}, "extra_headers"),
        ({"extra_headers": {"Content-Length": "1"}}, "extra_headers"),
        ({"extra_headers": {"X-GEWE-TOKEN ": "other-token"}}, "extra_headers"),
        ({"extra_headers": {" x-gewe-token": "other-token"}}, "extra_headers"),
        ({"extra_headers": {"Bad Name": "v"}}, "extra_headers"),
        ({"max_response_bytes": 0}, "max_response_bytes"),
        ({"max_retries": -1}, "max_retries"),
    ],
    ids=lambda v: repr(v)[:40],
)
def test_careless_call_options_are_config_errors_naming_the_option(
    mode: str, options: dict[str, Any], setting: str
) -> None:
    seen = Seen()
    with pytest.raises(GeweConfigError) as info:
        invoke(mode, seen, **options)
    assert info.value.setting == setting and TOKEN not in str(info.value)
    assert seen.requests == []  # nothing half-sent


@pytest.mark.parametrize("cls", [GeweClient, AsyncGeweClient])
@pytest.mark.parametrize(
    ("base_url", "says"),
    [
        ("http://h:abc", "not a valid URL"),
        ("http://h:99999", "not a valid URL"),
        ("ftp://h", "http:// or https://"),
        ("http://", "no host"),
        ("http://h/?q=1", "query"),
        ("http://u:pw-secret@h:abc", "not a valid URL"),
    ],
)
def test_malformed_base_urls_are_config_errors(cls: type, base_url: str, says: str) -> None:
    with pytest.raises(GeweConfigError, match=says) as info:
        cls(token=TOKEN, base_url=base_url)
    assert info.value.setting == "base_url" and "pw-secret" not in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "setting"),
    [
        ({"default_headers": {"X-GEWE-TOKEN": "x"}}, "default_headers"),
        ({"default_headers": {"X-A": "b\n"}}, "default_headers"),
        ({"max_response_bytes": -5}, "max_response_bytes"),
        ({"send_interval": 0}, "send_interval"),
        ({"retry_policy": "fast"}, "retry_policy"),
        ({"transport": object()}, "transport"),
    ],
    ids=lambda v: repr(v)[:40],
)
@pytest.mark.parametrize("cls", [GeweClient, AsyncGeweClient])
def test_careless_client_settings_are_config_errors(cls: type, kwargs: dict[str, Any], setting: str) -> None:
    with pytest.raises(GeweConfigError) as info:
        cls(token=TOKEN, **kwargs)
    assert info.value.setting == setting


@pytest.mark.parametrize("mode", MODES)
def test_credentials_in_the_base_url_go_as_basic_auth_and_show_nowhere(mode: str) -> None:
    password = "pw-SECRET-77"
    seen = Seen(httpx.Response(502, text=f"proxy says: bad login user:{password}"))
    with pytest.raises(GeweHTTPError) as info:
        invoke(mode, seen, client={"base_url": f"http://user:{password}@gewe.test/root"})
    request = seen.requests[0]
    assert request.headers["Authorization"].startswith("Basic ")
    assert request.url == "http://gewe.test/root/gewe/v2/api/message/postText"  # no userinfo sent
    err = info.value
    assert password not in str(err) + err.body + err.body_excerpt + (err.url or "")
    client = GeweClient(token=TOKEN, base_url=f"http://user:{password}@gewe.test")
    assert password not in repr(client) + client.base_url and "***@gewe.test" in client.base_url
