"""`gewe fake push`: the push it builds, and delivering it through a running fake."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from gewe import GeweConfigError
from gewe.cli import main
from gewe.events import Event, Receiver, parse_event, secret_path
from gewe.testing import FakeGewe, pushes
from gewe.testing.cli import TEXT_KINDS, build_push, push_kinds
from tools.servers import free_port


def args(
    kind: str,
    text: str | None = None,
    to: str | None = None,
    sender: str | None = None,
    mention: list[str] | None = None,
) -> argparse.Namespace:
    return argparse.Namespace(kind=kind, text=text, to=to, sender=sender, mention=mention)


@contextlib.contextmanager
def receiving(got: list[Event]) -> Iterator[tuple[asyncio.AbstractEventLoop, str]]:
    """A receiver appending to `got`, on an event loop of its own (run it to let it answer), and
    its URL; stopped (its events handled) and the loop closed on leaving."""
    loop = asyncio.new_event_loop()
    receiver = Receiver(got.append, path=secret_path())
    try:
        yield loop, loop.run_until_complete(receiver.start())
        loop.run_until_complete(receiver.stop())
    finally:
        loop.close()


def test_the_push_it_builds() -> None:
    private = parse_event(build_push(args("text", "hello", to="wxid_carol"), "wx_a"))
    assert (private.kind, private.text, private.sender_wxid, private.app_id) == (
        "text",
        "hello",
        "wxid_carol",
        "wx_a",
    )  # type: ignore[union-attr]
    group = parse_event(build_push(args("text", "hi", to="1@chatroom", sender="wxid_bob"), "wx_a"))
    assert (group.room_id, group.sender_wxid, group.text) == ("1@chatroom", "wxid_bob", "hi")  # type: ignore[union-attr]
    assert parse_event(build_push(args("image", to="wxid_carol"), "wx_a")).kind == "image"
    assert parse_event(build_push(args("offline"), "wx_a")).kind == "offline"
    for bad in (args("text"), args("image", "words"), args("offline", "words"), args("offline", to="wxid_x")):
        with pytest.raises(GeweConfigError):
            build_push(bad, "wx_a")


def test_gewe_fake_push_delivers_through_the_running_fake(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    got: list[Event] = []
    with receiving(got) as (loop, url), FakeGewe() as fake:
        monkeypatch.setenv("GEWE_BASE_URL", fake.base_url)
        monkeypatch.setenv("GEWE_TOKEN", fake.token)
        monkeypatch.setenv("GEWE_APP_ID", fake.app_id)
        assert main(["fake", "push", "text", "--to", "wxid_carol", "hello"]) == 1  # no callback yet
        assert "login.setCallback first" in capsys.readouterr().err
        fake.callback_url = url
        # the receiver runs on `loop`: let it answer while the command waits for the fake
        task = loop.run_in_executor(
            None, main, ["fake", "push", "text", "--to", "wxid_carol", "hello", "--duplicate"]
        )
        assert loop.run_until_complete(task) == 0
        assert capsys.readouterr().out.strip() == f"text pushed to {url}: HTTP 200"
        assert len(fake.deliveries) == 2
        monkeypatch.setenv("GEWE_TOKEN", "tok-not-the-fake")
        assert main(["fake", "push", "offline"]) == 1
    assert [(e.kind, e.text) for e in got] == [("text", "hello")]  # type: ignore[union-attr]
    with pytest.raises(SystemExit) as usage:
        main(["fake", "push", "text", "--bogus", "hello"])
    assert usage.value.code == 2


def test_gewe_fake_serves_until_interrupted() -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEWE_")}
    env.update(PYTHONUNBUFFERED="1", GEWE_APP_ID="wx_cli_app")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gewe.cli", "fake", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert f"operations at http://127.0.0.1:{port};" in first, first + proc.stdout.read()
        exports = proc.stdout.readline().split()
        token = next(w.split("=", 1)[1] for w in exports if w.startswith("GEWE_TOKEN="))
        assert "GEWE_APP_ID=wx_cli_app" in exports and token.startswith("fake-")
        proc.stdout.readline()
        body = {"appId": "wx_cli_app", "chatroomId": "1@chatroom"}
        url = f"http://127.0.0.1:{port}/gewe/v2/api/group/getChatroomQrCode"
        assert httpx.post(url, json=body, headers={"X-GEWE-TOKEN": token}).json()["ret"] == 200
        assert proc.stdout.readline().strip() == "group.getChatroomQrCode ok"
        assert httpx.post(url, json=body).json()["msg"] == "header:X-GEWE-TOKEN 不可为空"
        assert (
            proc.stdout.readline().strip() == "group.getChatroomQrCode refused: header:X-GEWE-TOKEN 不可为空"
        )
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_every_kind_it_offers_builds_a_push_of_that_kind() -> None:
    assert set(TEXT_KINDS) <= set(push_kinds())  # the help's text kinds are all KINDs it takes
    for kind in push_kinds():
        text = "hello" if kind in TEXT_KINDS else None
        assert parse_event(build_push(args(kind, text), "wx_a")).kind == kind


def test_a_group_text_can_mention_the_bot() -> None:
    event = parse_event(build_push(args("text", "hi bot", mention=[pushes.BOT, "wxid_dan"]), "wx_a"))
    assert (event.room_id, event.mentions, event.mentions_me) == (  # type: ignore[union-attr]
        pushes.ROOM,
        (pushes.BOT, "wxid_dan"),
        True,
    )
    assert event.text_without_mentions == "hi bot"  # type: ignore[union-attr]
    other = parse_event(build_push(args("text", "hi", to="9@chatroom", sender="wxid_e", mention=["x"]), "a"))
    assert (other.room_id, other.sender_wxid, other.mentions_me) == ("9@chatroom", "wxid_e", False)  # type: ignore[union-attr]
    for bad in (args("text", "hi", to="wxid_carol", mention=["x"]), args("image", mention=["x"])):
        with pytest.raises(GeweConfigError, match="--mention"):
            build_push(bad, "wx_a")


def test_push_without_a_token_says_so_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GEWE_TOKEN", raising=False)
    assert main(["fake", "push", "text", "hi"]) == 1
    err = capsys.readouterr().err
    assert err.count("GEWE_TOKEN") == 1 and err.count("--token") == 1, err


def test_push_goes_to_the_fake_its_port_or_base_url_names(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--port (before or after `push`) and --base-url after the command beat $GEWE_BASE_URL."""
    got: list[Event] = []
    with (
        receiving(got) as (loop, url),
        FakeGewe(token="tok-cli-0123") as wanted,
        FakeGewe(token="tok-cli-0123") as other,
    ):
        wanted.callback_url = other.callback_url = url
        monkeypatch.setenv("GEWE_BASE_URL", other.base_url)
        monkeypatch.setenv("GEWE_TOKEN", "tok-cli-0123")
        port = wanted.base_url.rsplit(":", 1)[1]
        for argv in (
            ["fake", "--port", port, "push", "text", "one"],
            ["fake", "push", "text", "two", "--port", port],
            ["fake", "push", "text", "three", "--base-url", wanted.base_url],
            ["fake", "--host", "0.0.0.0", "--port", port, "push", "text", "four"],
        ):
            assert loop.run_until_complete(loop.run_in_executor(None, main, argv)) == 0, argv
        assert len(wanted.deliveries) == 4 and other.deliveries == []
        with pytest.raises(SystemExit) as usage:
            main(["fake", "--port", port, "push", "text", "x", "--base-url", wanted.base_url])
        assert usage.value.code == 2 and "not both" in capsys.readouterr().err
    assert [e.text for e in got] == ["one", "two", "three", "four"]  # type: ignore[union-attr]
