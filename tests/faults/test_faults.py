"""Fault injection against a real HTTP server on 127.0.0.1 (real sockets, no mock transport).

Every fault ends in the documented typed error, or in success after bounded retries; the
server's request count proves what was retried and what never was.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from gewe import (
    GeweAPIError,
    GeweClient,
    GeweConnectionError,
    GeweHTTPError,
    GeweImageError,
    GeweResponseError,
    GeweTimeoutError,
)
from gewe.group_qr import GroupQrCode
from tests.conftest import TOKEN, qr_example
from tests.support.calls import MODES, invoke, qr
from tests.support.loopback import FaultServer, Step, closed_port, ok, reply

# Over the clients' default fast paths and over a transport the user passes (see tests.support.calls).
pytestmark = pytest.mark.usefixtures("route")

QR = qr_example()["data"]
WRITE = "message.postText"


@pytest.mark.parametrize("mode", MODES)
def test_success_over_a_real_socket(server: FaultServer, mode: str) -> None:
    server.script([ok(QR)])
    result = qr(mode, base_url=server.base_url)
    assert isinstance(result, GroupQrCode)
    assert result.image.mime_type == "image/jpeg"
    (seen,) = server.requests
    assert seen.path == "/gewe/v2/api/group/getChatroomQrCode"
    assert seen.headers["X-GEWE-TOKEN"] == TOKEN
    assert seen.json()["chatroomId"] == "34757816141@chatroom"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("payload", "code", "msg"),
    [
        ({"ret": 500, "msg": "失败", "data": None}, None, "失败"),
        ({"ret": 500, "msg": "失败"}, None, "失败"),
        ({"ret": 500, "msg": "失败", "data": {"code": "-1", "msg": "获取群二维码失败"}}, "-1", "失败"),
        ({"ret": 500, "msg": None, "data": None}, None, None),
    ],
    ids=["data-null", "data-missing", "data-code", "msg-null"],
)
def test_business_errors(
    server: FaultServer, mode: str, payload: dict[str, object], code: str | None, msg: str | None
) -> None:
    server.script([reply(payload)])
    with pytest.raises(GeweAPIError) as info:
        qr(mode, base_url=server.base_url)
    assert (info.value.ret, info.value.code, info.value.msg) == (500, code, msg)
    assert server.count == 1


@pytest.mark.parametrize("mode", MODES)
def test_http_502_html_page(server: FaultServer, mode: str) -> None:
    page = reply(b"<html><h1>502 Bad Gateway</h1></html>", status=502, headers={"Content-Type": "text/html"})
    server.script([page])
    with pytest.raises(GeweHTTPError) as info:
        invoke(mode, WRITE, base_url=server.base_url)
    assert info.value.status_code == 502 and "Bad Gateway" in info.value.body_excerpt
    assert server.count == 1  # never re-sent: postText may have been delivered
    server.script([page])
    with pytest.raises(GeweHTTPError):
        qr(mode, base_url=server.base_url)
    assert server.count == 3  # read-only: first attempt + 2 retries


@pytest.mark.parametrize("mode", MODES)
def test_truncated_json(server: FaultServer, mode: str) -> None:
    server.script([reply(b'{"ret": 200, "msg": "ok", "data": {"qrBase64": "/9j/')])
    with pytest.raises(GeweHTTPError, match="not JSON"):
        qr(mode, base_url=server.base_url)


@pytest.mark.parametrize("mode", MODES)
def test_body_shorter_than_its_content_length(server: FaultServer, mode: str) -> None:
    body = json.dumps({"ret": 200, "msg": "ok", "data": QR}).encode()
    server.script([Step(body=body[:40], declared_length=len(body))])
    with pytest.raises(GeweConnectionError):
        invoke(mode, WRITE, base_url=server.base_url)
    assert server.count == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"ret": "200", "msg": "ok", "data": QR}, GeweHTTPError),
        ({"ret": 200, "msg": ["ok"], "data": QR}, GeweHTTPError),
        ([200, "ok"], GeweHTTPError),
        ({"ret": 200, "msg": "ok", "data": "qr"}, GeweResponseError),
        ({"ret": 200, "msg": "ok", "data": None}, GeweResponseError),
    ],
    ids=["ret-str", "msg-list", "not-an-object", "data-str", "data-null"],
)
def test_wrong_types(server: FaultServer, mode: str, payload: object, error: type[Exception]) -> None:
    server.script([reply(payload)])
    with pytest.raises(error) as info:
        qr(mode, base_url=server.base_url)
    assert type(info.value) is error
    assert server.count == 1  # a reply that breaks the envelope or the spec is never retried


@pytest.mark.parametrize("mode", MODES)
def test_an_incomplete_reply_is_kept_or_refused_by_mode(
    server: FaultServer, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    server.script([ok({"qrBase64": QR["qrBase64"]})])
    result = qr(mode, base_url=server.base_url)
    assert result.qr_base64 == QR["qrBase64"] and result.qr_tips is None
    assert "data.qrTips is missing, expected string" in caplog.text
    with pytest.raises(GeweResponseError, match="qrTips"):
        _ = result.tips
    with pytest.raises(GeweResponseError, match=r"data\.qrTips is missing"):
        qr(mode, base_url=server.base_url, strict=True)
    assert server.count == 2


@pytest.mark.parametrize("mode", MODES)
def test_invalid_base64_in_the_qr_field(server: FaultServer, mode: str) -> None:
    server.script([ok({"qrBase64": "not base64 at all!!", "qrTips": QR["qrTips"]})])
    result = qr(mode, base_url=server.base_url)
    with pytest.raises(GeweImageError):
        _ = result.image


@pytest.mark.parametrize("mode", MODES)
def test_reply_slower_than_the_timeout(server: FaultServer, mode: str) -> None:
    server.script([Step(body=b"{}", delay=2.0)])
    with pytest.raises(GeweTimeoutError):
        invoke(mode, WRITE, base_url=server.base_url, timeout=0.3)
    assert server.count == 1  # one attempt: a message that may have been delivered is not re-sent

    server.script([Step(body=b"{}", delay=2.0)])
    with pytest.raises(GeweTimeoutError):
        qr(mode, base_url=server.base_url, timeout=0.3)
    assert server.count == 3  # read-only: retried, and bounded


@pytest.mark.parametrize("mode", MODES)
def test_connection_reset_mid_reply(server: FaultServer, mode: str) -> None:
    body = json.dumps({"ret": 200, "msg": "ok", "data": QR}).encode()
    server.script([Step(body=body, reset_after=20)])
    with pytest.raises(GeweConnectionError):
        invoke(mode, WRITE, base_url=server.base_url)
    assert server.count == 1

    server.script([Step(body=body, reset_after=20), ok(QR)])
    assert isinstance(qr(mode, base_url=server.base_url), GroupQrCode)
    assert server.count == 2


@pytest.mark.parametrize("mode", MODES)
def test_503s_that_clear_after_two_tries(server: FaultServer, mode: str) -> None:
    busy = reply(b"busy", status=503)
    server.script([busy, busy, ok(QR)])
    assert isinstance(qr(mode, base_url=server.base_url), GroupQrCode)
    assert server.count == 3

    server.script([busy, busy, ok({"msgId": 1})])
    with pytest.raises(GeweHTTPError) as info:
        invoke(mode, WRITE, base_url=server.base_url)
    assert info.value.status_code == 503
    assert server.count == 1


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the client asks for between attempts, recorded instead of slept."""
    asked: list[float] = []

    async def async_sleep(delay: float, *args: Any) -> None:
        asked.append(delay)

    monkeypatch.setattr(GeweClient, "_sleep", lambda client, delay: asked.append(delay))
    monkeypatch.setattr(asyncio, "sleep", async_sleep)
    return asked


@pytest.mark.parametrize("mode", MODES)
def test_429_with_retry_after(server: FaultServer, mode: str, waits: list[float]) -> None:
    server.script([reply(b"slow down", status=429, headers={"Retry-After": "3"}), ok(QR)])
    assert isinstance(qr(mode, base_url=server.base_url), GroupQrCode)
    assert server.count == 2  # the 429, then the retry that succeeded
    assert waits == [3.0]  # the retry waited what Retry-After asked (the backoff alone is milliseconds)


class CountingTransport(httpx.HTTPTransport):
    """A real socket transport that counts the requests it tries to send."""

    def __init__(self) -> None:
        super().__init__()
        self.attempts = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        return super().handle_request(request)


class AsyncCountingTransport(httpx.AsyncHTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.attempts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        return await super().handle_async_request(request)


@pytest.mark.parametrize("mode", MODES)
def test_connection_refused_is_retried_then_typed(mode: str) -> None:
    # Nothing listens, so no server can count: the transport counts the attempts instead.
    transport = CountingTransport() if mode == "sync" else AsyncCountingTransport()
    with pytest.raises(GeweConnectionError) as info:
        invoke(mode, WRITE, transport=transport, base_url=f"http://127.0.0.1:{closed_port()}")  # type: ignore[arg-type]
    assert not isinstance(info.value, GeweTimeoutError)
    # Refused before the request was sent: retried even for a write, up to max_retries (2).
    assert transport.attempts == 3


def test_generated_functions_work_with_the_configured_client(server: FaultServer) -> None:
    from gewe_api.api.group import group_get_chatroom_qr_code
    from gewe_api.models import GroupGetChatroomQrCodeRequest, GroupGetChatroomQrCodeResponse

    server.script([ok(QR)])
    with GeweClient(token=TOKEN, base_url=server.base_url) as client:
        response = group_get_chatroom_qr_code.sync(
            client=client.generated, body=GroupGetChatroomQrCodeRequest(app_id="a", chatroom_id="1@chatroom")
        )
    assert isinstance(response, GroupGetChatroomQrCodeResponse)
    assert response.ret == 200
    assert server.requests[0].headers["X-GEWE-TOKEN"] == TOKEN
