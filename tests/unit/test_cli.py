"""The `gewe` command, against a real loopback server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gewe.cli import main
from tests.conftest import APP_ID, TOKEN, qr_example
from tests.support.loopback import FaultServer, ok, reply

QR = qr_example()["data"]


def run(server: FaultServer, *args: str) -> int:
    return main(
        [*args, "--token", TOKEN, "--app-id", APP_ID, "--base-url", server.base_url, "--retries", "0"]
    )


def test_group_qrcode_saves_the_image_and_prints_expiry_and_link(
    server: FaultServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.script([ok(QR)])
    code = run(server, "group", "qrcode", "34757816141@chatroom", "-o", str(tmp_path / "qr"))
    out = capsys.readouterr().out
    assert code == 0
    saved = tmp_path / "qr.jpg"
    assert saved.read_bytes()[:3] == b"\xff\xd8\xff"
    assert f"saved: {saved}" in out
    assert "expires: " in out and "+08:00" in out
    assert "join link: https://weixin.qq.com/g/" in out
    assert server.requests[0].json() == {"appId": APP_ID, "chatroomId": "34757816141@chatroom"}


def test_group_qrcode_can_draw_in_the_terminal(
    server: FaultServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.script([ok(QR)])
    assert run(server, "group", "qrcode", "1@chatroom", "-o", str(tmp_path / "q.jpg"), "--terminal") == 0
    out = capsys.readouterr().out
    assert out.count("\n") > 15 and "█" in out


def test_call_any_operation_prints_data_as_json(
    server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.script([ok({"msgId": 42, "toWxid": "wxid_x"})])
    assert run(server, "call", "group", "getChatroomQrCode", "--json", '{"chatroomId": "1@chatroom"}') == 0
    assert json.loads(capsys.readouterr().out) == {"msgId": 42, "toWxid": "wxid_x"}
    seen = server.requests[0]
    assert seen.path == "/gewe/v2/api/group/getChatroomQrCode"
    assert seen.json() == {"chatroomId": "1@chatroom", "appId": APP_ID}
    # The snake-case method name works too.
    server.script([ok(None)])
    assert run(server, "call", "group", "get_chatroom_qr_code") == 0


def test_api_error_prints_ret_msg_code_and_exits_1(
    server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.script([reply({"ret": 500, "msg": f"bad token {TOKEN}", "data": {"code": "-1", "msg": "x"}})])
    assert run(server, "group", "qrcode", "1@chatroom") == 1
    captured = capsys.readouterr()
    assert "ret=500" in captured.err and "code='-1'" in captured.err
    assert "Traceback" not in captured.err and TOKEN not in captured.err + captured.out


def test_usage_errors_exit_2(server: FaultServer, capsys: pytest.CaptureFixture[str]) -> None:
    for args in (
        ("call", "nosuchmodule", "x"),
        ("call", "group", "noSuchOperation"),
        ("call", "group", "getChatroomQrCode", "--json", "{oops"),
        ("call", "group", "getChatroomQrCode", "--json", "[1]"),
    ):
        with pytest.raises(SystemExit) as info:
            run(server, *args)
        assert info.value.code == 2
    assert server.count == 0
    assert "Traceback" not in capsys.readouterr().err


def test_missing_token_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["group", "qrcode", "1@chatroom"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no GeWe token") and err.count("\n") == 1


def test_operations_lists_the_spec(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["operations"]) == 0
    assert "group.get_chatroom_qr_code" in capsys.readouterr().out


@pytest.mark.parametrize("args", [[], ["group"], ["group", "qrcode"], ["call"], ["operations"]])
def test_help_works_everywhere(args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "gewe.cli", *args, "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0
    assert "usage: gewe" in proc.stdout


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).parent / "gewe"
    proc = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("gewe-sdk ")
