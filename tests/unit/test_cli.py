"""The `gewe` command, against a real loopback server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

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


def test_global_options_work_before_the_command_too(
    server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.script([ok({"n": 1})])
    code = main(
        [
            *("--token", TOKEN, "--app-id", APP_ID, "--base-url", server.base_url, "--retries", "0"),
            *("call", "group", "getChatroomQrCode", "--json", '{"chatroomId": "1@chatroom"}'),
        ]
    )
    assert code == 0 and json.loads(capsys.readouterr().out) == {"n": 1}
    assert server.requests[0].headers["X-GEWE-TOKEN"] == TOKEN


def test_an_option_after_the_command_wins_over_one_before(server: FaultServer) -> None:
    server.script([ok(None)])
    code = main(
        [
            *("--app-id", "before", "--base-url", "http://127.0.0.1:9", "call", "group", "getChatroomQrCode"),
            *("--app-id", "after", "--token", TOKEN, "--base-url", server.base_url, "--retries", "0"),
        ]
    )
    assert code == 0 and server.requests[0].json()["appId"] == "after"


@pytest.mark.parametrize("app_id", ['"appId": null, ', ""])
def test_call_fills_a_null_or_missing_app_id_from_the_config(server: FaultServer, app_id: str) -> None:
    server.script([ok(None)])
    assert run(server, "call", "group", "getChatroomQrCode", "--json", f'{{{app_id}"chatroomId": "1"}}') == 0
    assert server.requests[0].json() == {"appId": APP_ID, "chatroomId": "1"}


@pytest.mark.parametrize(
    ("env", "args", "expected"),
    [
        ({}, [], "error: no GeWe token: pass --token or set GEWE_TOKEN\n"),
        ({"GEWE_TOKEN": TOKEN}, [], "error: no GeWe app id: pass --app-id or set GEWE_APP_ID\n"),
        ({"GEWE_TOKEN": "tok en-12345"}, ["--app-id", "x"], "(set with --token or GEWE_TOKEN)"),
        ({}, ["--token", TOKEN, "--app-id", "x", "--base-url", "ftp://h"], "--base-url or GEWE_BASE_URL"),
    ],
)
def test_config_errors_name_the_flag_and_the_variable(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    args: list[str],
    expected: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main([*args, "call", "group", "getChatroomQrCode"]) == 1
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1
    assert "token=..." not in err and "app_id=..." not in err and "tok en-12345" not in err


@pytest.mark.parametrize(
    "bad", [["--retries", "-1"], ["--retries", "two"], ["--timeout", "0"], ["--timeout", "nan"]]
)
@pytest.mark.parametrize("where", ["before", "after"])
def test_bad_flag_values_exit_2_with_the_usage_line(
    capsys: pytest.CaptureFixture[str], bad: list[str], where: str
) -> None:
    argv = [*bad, "operations"] if where == "before" else ["operations", *bad]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: gewe") and f"argument {bad[0]}" in err
    assert "Traceback" not in err and "max_retries" not in err


def test_a_closed_stdout_ends_quietly(server: FaultServer, tmp_path: Path) -> None:
    server.script([ok(QR)])
    exe = Path(sys.executable).parent / "gewe"
    cmd = (
        f"set -o pipefail; '{exe}' --token {TOKEN} --app-id {APP_ID} --base-url {server.base_url} "
        f"group qrcode 1@chatroom -o '{tmp_path / 'q'}' --terminal | head -n 1"
    )
    proc = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=60, check=False)
    assert proc.stdout.startswith("saved: ") and proc.stdout.count("\n") == 1
    assert proc.stderr == "" and proc.returncode in (0, 141)


def test_verbose_logs_the_call_to_stderr_without_the_token(
    server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.script([ok(None)])
    assert run(server, "-v", "call", "group", "getChatroomQrCode") == 0
    err = capsys.readouterr().err
    assert "group.getChatroomQrCode ret=200" in err and TOKEN not in err


def test_verbose_prints_the_whole_error_body(server: FaultServer, capsys: pytest.CaptureFixture[str]) -> None:
    body = "<html>" + "x" * 2000 + f"<p>chatroomId is required {TOKEN}</p></html>"
    server.script([reply(body, status=422)])
    assert run(server, "call", "group", "getChatroomQrCode") == 1
    quiet = capsys.readouterr().err
    assert "body: " not in quiet and "x" * 1000 not in quiet
    server.script([reply(body, status=422)])
    assert run(server, "-v", "call", "group", "getChatroomQrCode") == 1
    loud = capsys.readouterr().err
    assert "x" * 2000 in loud and "chatroomId is required ***" in loud and TOKEN not in loud


def _shell(server: FaultServer | None, command: str, env: dict[str, str] | None = None) -> Any:
    exe = Path(sys.executable).parent / "gewe"
    base = f"--base-url {server.base_url} " if server is not None else ""
    cmd = f"'{exe}' --token {TOKEN} --app-id {APP_ID} {base}--retries 0 {command}"
    return subprocess.run(
        ["bash", "-c", cmd], capture_output=True, text=True, timeout=60, check=False, env=env
    )


def test_a_closed_stdout_is_one_line_on_stderr_not_a_traceback() -> None:
    proc = _shell(None, "operations >&-")
    assert "Traceback" not in proc.stderr and proc.returncode == 1
    assert proc.stderr.strip().splitlines() == ["error: the output could not be written: stdout is closed"]


@pytest.mark.parametrize("redirect", [">&-", "> /dev/full", "| true"])
def test_a_successful_call_exits_0_whatever_happens_to_its_output(server: FaultServer, redirect: str) -> None:
    server.script([ok({"msgId": 7, "content": "你好"})])
    proc = _shell(server, f"call group getChatroomQrCode {redirect}")
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 0, proc.stderr
    assert server.count == 1


def test_a_non_utf8_stdout_gets_escapes_and_status_0(server: FaultServer) -> None:
    server.script([ok({"msgId": 7, "content": "你好 👋"})])
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "LC_ALL": "C"}
    proc = _shell(server, "call group getChatroomQrCode", env=env)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "\\u4f60\\u597d" in proc.stdout and server.count == 1
    server.script([reply({"ret": 500, "msg": "微信已离线", "data": None})])
    proc = _shell(server, "call group getChatroomQrCode", env=env)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and "\\u5fae" in proc.stderr
