"""Tokens: checked when a client is made, and redacted in every spelling, chain and log record."""

from __future__ import annotations

import logging
import traceback
import urllib.parse

import httpx
import pytest

from gewe import AsyncGeweClient, GeweClient, GeweConfigError, GeweConnectionError
from gewe.tokens import Redactor, check_token
from tests.conftest import TOKEN
from tests.support.calls import MODES, invoke


def test_surrounding_whitespace_is_stripped_before_the_token_is_sent() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["X-GEWE-TOKEN"])
        return httpx.Response(200, json={"ret": 200, "msg": "ok", "data": None})

    with GeweClient(token=f"  {TOKEN}\n", app_id="wx", transport=httpx.MockTransport(handler)) as client:
        client.invoke("message.postText", "/gewe/v2/api/message/postText", {}, None)
    assert seen == [TOKEN]


def test_a_token_from_the_environment_is_stripped_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEWE_TOKEN", TOKEN + "\r\n")
    assert GeweClient()._settings.token == TOKEN


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        ("", "empty"),
        (" \n\t ", "only whitespace"),
        ("SECRET-TOKEN abc123", "whitespace"),
        ("SECRET-TOKEN-\x00abc123", "control character"),
        ("SECRET-TOKEN-\x7fabc123", "control character"),
        ("SECRET-TOKEN-密钥abc123", "non-ASCII"),
        ("abc1234", "shorter than 8"),
    ],
)
@pytest.mark.parametrize("cls", [GeweClient, AsyncGeweClient])
def test_a_token_that_cannot_be_a_header_is_a_config_error_without_the_token(
    cls: type, token: str, problem: str
) -> None:
    with pytest.raises(GeweConfigError) as info:
        cls(token=token)
    message = str(info.value)
    assert problem in message and f"(length {len(token)})" in message
    assert info.value.setting == "token"
    if token.strip():
        assert token.strip() not in message
        assert token.strip()[:6] not in message


def test_an_invalid_environment_token_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEWE_TOKEN", "tok en-12345")
    with pytest.raises(GeweConfigError, match="GEWE_TOKEN is not a valid token: it contains whitespace"):
        GeweClient()


def test_check_token_returns_the_stripped_token() -> None:
    assert check_token("\tabcdefgh \n") == "abcdefgh"


def test_redactor_covers_raw_repr_escaped_and_url_encoded_forms() -> None:
    token = "tok/en+x=1'\\q"
    redactor = Redactor(token)
    for form in (
        token,
        repr(token)[1:-1],
        repr(token.encode())[2:-1],
        urllib.parse.quote(token, safe=""),
        urllib.parse.quote_plus(token, safe=""),
    ):
        assert redactor.text(f"before {form} after") == "before *** after", form
    assert redactor.value({"k": [f"a{token}b", 3], token: None}) == {"k": ["a***b", 3], "***": None}


@pytest.mark.parametrize("mode", MODES)
def test_a_transport_error_carrying_the_token_is_redacted_through_the_chain(mode: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"Illegal header value {request.headers['X-GEWE-TOKEN'].encode()!r}")

    with pytest.raises(GeweConnectionError) as info:
        invoke(mode, "message.postText", httpx.MockTransport(handler), max_retries=0)
    text = "".join(traceback.format_exception(info.value))
    chained = "".join(traceback.format_exception(info.value.__context__)) if info.value.__context__ else ""
    assert TOKEN not in text + chained + repr(info.value.args)
    assert "***" in str(info.value)


def test_log_records_on_the_gewe_logger_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="gewe")
    client = GeweClient(token=TOKEN)
    logging.getLogger("gewe").warning("server said %s", f"bad token {TOKEN}")
    logging.getLogger("gewe").warning("quoted %s", urllib.parse.quote(TOKEN))
    assert TOKEN not in caplog.text and caplog.text.count("***") == 2
    client.close()
