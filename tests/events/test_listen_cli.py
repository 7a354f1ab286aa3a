"""`gewe listen` as a real subprocess: events printed once each, JSON lines, Ctrl-C stops cleanly."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from tests.fixtures import pushes as P
from tests.support import gewe_proc
from tools.servers import ROOT, free_port, port_accepts

TOKEN = "tok-SECRET-5f3a9c"
PATH = "/gewe/cli-s3cret-7c1e9a4b"


def _listen(*extra: str) -> tuple[subprocess.Popen[str], int]:
    return _listen_on(free_port(), *extra)


def _listen_on(port: int, *extra: str) -> tuple[subprocess.Popen[str], int]:
    cmd = [sys.executable, "-m", "gewe.cli", "listen", "--port", str(port), "--path", PATH, *extra]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not port_accepts("127.0.0.1", port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            _, err = proc.communicate()
            pytest.fail(f"gewe listen did not start: {err}")
        time.sleep(0.1)
    return proc, port


def _interrupt(proc: subprocess.Popen[str]) -> tuple[str, str]:
    return gewe_proc.stop(proc, signal.SIGINT)


@pytest.mark.parametrize("as_json", [False, True], ids=["lines", "json"])
def test_listen_prints_each_event_once_and_stops_on_ctrl_c(as_json: bool) -> None:
    proc, port = _listen(*(["--json"] if as_json else []))
    url = f"http://127.0.0.1:{port}{PATH}"
    group = P.push(1, "hello\nworld", room=P.ROOM)
    quote = P.push(49, P.QUOTE)
    try:
        with httpx.Client(timeout=10) as http:
            statuses = [
                http.post(url, json=body).status_code
                for body in (group, quote, group, {"testMsg": "验证", "token": TOKEN}, P.del_contacts(P.ROOM))
            ]
            assert http.post(f"http://127.0.0.1:{port}/gewe/wrong", json=group).status_code == 404
    finally:
        out, err = _interrupt(proc)
    assert statuses == [200] * 5
    assert proc.returncode == 0, err
    assert (
        f"listening on http://127.0.0.1:{port}{PATH}" in err and "stopped (3 events, 0 left unhandled)" in err
    )
    assert "Traceback" not in err and TOKEN not in out + err
    lines = out.splitlines()
    assert len(lines) == 3  # the duplicate and the test message print nothing
    if as_json:
        events = [json.loads(line) for line in lines]
        assert [e["kind"] for e in events] == ["text", "quote", "group_left"]
        assert events[0]["text"] == "hello\nworld" and events[0]["sender_wxid"] == P.ALICE
        assert events[0]["new_msg_id"] == group["Data"]["NewMsgId"] and events[0]["raw"] == group
        assert events[1]["quoted_new_msg_id"] == 8123456789012345000
    else:
        assert lines[0] == f"2026-01-01T00:00:00Z text {P.ROOM} {P.ALICE} hello world"
        assert lines[1] == f"2026-01-01T00:00:00Z quote {P.ALICE} {P.ALICE} my reply"
        assert lines[2] == f"- group_left {P.ROOM} - {P.ROOM}"


class _FakeGeWe(BaseHTTPRequestHandler):
    """setCallback as GeWe does it: post the test message to the URL, then answer."""

    calls: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).calls.append(body)
        test = httpx.post(body["callbackUrl"], json={"testMsg": "验证", "token": body["token"]}, timeout=10)
        reply = {"ret": 200, "msg": "操作成功"} if test.status_code == 200 else {"ret": 500, "msg": "不可用"}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def test_listen_sets_the_callback_once_listening() -> None:
    fake = ThreadingHTTPServer(("127.0.0.1", 0), _FakeGeWe)
    thread = threading.Thread(target=fake.serve_forever, daemon=True)
    thread.start()
    try:
        port = free_port()
        base = f"http://127.0.0.1:{fake.server_address[1]}"
        public = f"http://127.0.0.1:{port}"
        proc, _ = _listen_on(port, "--set-callback", public, "--base-url", base, "--token", TOKEN)
        deadline = time.monotonic() + 30
        while not _FakeGeWe.calls and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        out, err = _interrupt(proc)
    finally:
        fake.shutdown()
        fake.server_close()
    assert _FakeGeWe.calls == [{"token": TOKEN, "callbackUrl": public + PATH}]
    assert f"callback set to {public}{PATH}; GeWe's test message arrived" in err
    assert proc.returncode == 0 and TOKEN not in out + err


def test_listen_output_escapes_terminal_controls_and_json_is_strict() -> None:
    from gewe.events import parse_event
    from gewe.events.cli import event_json, event_line

    hostile = "hi \x1b[2J\x1b]0;owned\x07 \u202egnp.exe \x9b31m \u2066x\u2069"
    event = parse_event({**P.push(1, hostile), "Extra": float("nan"), "More": [float("inf")]})
    line = event_line(event)
    assert "\\x1b[2J" in line and "\\u202e" in line and "\\x9b" in line
    assert not any(c in line for c in "\x1b\x07\u202e\x9b\u2066\u2069")
    text = event_json(event)
    assert not any(c in text for c in "\x1b\x07\u202e\x9b\u2066\u2069")
    decoded = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in --json output"))
    assert decoded["text"] == hostile  # the escapes decode back to the text as it came
    assert decoded["raw"]["Extra"] is None and decoded["raw"]["More"] == [None]


def test_listen_store_only_keeps_pushes_for_gewe_work_across_a_kill(tmp_path: Path) -> None:
    """`gewe listen --queue Q --store-only` stores and answers, handling nothing; killed with
    SIGKILL, what it answered 200 is in Q, and `gewe work` in another process handles it once."""
    queue = f"sqlite:///{tmp_path / 'q.db'}"
    proc, port = _listen("--queue", queue, "--store-only")
    url = f"http://127.0.0.1:{port}{PATH}"
    first = P.push(1, "first", sender=P.ALICE, new_msg_id=21)
    second = P.push(1, "second", sender=P.ALICE, new_msg_id=22)
    try:
        with httpx.Client(timeout=10) as http:
            statuses = [
                http.post(url, json=body).status_code
                for body in (first, first, {"testMsg": "验证", "token": TOKEN}, second)
            ]
    finally:
        proc.kill()  # SIGKILL: no shutdown, nothing flushed at exit
        out, err = proc.communicate(timeout=30)
    assert statuses == [200] * 4
    assert f"listening on {url} (storing pushes in {queue} for `gewe work`; no handler here)" in err
    assert out == ""  # no handler here: nothing printed, nothing handled

    (tmp_path / "mybot.py").write_text(
        "import pathlib\n\nasync def handle(event):\n"
        "    with pathlib.Path('handled.txt').open('a') as f:\n"
        "        f.write(event.text + '\\n')\n",
        encoding="utf-8",
    )
    work = gewe_proc.start("work", "mybot:handle", "--queue", queue, "--stop-timeout", "2", cwd=tmp_path)
    handled = tmp_path / "handled.txt"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(_lines(handled)) < 2:
            time.sleep(0.05)
    finally:
        _, work_err = gewe_proc.stop(work)
    assert work.returncode == 0, work_err
    assert _lines(handled) == ["first", "second"]  # in order, the duplicate delivery handled once
    assert "stopped: 2 handled, 0 failed, 1 duplicates" in work_err, work_err


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


@pytest.mark.parametrize("queue", [[], ["--queue", "memory"]], ids=["no-queue", "memory"])
def test_store_only_needs_a_queue_other_processes_read(queue: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gewe.cli", "listen", "--store-only", *queue],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and result.stderr.startswith("usage: gewe listen"), result.stderr
    assert "--store-only needs a --queue other processes read" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_path_without_a_secret_is_refused_unless_allow_names_who_may_post(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from gewe.cli import main

    assert main(["listen", "--port", "0", "--path", "/gewe/callback"]) == 1
    err = capsys.readouterr().err
    assert "--path has no secret segment" in err and "--allow" in err
    proc, port = _listen("--path", "/gewe/callback", "--allow", "127.0.0.1")
    try:
        with httpx.Client(timeout=10) as http:
            assert (
                http.post(f"http://127.0.0.1:{port}/gewe/callback", json=P.push(1, "hi")).status_code == 200
            )
    finally:
        out, _ = _interrupt(proc)
    assert "hi" in out
