"""`SqliteQueue(path)`: a durable queue in one SQLite file (stdlib `sqlite3`, WAL), no server to run.

    queue = SqliteQueue("/var/lib/bot/pushes.db")
    Receiver(handle, path=secret_path(), queue=queue).run()     # or Receiver(queue=...) + Worker(...)

A push is answered 200 once its row is committed: the writes of one loop turn (every push that
arrived meanwhile, every acknowledgement) go in one transaction, so a burst costs one commit, not
one per push. With `synchronous="NORMAL"` (the default) a commit survives the death of any process
(`kill -9`, an OOM kill) but may be lost with the machine's power; `synchronous="FULL"` survives
that too, at one fsync per commit.

Workers (`Worker`, `gewe work`), in this process or others on the same machine, take the oldest
push of each chat that is not out: a taken row is leased to its worker (renewed while it runs), so
a push whose worker died is handed out again once that process is gone (its PID no longer
exists) or its lease ran out. Rows are deleted once handled; dead letters go to a second table.
The file is for one machine: SQLite's locking does not hold over network file systems.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from ..errors import GeweConfigError
from .queues import DeadLetter, Delivery, chat_key, dumps

_SCHEMA = """
CREATE TABLE IF NOT EXISTS gewe_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat TEXT NOT NULL,
    raw BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    owner TEXT,
    until REAL NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX IF NOT EXISTS gewe_queue_chat ON gewe_queue (chat, id);
CREATE TABLE IF NOT EXISTS gewe_dead (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    raw BLOB NOT NULL,
    error TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    failed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS gewe_seen (key TEXT PRIMARY KEY, owner TEXT NOT NULL, expires REAL NOT NULL);
"""

_QUEUE_TABLE = "gewe_queue"


def _is_queue(db: sqlite3.Connection) -> bool:
    found = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (_QUEUE_TABLE,))
    return found.fetchone() is not None


_HEADS = (
    "SELECT q.id, q.chat, q.raw, q.attempts, q.owner, q.until FROM gewe_queue q "
    "JOIN (SELECT MIN(id) AS id FROM gewe_queue GROUP BY chat) h ON q.id = h.id ORDER BY q.id"
)


def _pid_alive(owner: str) -> bool:
    """Whether the process named in an owner ("<pid>:<random>") still exists on this machine."""
    try:
        pid = int(owner.split(":", 1)[0])
    except ValueError:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


class SqliteQueue:
    """A queue in the SQLite file `path` (created if missing); see the module's docstring.

    Args:
        path: the database file; every receiver and worker of the bot names the same one.
        max_items: pushes waiting at most; beyond it `put` raises (the receiver answers 503).
        lease: seconds a taken push stays with its worker without a renewal (renewed every third
            of it while the worker lives); a worker whose process is gone loses its pushes at once.
        synchronous: "NORMAL" (survives any process dying) or "FULL" (survives power loss too).
        busy_timeout: seconds a write waits for another process's write lock before failing.
        create: False: `path` must already be a gewe queue (made by a receiver); a missing file, or
            a database without the queue's tables, is a GeweConfigError and nothing is created or
            changed (what `gewe dead` and `gewe work` use, so a mistyped path is an error).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        max_items: int = 100_000,
        lease: float = 30.0,
        synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
        busy_timeout: float = 2.0,
        create: bool = True,
    ) -> None:
        if max_items < 1 or not lease > 0 or not busy_timeout > 0:
            raise GeweConfigError("SqliteQueue needs max_items >= 1, lease > 0 and busy_timeout > 0")
        if synchronous not in ("NORMAL", "FULL"):
            raise GeweConfigError("synchronous must be 'NORMAL' or 'FULL'", setting="synchronous")
        self.path = Path(path)
        self.create = create
        if not create and not self.path.is_file():
            raise GeweConfigError(
                f"SqliteQueue: no queue database at {str(self.path.absolute())!r} (a receiver with this "
                "queue creates it: `gewe listen --queue ...`; check the path)",
                setting="path",
            )
        self.max_items, self.lease, self.synchronous = max_items, lease, synchronous
        self.busy_timeout = busy_timeout
        self.owner = f"{os.getpid()}:{secrets.token_hex(6)}"
        self._db: sqlite3.Connection | None = None
        self._writes: list[tuple[str, tuple[Any, ...], asyncio.Future[None] | None]] = []
        self._flush_scheduled = False
        self._count = 0
        self._counted_at = -1.0
        self._held: set[int] = set()
        self._renewed_at = 0.0
        self._wake: asyncio.Event | None = None

    def __repr__(self) -> str:
        return f"SqliteQueue({str(self.path)!r})"

    # -- the connection -------------------------------------------------------------------------

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                if self.path.parent and not self.path.parent.exists():
                    raise GeweConfigError(f"SqliteQueue: no folder {str(self.path.parent)!r}", setting="path")
                db = sqlite3.connect(
                    self.path if self.create else f"{self.path.absolute().as_uri()}?mode=rw",
                    timeout=self.busy_timeout,
                    isolation_level=None,
                    check_same_thread=False,
                    uri=not self.create,
                )
                if not self.create and not _is_queue(db):
                    db.close()
                    raise GeweConfigError(
                        f"SqliteQueue: {str(self.path)!r} is not a gewe queue (no {_QUEUE_TABLE} table)",
                        setting="path",
                    )
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(f"PRAGMA synchronous={self.synchronous}")
                db.executescript(_SCHEMA)
            except sqlite3.Error as exc:
                raise GeweConfigError(
                    f"SqliteQueue: cannot open {str(self.path)!r}: {exc}", setting="path"
                ) from None
            self._db = db
        return self._db

    def _transaction(self, work: Any) -> Any:
        """Run `work(db)` in one BEGIN IMMEDIATE transaction (rolled back if it raises)."""
        db = self.db
        if db.in_transaction:  # a COMMIT that failed earlier left one open
            db.execute("ROLLBACK")
        db.execute("BEGIN IMMEDIATE")
        try:
            result = work(db)
            db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
        return result

    # -- batched writes (one commit per loop turn) ---------------------------------------------

    def _write(self, sql: str, params: tuple[Any, ...], wait: bool = True) -> asyncio.Future[None] | None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] | None = loop.create_future() if wait else None
        self._writes.append((sql, params, future))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        return future

    def _flush(self) -> None:
        self._flush_scheduled = False
        writes, self._writes = self._writes, []
        if not writes:
            return

        def run(db: sqlite3.Connection) -> None:
            for sql, params, _ in writes:
                db.execute(sql, params)

        try:
            self._transaction(run)
        except Exception as exc:
            for _, _, future in writes:
                if future is not None and not future.done():
                    future.set_exception(type(exc)(*exc.args))
            return
        for _, _, future in writes:
            if future is not None and not future.done():
                future.set_result(None)
        if self._wake is not None:
            self._wake.set()

    # -- the receiver's side --------------------------------------------------------------------

    async def put(self, raw: dict[str, Any], body: bytes | None = None) -> None:
        now = time.monotonic()
        if now - self._counted_at > 1.0:
            self._count = self.db.execute("SELECT COUNT(*) FROM gewe_queue").fetchone()[0]
            self._counted_at = now
        if self._count >= self.max_items:
            raise OverflowError(f"the queue holds its maximum of {self.max_items} pushes")
        self._count += 1
        future = self._write(
            "INSERT INTO gewe_queue (chat, raw) VALUES (?, ?)", (chat_key(raw), body or dumps(raw))
        )
        assert future is not None
        await future

    # -- the worker's side ----------------------------------------------------------------------

    def _take_now(self, limit: int) -> list[Delivery]:
        now = time.time()
        me = self.owner

        def run(db: sqlite3.Connection) -> list[Delivery]:
            out: list[Delivery] = []
            alive: dict[str, bool] = {}
            for row_id, chat, raw, attempts, owner, until in db.execute(_HEADS):
                if len(out) >= limit:
                    break
                if owner == me or (owner is None and until > now):
                    continue  # ours and out, or waiting to be retried
                if owner is not None and until > now:
                    if owner not in alive:
                        alive[owner] = _pid_alive(owner)
                    if alive[owner]:
                        continue  # another worker has it
                out.append(Delivery(str(row_id), json.loads(raw), chat, attempts + 1, row_id))
            if out:
                db.executemany(
                    "UPDATE gewe_queue SET owner = ?, until = ?, attempts = attempts + 1 WHERE id = ?",
                    [(me, now + self.lease, d.token) for d in out],
                )
            return out

        taken: list[Delivery] = self._transaction(run)
        self._held.update(d.token for d in taken)
        return taken

    def _renew(self) -> None:
        now = time.monotonic()
        if self._held and now - self._renewed_at > self.lease / 3:
            self._renewed_at = now
            self._write(
                "UPDATE gewe_queue SET until = ? WHERE owner = ?",
                (time.time() + self.lease, self.owner),
                False,
            )

    async def take(self, limit: int, wait: float) -> list[Delivery]:
        if self._wake is None:
            self._wake = asyncio.Event()
        deadline = time.monotonic() + wait
        while True:
            self._renew()
            taken = self._take_now(limit) if limit > 0 else []
            remaining = deadline - time.monotonic()
            if taken or remaining <= 0:
                return taken
            self._wake.clear()
            with contextlib.suppress(TimeoutError):  # other processes' pushes: polled
                await asyncio.wait_for(self._wake.wait(), min(remaining, 0.05))

    def _done(self, delivery: Delivery) -> None:
        self._held.discard(delivery.token)

    async def ack(self, delivery: Delivery) -> None:
        self._done(delivery)
        future = self._write("DELETE FROM gewe_queue WHERE id = ?", (delivery.token,))
        assert future is not None
        await future

    async def retry(self, delivery: Delivery, error: str, delay: float) -> None:
        self._done(delivery)
        future = self._write(
            "UPDATE gewe_queue SET owner = NULL, until = ?, error = ? WHERE id = ?",
            (time.time() + delay, error[:2000], delivery.token),
        )
        assert future is not None
        await future

    async def dead(self, delivery: Delivery, error: str) -> None:
        self._done(delivery)
        self._write(
            "INSERT INTO gewe_dead (raw, error, attempts, failed_at) VALUES (?, ?, ?, ?)",
            (dumps(delivery.raw), error[:2000], delivery.attempts, time.time()),
            False,
        )
        future = self._write("DELETE FROM gewe_queue WHERE id = ?", (delivery.token,))
        assert future is not None
        await future

    async def hand_back(self, deliveries: Iterable[Delivery]) -> None:
        futures = []
        for delivery in deliveries:
            self._done(delivery)
            futures.append(
                self._write(
                    "UPDATE gewe_queue SET owner = NULL, until = 0, attempts = MAX(attempts - 1, 0) "
                    "WHERE id = ? AND owner = ?",
                    (delivery.token, self.owner),
                )
            )
        await asyncio.gather(*(f for f in futures if f is not None))

    # -- dead letters ---------------------------------------------------------------------------

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        rows = self.db.execute(
            "SELECT id, raw, error, attempts, failed_at FROM gewe_dead ORDER BY id LIMIT ?", (limit,)
        ).fetchall()
        return [DeadLetter(str(i), json.loads(raw), err, n, at) for i, raw, err, n, at in rows]

    async def replay(self, ids: Iterable[str] | None = None) -> int:
        def run(db: sqlite3.Connection) -> int:
            if ids is None:
                rows = db.execute("SELECT id, raw FROM gewe_dead ORDER BY id").fetchall()
            else:
                wanted = [int(i) for i in ids if str(i).isdigit()]
                rows = [
                    r
                    for i in wanted
                    for r in db.execute("SELECT id, raw FROM gewe_dead WHERE id = ?", (i,)).fetchall()
                ]
            for row_id, raw in rows:
                db.execute(
                    "INSERT INTO gewe_queue (chat, raw) VALUES (?, ?)", (chat_key(json.loads(raw)), raw)
                )
                db.execute("DELETE FROM gewe_dead WHERE id = ?", (row_id,))
            return len(rows)

        count: int = self._transaction(run)
        return count

    async def pending(self) -> int:
        """Pushes stored and not handled yet (out to a worker or waiting)."""
        count: int = self.db.execute("SELECT COUNT(*) FROM gewe_queue").fetchone()[0]
        return count

    def dedup(self, *, ttl: float = 24 * 3600.0) -> SqliteDedup:
        """A de-duplication store in the same file (what a `Worker` on this queue uses by default)."""
        return SqliteDedup(self, ttl=ttl)

    async def close(self) -> None:
        self._flush()
        if self._db is not None:
            self._db.close()
            self._db = None


class SqliteDedup:
    """De-duplication in the queue's file: shared by every process using it (see `gewe.events.dedup`)."""

    def __init__(self, queue: SqliteQueue, *, ttl: float = 24 * 3600.0) -> None:
        self.queue, self.ttl = queue, ttl
        self._purged_at = 0.0

    def __repr__(self) -> str:
        return f"SqliteDedup(ttl={self.ttl:g})"

    def _claim(self, key: str, owner: str | None) -> bool:
        """First claim of `key` (or, with `owner`, a claim `owner` already holds and has not
        completed): True. A completed or another's claim: False."""
        now = time.time()

        def run(db: sqlite3.Connection) -> bool:
            if now - self._purged_at > 60:
                self._purged_at = now
                db.execute("DELETE FROM gewe_seen WHERE expires < ?", (now,))
            row = db.execute("SELECT owner, expires FROM gewe_seen WHERE key = ?", (key,)).fetchone()
            if row is not None and row[1] >= now and (owner is None or row[0] != owner):
                return False
            db.execute(
                "INSERT OR REPLACE INTO gewe_seen VALUES (?, ?, ?)", (key, owner or "", now + self.ttl)
            )
            return True

        claimed: bool = self.queue._transaction(run)
        return claimed

    async def claim(self, key: str) -> bool:
        return self._claim(key, None)

    async def claim_for(self, key: str, owner: str) -> bool:
        return self._claim(key, "~" + owner)

    async def complete(self, key: str) -> None:
        future = self.queue._write("UPDATE gewe_seen SET owner = '' WHERE key = ?", (key,))
        assert future is not None
        await future

    async def release(self, key: str) -> None:
        future = self.queue._write("DELETE FROM gewe_seen WHERE key = ?", (key,))
        assert future is not None
        await future
