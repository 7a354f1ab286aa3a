"""`gewe work MODULE:HANDLER --queue Q` handles what a receiver stored and exits on SIGTERM;
`gewe dead list|replay` shows and re-queues dead letters; bad input is a clear error, no traceback."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from gewe.events import SqliteQueue
from gewe.events.queues import Delivery
from tests.fixtures import pushes as P
from tests.support import gewe_proc

gewe = gewe_proc.run


async def _store_and_kill_one(db: Path) -> None:
    queue = SqliteQueue(db)
    await queue.put(P.push(1, "to handle", sender="wxid_a", new_msg_id=11))
    await queue.put(P.push(1, "poison", sender="wxid_b", new_msg_id=12))
    taken = await queue.take(10, 0)
    poison = next(d for d in taken if isinstance(d, Delivery) and d.raw["Data"]["NewMsgId"] == 12)
    await queue.hand_back([d for d in taken if d is not poison])
    await queue.dead(poison, "RuntimeError: boom")
    await queue.close()


def test_gewe_work_handles_stored_pushes_and_stops_on_sigterm(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    asyncio.run(_store_and_kill_one(db))
    (tmp_path / "mybot.py").write_text(
        "import pathlib\n\nasync def handle(event):\n"
        "    pathlib.Path('handled.txt').write_text(event.text)\n",
        encoding="utf-8",
    )
    proc = gewe_proc.start(
        "work", "mybot:handle", "--queue", f"sqlite:///{db}", "--stop-timeout", "2", cwd=tmp_path
    )
    try:
        for _ in range(300):
            if (tmp_path / "handled.txt").exists():
                break
            time.sleep(0.05)
        assert (tmp_path / "handled.txt").read_text(encoding="utf-8") == "to handle"
    finally:
        _, err = gewe_proc.stop(proc)
    assert proc.returncode == 0, err
    assert "stopped: 1 handled" in err

    listed = gewe("dead", "list", "--queue", f"sqlite:///{db}", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    [letter] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert letter["error"] == "RuntimeError: boom" and letter["new_msg_id"] == 12 and letter["attempts"] == 1
    nothing = gewe("dead", "replay", "--queue", f"sqlite:///{db}", cwd=tmp_path)
    assert nothing.returncode == 1 and "--all" in nothing.stderr and "Traceback" not in nothing.stderr
    replayed = gewe("dead", "replay", "--queue", f"sqlite:///{db}", letter["id"], cwd=tmp_path)
    assert replayed.returncode == 0 and "replayed 1" in replayed.stderr
    assert gewe("dead", "list", "--queue", f"sqlite:///{db}", cwd=tmp_path).stdout == ""


def test_gewe_work_bad_input_is_one_line(tmp_path: Path) -> None:
    for args, says in [
        (["work", "nomodule", "--queue", "memory"], "MODULE:HANDLER"),
        (["work", "no_such_module:x", "--queue", "memory"], "cannot import"),
        (["work", "os:no_such_attr", "--queue", "memory"], "has no"),
        (["work", "os:sep", "--queue", "memory"], "not callable"),
        (["work", "os:getcwd", "--queue", "postgres://x"], "--queue"),
    ]:
        result = gewe(*args, cwd=tmp_path)
        assert result.returncode == 1 and says in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    usage = gewe("work", "os:getcwd", "--queue", "memory", "--concurrency", "0", cwd=tmp_path)
    assert usage.returncode == 2 and "must be >= 1" in usage.stderr


def test_commands_that_use_a_stored_queue_refuse_a_missing_file_and_create_nothing(tmp_path: Path) -> None:
    for args in (
        ["dead", "list", "--queue", "typo.db"],
        ["dead", "replay", "--all", "--queue", "sqlite:///typo.db"],
        ["work", "os:getcwd", "--queue", "sqlite:///typo.db"],
    ):
        result = gewe(*args, cwd=tmp_path)
        assert result.returncode == 1, (args, result.stderr)
        assert f"no queue database at '{tmp_path / 'typo.db'}'" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_gewe_work_create_makes_the_queue_a_receiver_will_fill(tmp_path: Path) -> None:
    proc = gewe_proc.start("work", "os:getcwd", "--queue", "sqlite:///later.db", "--create", cwd=tmp_path)
    try:
        for _ in range(300):
            if (tmp_path / "later.db").exists():
                break
            time.sleep(0.05)
        assert (tmp_path / "later.db").is_file()  # relative to the folder it runs in
    finally:
        _, err = gewe_proc.stop(proc)
    assert proc.returncode == 0, err
