"""`gewe login` against a fake GeWe on 127.0.0.1: states 0 -> 1 -> 2, expiry, a captcha prompt."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from gewe.cli import main
from tests.conftest import TOKEN
from tests.support.fake_gewe import CAPTCHA, fake_gewe
from tests.unit.test_login_flow import LOGGED_IN


def login(url: str, *extra: str) -> list[str]:
    return ["login", "--token", TOKEN, "--base-url", url, "--interval", "0", "--no-terminal", *extra]


def test_login_prints_app_id_wxid_and_nickname(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with fake_gewe(TOKEN) as fake:
        fake.check_login = [{"status": 0, "expiredTime": 240}, {"status": 1, "nickName": "Al"}, LOGGED_IN]
        code = main(login(fake.url, "-o", str(tmp_path / "qr"), "--region", "440000"))
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.splitlines() == ["app id: wx_new_device_1", "wxid: wxid_bot01", "nickname: Bot"]
    assert "waiting for the QR code to be scanned (the code expires in 240 s)" in err
    assert "scanned by Al: confirm the login on the phone" in err
    assert (tmp_path / "qr.png").read_bytes().startswith(b"\x89PNG")
    assert fake.ops("login/getLoginQrCode") == [{"appId": "", "type": "ipad", "regionId": "440000"}]
    assert TOKEN not in out + err


def test_login_json_is_one_state_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    with fake_gewe(TOKEN) as fake:
        fake.check_login = [{"status": 1}, LOGGED_IN]
        code = main([*login(fake.url, "--json"), "--app-id", "wx_known"])
    out, _ = capsys.readouterr()
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["kind"] for line in lines] == ["qr", "scanned", "logged_in"]
    assert lines[-1] == {
        "kind": "logged_in",
        "app_id": "wx_known",
        "uuid": "uuid-1",
        "expires_in": 200,
        "wxid": "wxid_bot01",
        "nickname": "Bot",
        "alias": "bot_alias",
    }
    assert lines[0]["qr_data"].startswith("http://weixin.qq.com/x/")


def test_new_device_ignores_the_configured_app_id(capsys: pytest.CaptureFixture[str]) -> None:
    with fake_gewe(TOKEN) as fake:
        fake.check_login = [LOGGED_IN]
        assert main([*login(fake.url, "--new-device"), "--app-id", "wx_known"]) == 0
    assert fake.ops("login/getLoginQrCode")[0]["appId"] == ""


def test_an_expired_code_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with fake_gewe(TOKEN) as fake:
        fake.check_login = [{"status": 0, "expiredTime": 0}]
        code = main(login(fake.url))
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert "the QR code expired" in err


def test_a_captcha_is_prompted_for(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("654321\n"))
    with fake_gewe(TOKEN) as fake:
        fake.check_login = [CAPTCHA, LOGGED_IN]
        code = main(login(fake.url))
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "verification code: " in err and "wxid: wxid_bot01" in out
    assert [p.get("captchCode") for p in fake.ops("login/checkLogin")] == [None, "654321"]


def test_a_captcha_with_no_answer_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with fake_gewe(TOKEN) as fake:
        fake.check_login = [CAPTCHA]
        assert main(login(fake.url)) == 1
    assert "no verification code given" in capsys.readouterr().err


def test_the_qr_code_is_drawn_in_the_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("zxingcpp")
    with fake_gewe(TOKEN) as fake:
        fake.check_login = [LOGGED_IN]
        args = [a for a in login(fake.url) if a != "--no-terminal"]
        assert main(args) == 0
    out, err = capsys.readouterr()
    drawn = out.split("app id:")[0]
    assert drawn.count("\n") > 10 and ("█" in drawn or "▀" in drawn or "▄" in drawn), drawn
    assert "its link: http://weixin.qq.com/x/fake-login-code" in err
