"""Queue spellings follow SQLAlchemy's SQLite URLs (`sqlite:///relative.db` in the current folder,
`sqlite:////absolute.db`), and a queue opened to use what is stored (`create=False`: `gewe dead`,
`gewe work`) refuses a file that does not exist or is not a queue, creating and changing nothing."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from gewe import GeweConfigError
from gewe.events import SqliteQueue, open_queue
from gewe.events.queues import Delivery
from tests.fixtures import pushes as P


def _stored(path: Path) -> None:
    async def put() -> None:
        queue = SqliteQueue(path)
        await queue.put(P.push(1, "stored", new_msg_id=5))
        await queue.close()

    asyncio.run(put())


@pytest.mark.parametrize(
    ("spec", "file"),
    [
        ("sqlite:///{name}.db", "{name}.db"),
        ("sqlite:///data/{name}.db", "data/{name}.db"),
        ("sqlite:{name}.db", "{name}.db"),
        ("{name}.db", "{name}.db"),
    ],
)
def test_sqlite_urls_with_three_slashes_are_relative_to_the_current_folder(
    spec: str, file: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    # a name of this run's own (a /bot.db on the machine would be taken for a moved queue)
    spec, file = spec.format(name=tmp_path.name), file.format(name=tmp_path.name)
    queue = open_queue(spec)
    assert isinstance(queue, SqliteQueue)
    _ = queue.db  # creates it
    asyncio.run(queue.close())
    assert (tmp_path / file).is_file()
    assert queue.path.absolute() == tmp_path / file


def test_four_slashes_are_an_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path / "..")
    queue = open_queue(f"sqlite:///{tmp_path}/abs.db")  # tmp_path starts with "/": four slashes
    assert isinstance(queue, SqliteQueue) and queue.path == tmp_path / "abs.db"


@pytest.mark.parametrize(
    "spec", ["sqlite://", "sqlite:///", "sqlite://host/bot.db", "sqlite:///bot.db?mode=ro"]
)
def test_sqlite_urls_without_a_file_are_refused(spec: str) -> None:
    with pytest.raises(GeweConfigError, match=r"sqlite:///relative\.db") as err:
        open_queue(spec)
    assert err.value.setting == "queue"


def test_a_database_left_where_the_old_reading_put_it_is_not_replaced_by_a_new_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = tmp_path / "old.db"  # an older release read sqlite:///<tmp_path without its "/">/old.db as this
    _stored(old)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    spec = f"sqlite:///{str(old)[1:]}"
    with pytest.raises(GeweConfigError, match=f"sqlite:///{old}") as err:
        open_queue(spec)
    assert "relative" in str(err.value)
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("spec", ["typo-7f3a.db", "sqlite:///typo-7f3a.db", "sqlite:///missing/typo-7f3a.db"])
def test_a_queue_to_use_what_is_stored_refuses_a_missing_file_and_creates_nothing(
    spec: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(GeweConfigError, match="no queue database at") as err:
        open_queue(spec, create=False)
    assert str(tmp_path) in str(err.value)  # the absolute path it looked for
    assert list(tmp_path.iterdir()) == []


def test_a_queue_to_use_what_is_stored_refuses_another_database_and_changes_nothing(tmp_path: Path) -> None:
    other = tmp_path / "app.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE users (name TEXT)")
    db.close()
    before = other.read_bytes()
    with pytest.raises(GeweConfigError, match="not a gewe queue"):
        open_queue(str(other), create=False)
    (tmp_path / "junk.db").write_text("not sqlite at all")
    with pytest.raises(GeweConfigError, match="cannot open"):
        open_queue(str(tmp_path / "junk.db"), create=False)
    assert other.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db", "junk.db"]  # no -wal, no -shm


def test_a_queue_to_use_what_is_stored_reads_a_receivers_queue(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    _stored(db)

    async def take() -> list[object]:
        queue = open_queue(f"sqlite:///{db}", create=False)
        try:
            return list(await queue.take(10, 0))
        finally:
            await queue.close()

    [delivery] = asyncio.run(take())
    assert isinstance(delivery, Delivery) and delivery.raw["Data"]["NewMsgId"] == 5
