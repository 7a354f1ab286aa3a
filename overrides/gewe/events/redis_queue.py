"""`RedisStreamQueue(url_or_client)`: a queue in Redis Streams, for receivers and workers on many
machines (`pip install 'gewe-sdk[redis]'`; Redis 6.2 or later).

    queue = RedisStreamQueue("redis://redis:6379/0")
    Receiver(queue=queue, path=secret_path()).run(port=8080)         # receivers: store and answer
    Worker(handle, queue=queue).run()                                 # workers, anywhere

**Storing.** A push goes to one of `partitions` streams, chosen by a hash of its chat key
(`gewe.events.queues.chat_key`), with one `XADD` through a script that refuses it (the receiver
answers 503; GeWe delivers it again) when `max_len` pushes are already waiting - a stream is never
trimmed, since trimming would drop pushes that were answered 200. The pushes of one loop turn go
in one pipeline.

**Working.** Workers read through one consumer group (`XREADGROUP`). Each partition is owned by
one worker at a time, through a lease (a key with an expiry, renewed every third of `lease`); the
workers alive share the partitions evenly (a new worker gets its share as the others release
partitions they are not busy with). A worker handles a partition's pushes one at a time, in
stream order, and after each handler success `XACK`s and `XDEL`s the entry in one transaction. A
worker that dies or hangs stops renewing: once its leases expire, the other workers take its
partitions and claim its unacknowledged entries (`XAUTOCLAIM`) before anything newer, so order
holds. Each push is handed to a handler through a script that checks, inside Redis, that the lease
is still this worker's and that no older entry of the partition is still pending (one read by a
worker that lost its lease, or whose reply a Redis crash lost): a worker that learns late that
its lease expired hands out nothing more, and older entries are claimed first. Handler runs are
counted per entry (a hash, incremented before the handler starts), so a push that kills its
worker every time still ends as a dead letter: an entry of the `dead` stream with the push, the
error and the count (`gewe dead list|replay`).

**Redis itself** must keep what it acknowledged for "nothing acknowledged is lost" to hold across
a Redis crash: run it with `appendonly yes` and `appendfsync always` (`everysec` may lose the last
second of pushes). While Redis is unreachable receivers answer 503 and workers wait and retry.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import math
import os
import secrets
import socket
import time
from collections.abc import Iterable
from typing import Any

from ..errors import GeweConfigError, GeweDependencyError
from .dedup import _CLAIM_FOR_LUA
from .parse import push_key
from .queues import DeadLetter, Delivery, chat_key, dumps, partition_of

_PUT = """
local n = tonumber(redis.call('GET', KEYS[2]) or '0')
if n >= tonumber(ARGV[1]) then return false end
redis.call('INCR', KEYS[2])
return redis.call('XADD', KEYS[1], '*', 'd', ARGV[2])
"""
# KEYS: stream, attempts hash, backlog counter, [a de-duplication key to mark done];
# ARGV: group, entry id, delivery id.
_ACK = """
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
redis.call('HDEL', KEYS[2], ARGV[3])
redis.call('DECR', KEYS[3])
if KEYS[4] then redis.call('SET', KEYS[4], '1', 'XX', 'KEEPTTL') end
return 1
"""
_HEARTBEAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return 1
end
return 0
"""
# Handing out one entry, fenced inside Redis: refused (0) unless this worker still holds the
# partition's lease, and (-1) while an older entry of the partition is still pending (an earlier
# owner's, left by a worker that lost its lease after reading it): the taker claims those first.
# Otherwise it counts the run and, with a dedup key, makes the de-duplication claim (the dedup
# store's own `claim_for`, dedup._CLAIM_FOR_LUA).
# KEYS: lease, stream, attempts hash, [dedup key]; ARGV: consumer, group, entry id, delivery id,
# [claim owner, claim ttl].
_TAKE = (
    _CLAIM_FOR_LUA
    + """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if #redis.call('XPENDING', KEYS[2], ARGV[2], '-', '(' .. ARGV[3], 1) > 0 then return -1 end
local n = redis.call('HINCRBY', KEYS[3], ARGV[4], 1)
local claimed = -1
if KEYS[4] then claimed = claim_for(KEYS[4], ARGV[5], ARGV[6]) end
return {n, claimed}
"""
)
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('DEL', KEYS[1])
    return 1
end
return 0
"""


def _no_script(result: object) -> bool:
    return isinstance(result, Exception) and "no matching script" in str(result).lower()


class _Partition:
    __slots__ = ("buffer", "busy", "index", "leaving", "not_before", "recover", "stream")

    def __init__(self, index: int, stream: str) -> None:
        self.index, self.stream = index, stream
        self.buffer: collections.deque[tuple[str, dict[str, Any]]] = collections.deque()
        self.busy = False
        self.recover = True  # claim what earlier owners left pending before reading anything new
        self.not_before = 0.0
        self.leaving = False  # given up for another worker: released once its push is settled


class RedisStreamQueue:
    """A queue in Redis Streams; see the module's docstring.

    Args:
        url_or_client: a URL ("redis://host:6379/0") or a `redis.asyncio.Redis` (yours to close).
        prefix: the keys' prefix; receivers and workers of one bot use the same.
        partitions: streams; order is kept per partition and a partition is worked by one worker
            at a time, so more partitions means more parallelism (all processes must agree).
        max_len: pushes waiting (all partitions) beyond which `put` refuses.
        lease: seconds a worker's partitions stay its own without a renewal: how soon the
            partitions of a worker that died are taken over.
        batch: entries read from a partition at a time.
        group: the consumer group's name.
    """

    # pipelines of puts out at once: under a burst the pushes arriving meanwhile wait for one to
    # come back and go together (a few large round trips, not one small one per loop turn)
    PUTS_IN_FLIGHT = 2
    SEND_TIMEOUT = 5.0  # a pipeline of puts not answered by then fails (its connection is dropped)

    def __init__(
        self,
        url_or_client: Any,
        *,
        prefix: str = "gewe:q",
        partitions: int = 16,
        max_len: int = 100_000,
        lease: float = 10.0,
        batch: int = 32,
        group: str = "gewe-workers",
    ) -> None:
        try:
            import redis.asyncio as aioredis
        except ImportError:  # pragma: no cover - depends on the environment
            raise GeweDependencyError(
                "RedisStreamQueue needs redis-py: pip install 'gewe-sdk[redis]'"
            ) from None
        if not 1 <= partitions <= 1024 or max_len < 1 or not lease > 0 or batch < 1:
            raise GeweConfigError(
                "RedisStreamQueue needs 1 <= partitions <= 1024, max_len >= 1, lease > 0, batch >= 1"
            )
        self._owned_client = isinstance(url_or_client, str)
        if isinstance(url_or_client, str):
            try:
                pool = aioredis.BlockingConnectionPool.from_url(url_or_client, max_connections=64, timeout=5)
            except ValueError as exc:
                raise GeweConfigError(f"RedisStreamQueue: not a Redis URL ({exc})", setting="queue") from None
            self.client: Any = aioredis.Redis(connection_pool=pool)
        else:
            self.client = url_or_client
        self.prefix, self.partitions, self.max_len = prefix, partitions, max_len
        self.lease, self.batch, self.group = lease, batch, group
        self.dead_stream = f"{prefix}:dead"
        self._backlog = f"{prefix}:backlog"
        self._attempts = f"{prefix}:attempts"
        self._workers = f"{prefix}:workers"
        self._streams = [f"{prefix}:s:{i}" for i in range(partitions)]
        self.consumer = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._put_script = self.client.register_script(_PUT)
        self._ack_script = self.client.register_script(_ACK)
        self._heartbeat = self.client.register_script(_HEARTBEAT)
        self._renew_script = self.client.register_script(_RENEW)
        self._release_script = self.client.register_script(_RELEASE)
        self._take_script = self.client.register_script(_TAKE)
        self._puts: list[tuple[str, bytes, asyncio.Future[None]]] = []
        self._sending: set[asyncio.Task[None]] = set()  # pipelines of puts on their way
        self._put_heads: dict[str, Any] = {}  # stream -> its EVALSHA's RESP bytes before the body
        self._flush_scheduled = False
        self._owned: dict[int, _Partition] = {}
        self._lost: dict[int, _Partition] = {}  # leases lost while a push of theirs still runs here
        self._groups_ready = False
        self._keeper: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self.claims_for: Any = None  # the Worker's RedisDedup when it is this queue's dedup()

    def __repr__(self) -> str:
        return f"RedisStreamQueue(prefix={self.prefix!r}, partitions={self.partitions})"

    # -- the receiver's side --------------------------------------------------------------------

    async def put(self, raw: dict[str, Any], body: bytes | None = None) -> None:
        stream = self._streams[partition_of(chat_key(raw), self.partitions)]
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._puts.append((stream, body or dumps(raw), future))
        if not self._flush_scheduled and len(self._sending) < self.PUTS_IN_FLIGHT:
            self._start_sender(loop)
        await future

    def _start_sender(self, loop: asyncio.AbstractEventLoop) -> None:
        """A task that sends, when it first runs, every put waiting by then (the loop turn's)."""
        self._flush_scheduled = True  # (until the sender takes the waiting puts)
        task = loop.create_task(self._send_waiting())
        self._sending.add(task)
        task.add_done_callback(self._sent)

    async def _send_waiting(self) -> None:
        self._flush_scheduled = False
        puts, self._puts = [p for p in self._puts if not p[2].done()], []  # not those given up on
        if puts:
            await self._send(puts)

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        # the pushes that waited for a pipeline to come back go together in the next one
        loop = task.get_loop()
        waiting = self._puts and not self._flush_scheduled
        if waiting and len(self._sending) < self.PUTS_IN_FLIGHT and not loop.is_closed():
            self._start_sender(loop)

    async def _send(self, puts: list[tuple[str, bytes, asyncio.Future[None]]]) -> None:
        try:
            async with asyncio.timeout(self.SEND_TIMEOUT):  # a Redis that hangs cannot hold the puts
                try:
                    results = await self._pipe_puts(puts)
                except Exception as exc:
                    if not _no_script(exc):
                        raise
                    results = [exc]
                if any(_no_script(r) for r in results):  # a new or restarted Redis: load it once
                    await self.client.script_load(_PUT)
                    results = await self._pipe_puts(puts)
        except BaseException as exc:
            for _, _, future in puts:
                if not future.done():
                    future.set_exception(ConnectionError(f"Redis: {type(exc).__name__}: {exc}"))
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        for (_, _, future), result in zip(puts, results, strict=True):
            if future.done():
                continue
            if isinstance(result, Exception):
                future.set_exception(ConnectionError(f"Redis: {type(result).__name__}: {result}"))
            elif result is None:
                future.set_exception(OverflowError(f"the queue holds its maximum of {self.max_len} pushes"))
            else:
                future.set_result(None)

    async def _pipe_puts(self, puts: list[tuple[str, bytes, asyncio.Future[None]]]) -> list[Any]:
        if self._owned_client:  # our own pool: the commands packed here, on one connection
            return await self._raw_puts(puts)
        sha = self._put_script.sha
        async with self.client.pipeline(transaction=False) as pipe:
            for stream, data, _ in puts:  # EVALSHA by hand: redis-py's Script costs ~3x per call
                pipe.execute_command("EVALSHA", sha, 2, stream, self._backlog, self.max_len, data)
            results: list[Any] = await pipe.execute(raise_on_error=False)
        return results

    def _packed_puts(self, puts: list[tuple[str, bytes, asyncio.Future[None]]]) -> bytes:
        """The EVALSHAs of `puts` as RESP bytes: only the body differs from one to the next, so the
        rest of each command is made once per stream and script (redis-py packs each argument)."""
        sha = self._put_script.sha
        heads = self._put_heads
        if heads.get("") != (sha, self.max_len):  # (re)made when either changes
            heads.clear()
            heads[""] = (sha, self.max_len)
        parts: list[bytes] = []
        for stream, data, _ in puts:
            head = heads.get(stream)
            if head is None:
                args = [b"EVALSHA", sha.encode(), b"2", stream.encode(), self._backlog.encode()]
                args.append(str(self.max_len).encode())
                head = b"*7\r\n" + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
                heads[stream] = head
            parts += (head, b"$%d\r\n" % len(data), data, b"\r\n")
        return b"".join(parts)

    async def _raw_puts(self, puts: list[tuple[str, bytes, asyncio.Future[None]]]) -> list[Any]:
        from redis.exceptions import ResponseError

        pool = self.client.connection_pool
        connection = await pool.get_connection()
        try:
            await connection.send_packed_command(self._packed_puts(puts))
            results: list[Any] = []
            for _ in puts:  # every reply is read, errors too: the connection stays in step
                try:
                    results.append(await connection.read_response())
                except ResponseError as exc:
                    results.append(exc)
        except BaseException:
            await asyncio.shield(connection.disconnect())  # half-read: never reused
            raise
        finally:
            await pool.release(connection)
        return results

    # -- partitions and leases (workers) -------------------------------------------------------

    def _lease_key(self, index: int) -> str:
        return f"{self.prefix}:lease:{index}"

    async def _ensure_groups(self) -> None:
        if self._groups_ready:
            return
        async with self.client.pipeline(transaction=False) as pipe:
            for stream in self._streams:
                pipe.xgroup_create(stream, self.group, id="0", mkstream=True)
            for result in await pipe.execute(raise_on_error=False):
                if isinstance(result, Exception) and "BUSYGROUP" not in str(result):
                    raise result
        self._groups_ready = True

    async def open(self) -> None:
        """Join the workers: create the group, take a share of the partitions, keep the leases."""
        self._wake = asyncio.Event()
        await self._ensure_groups()
        await self._keep()
        self._keeper = asyncio.create_task(self._keep_loop(), name="gewe-redis-leases")

    async def _keep_loop(self) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            with contextlib.suppress(Exception):  # Redis down: the next round tries again
                await self._keep()

    async def _keep(self) -> None:
        ttl = int(self.lease * 1000)
        live = int(await self._heartbeat(keys=[self._workers], args=[self.consumer, ttl]))
        owned = list(self._owned)
        if owned:
            async with self.client.pipeline(transaction=False) as pipe:
                for index in owned:
                    await self._renew_script(
                        keys=[self._lease_key(index)], args=[self.consumer, ttl], client=pipe
                    )
                renewed = await pipe.execute()
            for index, ok in zip(owned, renewed, strict=True):
                if not ok:  # expired and maybe taken: what is buffered is the new owner's now
                    lost = self._owned.pop(index, None)
                    if lost is not None and lost.busy:  # not ours again before its push is settled
                        self._lost[index] = lost
        target = math.ceil(self.partitions / max(live, 1))
        staying = [p for p in self._owned.values() if not p.leaving]
        extra = len(staying) - target
        if extra > 0:  # idle ones first; a busy one goes once its push is settled
            for part in sorted(staying, key=lambda p: p.busy)[:extra]:
                part.leaving = True
        elif extra < 0:
            for part in [p for p in self._owned.values() if p.leaving][:-extra]:
                part.leaving = False
        for part in [p for p in self._owned.values() if p.leaving and not p.busy]:
            await self._release_script(keys=[self._lease_key(part.index)], args=[self.consumer])
            self._owned.pop(part.index, None)
        for part in self._owned.values():
            if not part.busy and not part.buffer:  # nothing of it here: what is pending is an orphan's
                part.recover = True
        if len([p for p in self._owned.values() if not p.leaving]) < target:
            start = int.from_bytes(self.consumer.encode()[-4:], "big") % self.partitions
            order = [(start + k) % self.partitions for k in range(self.partitions)]
            for index in order:
                if len([p for p in self._owned.values() if not p.leaving]) >= target:
                    break
                if index in self._lost or index in self._owned:
                    continue
                if await self.client.set(self._lease_key(index), self.consumer, nx=True, px=ttl):
                    self._owned[index] = _Partition(index, self._streams[index])
        if self._wake is not None:
            self._wake.set()

    async def release_leases(self) -> None:
        """Give up this worker's partitions now (a stopping worker), so others take them at once."""
        if self._keeper is not None:
            self._keeper.cancel()
            await asyncio.gather(self._keeper, return_exceptions=True)
            self._keeper = None
        for index in list(self._owned):
            await self._release_script(keys=[self._lease_key(index)], args=[self.consumer])
        self._owned.clear()
        await self.client.zrem(self._workers, self.consumer)

    # -- taking ---------------------------------------------------------------------------------

    @staticmethod
    def _decode(fields: Any) -> dict[str, Any] | None:
        data = fields.get(b"d") if isinstance(fields, dict) else None
        if data is None:
            return None
        value = json.loads(data)
        return value if isinstance(value, dict) else None

    async def _recover(self, part: _Partition) -> None:
        """Claim every entry pending in `part` (left by any earlier owner), in stream order."""
        reply = await self.client.xautoclaim(
            part.stream, self.group, self.consumer, min_idle_time=0, start_id="0-0", count=self.batch
        )
        entries = reply[1]
        stale = []
        for entry_id, fields in entries:
            raw = self._decode(fields) if entry_id is not None else None
            if raw is None:
                if entry_id is not None:
                    stale.append(entry_id)
                continue
            part.buffer.append((entry_id.decode() if isinstance(entry_id, bytes) else entry_id, raw))
        if stale:
            await self.client.xack(part.stream, self.group, *stale)
        if not part.buffer:
            part.recover = False

    async def _read(self, parts: list[_Partition], block: float | None) -> None:
        streams = {p.stream: ">" for p in parts}
        reply = await self.client.xreadgroup(
            self.group,
            self.consumer,
            streams,
            count=self.batch,
            block=None if block is None else max(1, int(block * 1000)),
        )
        by_stream = {p.stream: p for p in parts}
        for stream, entries in reply or []:
            part = by_stream[stream.decode() if isinstance(stream, bytes) else stream]
            for entry_id, fields in entries:
                raw = self._decode(fields)
                eid = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
                if raw is None:
                    await self.client.xack(part.stream, self.group, eid)
                    continue
                part.buffer.append((eid, raw))

    async def take(self, limit: int, wait: float) -> list[Delivery]:
        if self._wake is None:
            await self.open()
        wake = self._wake
        assert wake is not None
        deadline = time.monotonic() + wait
        while True:
            try:
                out = await self._take_once(limit, deadline)
            except Exception as exc:
                if "NOGROUP" in str(exc):  # Redis lost its data (no persistence): start again
                    self._groups_ready = False
                    await self._ensure_groups()
                    for part in self._owned.values():
                        part.recover, part.buffer = True, collections.deque()
                    continue
                raise
            if out or time.monotonic() >= deadline:
                return out

    async def _take_once(self, limit: int, deadline: float) -> list[Delivery]:
        wake = self._wake
        assert wake is not None
        now = time.monotonic()
        ready = [p for p in self._owned.values() if not p.busy and not p.leaving and p.not_before <= now]
        for part in ready:
            if part.recover and not part.buffer:
                await self._recover(part)
        empty = [p for p in self._owned.values() if not p.recover and not p.buffer and not p.leaving]
        if empty:
            have = any(p.buffer for p in ready)
            busy = any(p.busy for p in self._owned.values())
            remaining = deadline - time.monotonic()
            block = None if have or busy or remaining <= 0 else min(remaining, 0.1)
            await self._read(empty, block)
        out: list[Delivery] = []
        for part in ready:
            if len(out) >= limit:
                break
            if part.buffer and not part.busy:
                entry_id, raw = part.buffer.popleft()
                part.busy = True
                out.append(Delivery(f"{part.index}/{entry_id}", raw, chat_key(raw), 0, (part, entry_id)))
        if out:
            out = await self._fenced(out)
            if out:
                return out
        remaining = deadline - time.monotonic()
        if remaining > 0 and (not empty or any(p.busy for p in self._owned.values())):
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), min(remaining, 0.05))
        return out

    async def _fenced(self, out: list[Delivery]) -> list[Delivery]:
        """Count and claim the deliveries taken, in one script each (`_TAKE`) that refuses a push
        of a partition whose lease this worker lost (dropped here: the new owner claims what was
        read) or that has an older entry still pending (claimed first: `recover`). The deliveries
        that may run."""
        claims = self.claims_for  # the Worker's dedup is ours: its claims ride along
        sha = self._take_script.sha
        keys = [push_key(d.raw) if claims is not None else None for d in out]

        async def send() -> list[Any]:
            async with self.client.pipeline(transaction=False) as pipe:
                for delivery, key in zip(out, keys, strict=True):
                    part, entry_id = delivery.token
                    args: list[Any] = [self._lease_key(part.index), part.stream, self._attempts]
                    argv: list[Any] = [self.consumer, self.group, entry_id, delivery.id]
                    if key is not None and claims is not None:
                        args.append(claims.prefix + key)
                        argv += ["~" + delivery.id, claims.ttl]
                    pipe.execute_command("EVALSHA", sha, len(args), *args, *argv)
                results: list[Any] = await pipe.execute(raise_on_error=False)
            return results

        try:
            replies = await send()
            if any(_no_script(r) for r in replies):  # a new or restarted Redis: load it once
                await self.client.script_load(_TAKE)
                replies = await send()
            for reply in replies:
                if isinstance(reply, Exception):
                    raise reply
        except BaseException:
            for delivery in out:
                part, entry_id = delivery.token
                part.buffer.appendleft((entry_id, delivery.raw))
                part.busy = False
            raise
        may_run = []
        for delivery, key, reply in zip(out, keys, replies, strict=True):
            taken: _Partition = delivery.token[0]
            if isinstance(reply, list):
                delivery.attempts = int(reply[0])
                if key is not None:
                    delivery.claimed = int(reply[1]) == 1
                may_run.append(delivery)
                continue
            taken.busy = False
            taken.buffer.clear()  # read by us, but an older entry or the partition is someone else's
            if int(reply) == 0:  # the lease is lost: whoever holds it now claims what we read
                if self._owned.get(taken.index) is taken:
                    self._owned.pop(taken.index)
            else:  # claim the older entries, then ours again, in stream order
                taken.recover = True
        return may_run

    # -- after the handler ---------------------------------------------------------------------

    def _settle(self, delivery: Delivery) -> _Partition:
        part: _Partition = delivery.token[0]
        part.busy = False
        if self._lost.get(part.index) is part:
            del self._lost[part.index]
        if self._wake is not None:
            self._wake.set()
        return part

    async def ack(self, delivery: Delivery, done_key: str | None = None) -> None:
        """`XACK` and `XDEL` the entry (one script); with `done_key` (a key of this queue's own
        `dedup()` store) also mark that push id handled, in the same round trip."""
        part, entry_id = delivery.token
        keys = [part.stream, self._attempts, self._backlog]
        if done_key is not None:
            keys.append(f"{self.prefix}:dedup:{done_key}")
        await self._ack_script(keys=keys, args=[self.group, entry_id, delivery.id])
        self._settle(delivery)

    async def retry(self, delivery: Delivery, error: str, delay: float) -> None:
        part = self._settle(delivery)
        part.buffer.appendleft((delivery.token[1], delivery.raw))  # still pending for us: first again
        part.not_before = time.monotonic() + delay

    async def dead(self, delivery: Delivery, error: str) -> None:
        part, entry_id = delivery.token
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.xadd(
                self.dead_stream,
                {
                    "d": dumps(delivery.raw),
                    "error": error[:2000],
                    "attempts": delivery.attempts,
                    "id": delivery.id,
                },
            )
            pipe.xack(part.stream, self.group, entry_id)
            pipe.xdel(part.stream, entry_id)
            pipe.hdel(self._attempts, delivery.id)
            pipe.decr(self._backlog)
            await pipe.execute()
        self._settle(delivery)

    async def hand_back(self, deliveries: Iterable[Delivery]) -> None:
        given = list(deliveries)
        for delivery in given:
            part = self._settle(delivery)
            part.buffer.appendleft((delivery.token[1], delivery.raw))
        if given:
            async with self.client.pipeline(transaction=False) as pipe:
                for delivery in given:
                    pipe.hincrby(self._attempts, delivery.id, -1)
                await pipe.execute()

    # -- dead letters ---------------------------------------------------------------------------

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        out = []
        for entry_id, fields in await self.client.xrange(self.dead_stream, count=limit):
            raw = self._decode(fields) or {}
            eid = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
            error = fields.get(b"error", b"").decode("utf-8", "replace")
            attempts = int(fields.get(b"attempts", b"0"))
            out.append(DeadLetter(eid, raw, error, attempts, int(eid.split("-")[0]) / 1000))
        return out

    async def replay(self, ids: Iterable[str] | None = None) -> int:
        if ids is None:
            letters = await self.dead_letters(limit=1_000_000)
        else:
            letters = []
            for wanted in ids:
                for entry_id, fields in await self.client.xrange(self.dead_stream, wanted, wanted):
                    eid = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
                    letters.append(DeadLetter(eid, self._decode(fields) or {}, "", 0, 0.0))
        count = 0
        for letter in letters:
            await self.put(letter.raw)
            await self.client.xdel(self.dead_stream, letter.id)
            count += 1
        return count

    async def pending(self) -> int:
        """Pushes stored and not handled yet (the backlog counter)."""
        return int(await self.client.get(self._backlog) or 0)

    def dedup(self, *, ttl: float = 24 * 3600.0) -> Any:
        """A `RedisDedup` on the same server (what a `Worker` on this queue uses by default)."""
        from .dedup import RedisDedup

        store = RedisDedup(self.client, ttl=ttl, prefix=f"{self.prefix}:dedup:")
        store.marked_done_by = self  # the Worker marks ids done in the ack
        return store

    async def close(self) -> None:
        if self._keeper is not None:
            with contextlib.suppress(Exception):
                await self.release_leases()
        if self._sending:  # pipelines of puts on their way (each bounded by SEND_TIMEOUT)
            await asyncio.gather(*self._sending, return_exceptions=True)
        if self._owned_client:
            await self.client.aclose()
            await self.client.connection_pool.disconnect()  # (a pool given to Redis() stays open)
