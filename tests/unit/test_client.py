"""The configured clients: auth, app id, settings, envelope errors and redaction (httpx.MockTransport)."""

from __future__ import annotations

import inspect
import json
import logging
from typing import Any

import httpx
import pytest

from gewe import (
    AsyncGeweClient,
    GeweAPIError,
    GeweClient,
    GeweConfigError,
    GeweError,
    GeweHTTPError,
    GeweResponseError,
)
from gewe.group_qr import GroupQrCode
from tests.conftest import APP_ID, TOKEN, qr_example
from tests.support.calls import MODES, call, invoke, qr

QR_DATA = qr_example()["data"]


class Recorder:
    """A MockTransport handler that answers from a list and keeps the requests."""

    def __init__(self, *replies: httpx.Response | dict[str, Any]) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(item, httpx.Response):  # a fresh copy: a Response's stream is read once
            return httpx.Response(item.status_code, headers=item.headers, content=item.read())
        return httpx.Response(200, json=item)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def success(data: Any = QR_DATA) -> dict[str, Any]:
    return {"ret": 200, "msg": "操作成功", "data": data}


@pytest.mark.parametrize("mode", MODES)
def test_token_header_and_app_id_are_set_by_the_client(mode: str) -> None:
    rec = Recorder(success())
    result = qr(mode, transport=rec.transport)
    assert isinstance(result, GroupQrCode)
    assert result.qr_tips == QR_DATA["qrTips"]
    (request,) = rec.requests
    assert request.headers["X-GEWE-TOKEN"] == TOKEN
    assert request.method == "POST"
    assert request.url.path == "/gewe/v2/api/group/getChatroomQrCode"
    assert request.url.host == "api.geweapi.com"
    assert json.loads(request.content) == {"appId": APP_ID, "chatroomId": "34757816141@chatroom"}


def test_methods_take_no_token_and_default_app_id() -> None:
    for cls in (GeweClient, AsyncGeweClient):
        method = cls(token=TOKEN).group.get_chatroom_qr_code
        params = inspect.signature(method).parameters
        assert "token" not in params
        assert params["app_id"].default is None
        assert params["chatroom_id"].default is inspect.Parameter.empty


@pytest.mark.parametrize("mode", MODES)
def test_app_id_per_call_overrides_the_client(mode: str) -> None:
    rec = Recorder(success())
    call(
        mode, "group", "get_chatroom_qr_code", {"chatroom_id": "1@chatroom", "app_id": "other"}, rec.transport
    )
    assert json.loads(rec.requests[0].content)["appId"] == "other"


@pytest.mark.parametrize("mode", MODES)
def test_missing_app_id_is_a_config_error_before_any_request(mode: str) -> None:
    rec = Recorder(success())
    with pytest.raises(GeweConfigError, match="GEWE_APP_ID"):
        qr(mode, transport=rec.transport, app_id=None)
    assert rec.requests == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("call_app_id", "client_app_id"), [("", APP_ID), ("", None), (None, "")])
def test_an_empty_app_id_is_sent_as_given(
    mode: str, call_app_id: str | None, client_app_id: str | None
) -> None:
    """GeWe's first login asks for a QR code with `appId: ""`: only None (nothing anywhere) is missing."""
    rec = Recorder(success())
    call(
        mode,
        "group",
        "get_chatroom_qr_code",
        {"chatroom_id": "1@chatroom", "app_id": call_app_id},
        rec.transport,
        app_id=client_app_id,
    )
    assert json.loads(rec.requests[0].content)["appId"] == ""


@pytest.mark.parametrize("cls", [GeweClient, AsyncGeweClient])
def test_resolve_app_id_refuses_only_none(cls: type, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEWE_APP_ID", raising=False)
    client = cls(token=TOKEN)
    assert client.resolve_app_id("") == ""
    assert client.with_options(app_id="").resolve_app_id(None) == ""
    with pytest.raises(GeweConfigError, match="GEWE_APP_ID"):
        client.resolve_app_id(None)


@pytest.mark.parametrize("cls", [GeweClient, AsyncGeweClient])
def test_missing_token_fails_when_the_client_is_built(cls: type) -> None:
    with pytest.raises(GeweConfigError, match="GEWE_TOKEN"):
        cls()
    with pytest.raises(GeweConfigError):
        cls(token="")


@pytest.mark.parametrize("cls", [GeweClient, AsyncGeweClient])
def test_settings_come_from_the_environment(cls: type, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEWE_TOKEN", TOKEN)
    monkeypatch.setenv("GEWE_APP_ID", "env-app")
    monkeypatch.setenv("GEWE_BASE_URL", "http://127.0.0.1:9/")
    client = cls()
    assert client.app_id == "env-app"
    assert client.base_url == "http://127.0.0.1:9"
    assert cls(token=TOKEN, app_id="arg", base_url="https://x.example").app_id == "arg"


def test_settings_of_the_wrong_type_are_config_errors() -> None:
    with pytest.raises(GeweConfigError, match="must be a string"):
        GeweClient(token=12345)  # type: ignore[arg-type]
    with pytest.raises(GeweConfigError, match="must be a string"):
        GeweClient(token=TOKEN, base_url=b"http://x")  # type: ignore[arg-type]


def test_default_base_url_is_the_public_cloud() -> None:
    assert GeweClient(token=TOKEN).base_url == "http://api.geweapi.com"


def test_bad_base_url_is_a_config_error() -> None:
    with pytest.raises(GeweConfigError, match="http"):
        GeweClient(token=TOKEN, base_url="api.geweapi.com")


@pytest.mark.parametrize("cls", [GeweClient, AsyncGeweClient])
def test_repr_never_shows_the_token(cls: type) -> None:
    client = cls(token=TOKEN, app_id=APP_ID)
    text = repr(client)
    assert TOKEN not in text
    assert APP_ID in text and "***" in text
    assert TOKEN not in repr(client.generated)


def test_modules_are_created_lazily_and_once() -> None:
    client = GeweClient(token=TOKEN)
    assert "group" not in vars(client)
    first = client.group
    assert client.group is first
    assert "group" in vars(client)


def test_generated_client_is_configured_like_the_client() -> None:
    generated = GeweClient(token=TOKEN, base_url="http://127.0.0.1:9").generated
    http = generated.get_httpx_client()
    assert http.headers["X-GEWE-TOKEN"] == TOKEN
    assert str(http.base_url) == "http://127.0.0.1:9"


# --- envelope errors ------------------------------------------------------------------------

ERROR_REPLIES: dict[str, tuple[httpx.Response, type[GeweError]]] = {
    "ret500-data-null": (
        httpx.Response(200, json={"ret": 500, "msg": "群不存在", "data": None}),
        GeweAPIError,
    ),
    "ret500-no-data": (httpx.Response(200, json={"ret": 500, "msg": "失败"}), GeweAPIError),
    "ret500-code": (
        httpx.Response(
            200, json={"ret": 500, "msg": "失败", "data": {"code": "-1", "msg": "二维码获取失败"}}
        ),
        GeweAPIError,
    ),
    "msg-null": (httpx.Response(200, json={"ret": 500, "msg": None, "data": None}), GeweAPIError),
    "http-502-html": (httpx.Response(502, text="<html><body>Bad Gateway</body></html>"), GeweHTTPError),
    "http-404-envelope": (httpx.Response(404, json={"ret": 404, "msg": "nope"}), GeweHTTPError),
    "truncated-json": (httpx.Response(200, content=b'{"ret": 200, "msg": "ok", "da'), GeweHTTPError),
    "not-utf8": (httpx.Response(200, content=b"\xff\xfe\x00{"), GeweHTTPError),
    "ret-string": (httpx.Response(200, json={"ret": "200", "msg": "ok", "data": QR_DATA}), GeweHTTPError),
    "ret-bool": (httpx.Response(200, json={"ret": True, "msg": "ok", "data": QR_DATA}), GeweHTTPError),
    "msg-number": (httpx.Response(200, json={"ret": 200, "msg": 5, "data": QR_DATA}), GeweHTTPError),
    "payload-list": (httpx.Response(200, json=[1, 2]), GeweHTTPError),
    "no-ret": (httpx.Response(200, json={"msg": "ok", "data": QR_DATA}), GeweHTTPError),
    # ret 200 without the data the spec promises: nothing of the method's type to return.
    "data-null-on-success": (
        httpx.Response(200, json={"ret": 200, "msg": "ok", "data": None}),
        GeweResponseError,
    ),
    "data-missing-on-success": (httpx.Response(200, json={"ret": 200, "msg": "ok"}), GeweResponseError),
    "data-list": (httpx.Response(200, json={"ret": 200, "msg": "ok", "data": [QR_DATA]}), GeweResponseError),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", sorted(ERROR_REPLIES))
def test_every_bad_reply_is_a_typed_error(mode: str, case: str) -> None:
    response, expected = ERROR_REPLIES[case]
    rec = Recorder(response)
    with pytest.raises(expected) as info:
        qr(mode, transport=rec.transport)
    assert type(info.value) is expected
    assert info.value.operation == "group.getChatroomQrCode"  # type: ignore[attr-defined]
    # A 502 is retried (the call is read-only) up to max_retries; no other bad reply is retried.
    assert len(rec.requests) == (3 if response.status_code == 502 else 1)
    if isinstance(info.value, GeweHTTPError):
        assert info.value.status_code == response.status_code


@pytest.mark.parametrize("mode", MODES)
def test_api_error_carries_the_server_fields(mode: str) -> None:
    rec = Recorder({"ret": 500, "msg": "失败", "data": {"code": -1, "msg": "二维码获取失败"}})
    with pytest.raises(GeweAPIError) as info:
        qr(mode, transport=rec.transport)
    err = info.value
    assert (err.ret, err.msg, err.code) == (500, "失败", "-1")
    assert err.data == {"code": -1, "msg": "二维码获取失败"}
    assert "ret=500" in str(err) and "code=-1" in str(err)


@pytest.mark.parametrize("mode", MODES)
def test_http_error_excerpt_keeps_the_start_and_the_end_of_a_long_body(mode: str) -> None:
    body = "<html>" + "x" * 5000 + "<p>field chatroomId is required</p></html>"
    rec = Recorder(httpx.Response(503, text=body))
    with pytest.raises(GeweHTTPError) as info:
        invoke(mode, "message.postText", rec.transport)
    excerpt = info.value.body_excerpt
    assert excerpt.startswith("<html>xxx") and excerpt.endswith("field chatroomId is required</p></html>")
    assert " … " in excerpt and len(excerpt) <= 403
    assert len(str(info.value)) < 600


@pytest.mark.parametrize("mode", MODES)
def test_token_echoed_by_the_server_is_redacted(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="gewe")
    echo = {"ret": 500, "msg": f"token {TOKEN} is invalid", "data": {"code": "-1", "msg": f"bad {TOKEN}"}}
    with pytest.raises(GeweAPIError) as info:
        qr(mode, transport=Recorder(echo).transport)
    assert (
        TOKEN not in str(info.value)
        and TOKEN not in repr(info.value.data)
        and TOKEN not in str(info.value.msg)
    )
    assert "***" in str(info.value)
    with pytest.raises(GeweHTTPError) as http_info:
        qr(mode, transport=Recorder(httpx.Response(500, text=f"denied for {TOKEN}")).transport)
    assert TOKEN not in str(http_info.value) and "***" in http_info.value.body_excerpt
    assert TOKEN not in caplog.text


@pytest.mark.parametrize("mode", MODES)
def test_log_lines_name_operation_and_outcome_never_the_token(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="gewe")
    qr(mode, transport=Recorder(success()).transport)
    messages = [r.getMessage() for r in caplog.records if r.name == "gewe"]
    assert any("group.getChatroomQrCode" in m and "ret=200" in m and "attempts: 1" in m for m in messages)
    assert TOKEN not in caplog.text


@pytest.mark.parametrize("mode", MODES)
def test_operations_without_a_data_model_return_data_as_is(mode: str) -> None:
    assert invoke(mode, "message.postText", Recorder(success({"msgId": 7})).transport) == {"msgId": 7}
    assert invoke(mode, "message.revokeMsg", Recorder(success(None)).transport) is None
