"""Queues of pushes: where a push is stored between its 200 and its handler, and how workers take it.

A `Receiver` answers GeWe 200 only once `await queue.put(raw)` has returned; a `Worker` takes
pushes with `take`, and after its handler says `ack` (done), `retry` (failed: again later) or
`dead` (failed too often: set aside as a dead letter). Three implementations:

| queue | survives | shared by |
| --- | --- | --- |
| `MemoryQueue()` | nothing: a crash, a deploy or an OOM kill loses what is queued | one process |
| `SqliteQueue(path)` | `kill -9` of any process (a file in WAL mode) | the processes of one machine |
| `RedisStreamQueue(url)` | any worker or receiver dying; a Redis that persists | any number of machines |

**Order.** Every push has a chat key (`chat_key`: its `Appid` and conversation - the room, or the
two people of a private chat; pushes that are not messages use the account and their type). A
queue hands out at most one push per chat key at a time and, within a key, in the order the pushes
were stored; different chats go in parallel. `RedisStreamQueue` keeps order per partition (a hash
of the key), which is coarser: two chats in one partition wait for each other.

**At least once.** A push is handed out again when its worker died or hung (its lease ran out),
failed (after a delay), or was stopped before finishing (`hand_back`). `Delivery.attempts` counts
the handler runs started, including ones cut off by a crash; after `max_deliveries` the worker
moves it to the dead letters instead of running it again.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..errors import GeweConfigError

__all__ = [
    "DeadLetter",
    "Delivery",
    "MemoryQueue",
    "PushQueue",
    "chat_key",
    "dumps",
    "open_queue",
    "partition_of",
]


def _text(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("string")
    return value if isinstance(value, str) else ""


def chat_key(raw: Mapping[str, Any]) -> str:
    """The conversation a decoded push belongs to, for ordering: `"<Appid>|<chat>"`.

    A message's chat is its room (an id ending in `@chatroom`) or, in a private chat, the two wxids
    sorted (so both directions are one chat); any other push is ordered per account and type.
    """
    app = _text(raw.get("Appid"))
    data = raw.get("Data")
    if raw.get("TypeName") == "AddMsg" and isinstance(data, dict):
        a, b = _text(data.get("FromUserName")), _text(data.get("ToUserName"))
        room = a if a.endswith("@chatroom") else b if b.endswith("@chatroom") else ""
        return f"{app}|{room or '|'.join(sorted((a, b)))}"
    type_name = raw.get("TypeName")
    return f"{app}|~{type_name if isinstance(type_name, str) else ''}"


def partition_of(key: str, partitions: int) -> int:
    """The partition (0 .. partitions-1) of a chat key: a stable hash, the same in every process."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % partitions


def dumps(raw: Mapping[str, Any]) -> bytes:
    """A decoded push as stored: compact JSON (the decoded body round-trips exactly)."""
    return json.dumps(raw, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass
class Delivery:
    """One push handed to a worker.

    Attributes:
        id: the queue's id for the stored push (a row id, a stream entry id).
        raw: the decoded push.
        key: its chat key (`chat_key`).
        attempts: handler runs started for it, this one included (1 the first time).
    """

    id: str
    raw: dict[str, Any]
    key: str
    attempts: int
    token: Any = field(default=None, repr=False)  # the queue's own handle (a partition, ...)
    claimed: bool | None = field(default=None, repr=False)  # the dedup claim, if the queue made it


@dataclass(frozen=True)
class DeadLetter:
    """A push set aside after `attempts` failed deliveries; `error` says the last failure."""

    id: str
    raw: dict[str, Any]
    error: str
    attempts: int
    failed_at: float  # time.time()


@runtime_checkable
class PushQueue(Protocol):
    """What `Receiver` and `Worker` need of a queue (see the module's docstring)."""

    async def put(self, raw: dict[str, Any], body: bytes | None = None) -> None:
        """Store one decoded push (`body`: the bytes it was decoded from, stored as they are when
        given); returns once it is stored, raises when it cannot be."""
        ...

    async def take(self, limit: int, wait: float) -> list[Delivery]:
        """Up to `limit` pushes, at most one per chat key and none of a key still out; waits up to
        `wait` seconds for one when there is none."""
        ...

    async def ack(self, delivery: Delivery) -> None:
        """The push was handled (or was a duplicate): forget it."""
        ...

    async def retry(self, delivery: Delivery, error: str, delay: float) -> None:
        """The handler failed: hand the push out again after `delay` seconds (its chat waits)."""
        ...

    async def dead(self, delivery: Delivery, error: str) -> None:
        """Move the push to the dead letters with `error`."""
        ...

    async def hand_back(self, deliveries: Iterable[Delivery]) -> None:
        """Pushes taken but not handled (a stopping worker): out again at once, no attempt counted."""
        ...

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """The oldest dead letters."""
        ...

    async def replay(self, ids: Iterable[str] | None = None) -> int:
        """Queue dead letters again (all of them, or those `ids`); how many were queued."""
        ...

    async def close(self) -> None:
        """Release what this object holds (connections, leases); stored pushes stay."""
        ...


class MemoryQueue:
    """An in-process queue: **everything in it is lost** when the process ends (a crash, a deploy,
    SIGKILL). For tests, and for bots that accept that loss. `max_items` bounds what waits."""

    def __init__(self, *, max_items: int = 10_000) -> None:
        if max_items < 1:
            raise GeweConfigError("MemoryQueue max_items must be >= 1", setting="max_items")
        self.max_items = max_items
        self._chats: collections.OrderedDict[str, collections.deque[list[Any]]] = collections.OrderedDict()
        self._out: set[str] = set()
        self._not_before: dict[str, float] = {}
        self._size = 0
        self._seq = 0
        self._dead: list[DeadLetter] = []
        self._wake: asyncio.Event | None = None

    def __repr__(self) -> str:
        return f"MemoryQueue(size={self._size}, max_items={self.max_items})"

    def __len__(self) -> int:
        return self._size

    def _event(self) -> asyncio.Event:
        if self._wake is None:
            self._wake = asyncio.Event()
        return self._wake

    async def put(self, raw: dict[str, Any], body: bytes | None = None) -> None:
        if self._size >= self.max_items:
            raise OverflowError(f"the queue holds its maximum of {self.max_items} pushes")
        self._seq += 1
        key = chat_key(raw)
        self._chats.setdefault(key, collections.deque()).append([str(self._seq), raw, 0])
        self._size += 1
        self._event().set()

    async def take(self, limit: int, wait: float) -> list[Delivery]:
        deadline = time.monotonic() + wait
        while True:
            now = time.monotonic()
            out: list[Delivery] = []
            for key, items in self._chats.items():
                if len(out) >= limit:
                    break
                if key in self._out or self._not_before.get(key, 0.0) > now:
                    continue
                item = items[0]
                item[2] += 1
                self._out.add(key)
                out.append(Delivery(item[0], item[1], key, item[2]))
            if out or now >= deadline:
                return out
            event = self._event()
            event.clear()
            soonest = min((t for t in self._not_before.values() if t > now), default=deadline)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), max(0.0, min(deadline, soonest) - now))

    def _pop(self, delivery: Delivery) -> None:
        items = self._chats.get(delivery.key)
        if items and items[0][0] == delivery.id:
            items.popleft()
            self._size -= 1
            if not items:
                del self._chats[delivery.key]
        self._out.discard(delivery.key)
        self._not_before.pop(delivery.key, None)
        self._event().set()

    async def ack(self, delivery: Delivery) -> None:
        self._pop(delivery)

    async def retry(self, delivery: Delivery, error: str, delay: float) -> None:
        self._out.discard(delivery.key)
        self._not_before[delivery.key] = time.monotonic() + delay
        self._event().set()

    async def dead(self, delivery: Delivery, error: str) -> None:
        self._dead.append(DeadLetter(delivery.id, delivery.raw, error, delivery.attempts, time.time()))
        self._pop(delivery)

    async def hand_back(self, deliveries: Iterable[Delivery]) -> None:
        for delivery in deliveries:
            items = self._chats.get(delivery.key)
            if items and items[0][0] == delivery.id:
                items[0][2] -= 1
            self._out.discard(delivery.key)
        self._event().set()

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        return self._dead[:limit]

    async def replay(self, ids: Iterable[str] | None = None) -> int:
        wanted = None if ids is None else set(ids)
        keep: list[DeadLetter] = []
        again: list[DeadLetter] = []
        for letter in self._dead:
            (again if wanted is None or letter.id in wanted else keep).append(letter)
        self._dead = keep
        for letter in again:
            await self.put(letter.raw)
        return len(again)

    async def close(self) -> None:
        return None


SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


def open_queue(spec: str, *, create: bool = True, **options: Any) -> PushQueue:
    """A queue from a command-line spelling (`gewe listen/work/dead --queue`):

    - `memory`;
    - SQLite, as SQLAlchemy spells it: `sqlite:///bot.db` is `bot.db` in the current folder,
      `sqlite:////var/lib/bot/pushes.db` the absolute path `/var/lib/bot/pushes.db` (four
      slashes); also `sqlite:bot.db`, or a bare path ending in .db, .sqlite or .sqlite3;
    - `redis://host:port/db` (`rediss://`, `unix://` too).

    `create=False` (for commands that only use what is stored: `gewe dead`, `gewe work`): a SQLite
    file that does not exist, or is not a gewe queue, is a GeweConfigError, and nothing is created.
    `options` go to the queue's constructor.
    """
    if not isinstance(spec, str) or not spec:
        raise GeweConfigError("--queue: expected memory, sqlite:///path.db or redis://...", setting="queue")
    if spec == "memory":
        return MemoryQueue(**options)
    if spec.startswith(("redis://", "rediss://", "unix://")):
        from .redis_queue import RedisStreamQueue

        return RedisStreamQueue(spec, **options)
    path = _sqlite_path(spec)
    if path is None:
        raise GeweConfigError(
            "--queue: expected memory, sqlite:///relative.db, sqlite:////absolute/path.db or "
            f"redis://host:port/db, got {spec[:80]!r}",
            setting="queue",
        )
    from .sqlite_queue import SqliteQueue

    queue = SqliteQueue(path, create=create, **options)
    if not create:
        _ = queue.db  # a file that is not a queue is refused here, not at the first take
    return queue


def _sqlite_path(spec: str) -> str | None:
    """The file a SQLite spelling names (SQLAlchemy's convention), None when `spec` is not one."""
    if spec.startswith("sqlite://"):
        rest = spec[len("sqlite://") :]
        if not rest.startswith("/"):
            raise GeweConfigError(
                f"--queue {spec[:80]!r}: a SQLite URL has no host: sqlite:///relative.db (in the current "
                "folder) or sqlite:////absolute/path.db",
                setting="queue",
            )
        path = rest[1:]  # sqlite:///bot.db -> bot.db; sqlite:////srv/bot.db -> /srv/bot.db
    elif spec.startswith("sqlite:"):
        path = spec[len("sqlite:") :]
    elif spec.endswith(SQLITE_SUFFIXES):
        return spec
    else:
        return None
    if not path or "?" in path:
        raise GeweConfigError(
            f"--queue {spec[:80]!r}: name the database file (sqlite:///relative.db or "
            "sqlite:////absolute/path.db), without ?options",
            setting="queue",
        )
    if spec.startswith("sqlite:///") and not spec.startswith("sqlite:////"):
        _refuse_a_moved_file(spec, path)
    return path


def _refuse_a_moved_file(spec: str, path: str) -> None:
    """Older releases read `sqlite:///x.db` as `/x.db`: a database left there is not silently replaced
    by a new, empty one in the current folder."""
    import os

    absolute = "/" + path
    if not os.path.exists(path) and os.path.isfile(absolute):
        raise GeweConfigError(
            f"--queue {spec[:80]!r} is {path!r} in the current folder (sqlite:/// is relative, as in "
            f"SQLAlchemy), which does not exist, but {absolute!r} does: spell it "
            f"sqlite:///{absolute} to use that one",
            setting="queue",
        )
