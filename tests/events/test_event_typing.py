"""A user's handler under `mypy --strict`: `Event` narrows by class (`match`) and by `.kind`."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tools.servers import ROOT

USER_CODE = """
from typing import assert_type
from gewe.events import Event, ImageEvent, QuoteEvent, TextEvent, parse_event

def handle(event: Event) -> str:
    if event.kind == "text":
        assert_type(event, TextEvent)
        return event.text or ""
    if event.kind == "quote":
        assert_type(event, QuoteEvent)
        return str(event.quoted_new_msg_id)
    match event:
        case ImageEvent(md5=md5, size=size):
            assert_type(size, int | None)
            return md5 or ""
        case _:
            return event.kind

handle(parse_event(b"{}"))
"""
WRONG_CODE = """
from gewe.events import Event

def handle(event: Event) -> None:
    if event.kind == "image":
        print(event.text)  # an image has no text: mypy must say so
"""


def test_events_narrow_by_class_and_by_kind(tmp_path: Path) -> None:
    (tmp_path / "bot.py").write_text(textwrap.dedent(USER_CODE), encoding="utf-8")
    (tmp_path / "wrong.py").write_text(textwrap.dedent(WRONG_CODE), encoding="utf-8")
    cmd = [
        sys.executable,
        "-m",
        "mypy",
        "--strict",
        "--cache-dir",
        str(tmp_path / "cache"),
        "bot.py",
        "wrong.py",
    ]
    env = {"MYPYPATH": f"{ROOT / 'overrides'}:{ROOT / 'generated'}", "PATH": ""}
    result = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, check=False, env=env)
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert [e for e in errors if e.startswith("bot.py")] == [], result.stdout + result.stderr
    assert len(errors) == 1 and errors[0].startswith("wrong.py"), result.stdout + result.stderr
    assert '"ImageEvent" has no attribute "text"' in errors[0]
