"""De-duplication of pushes on `Appid` + `NewMsgId`: GeWe delivers the same message more than once.

A store answers one question atomically: "is this the first time?" (`claim`). The receiver claims
an event's key only when the event is accepted into its queue, and `release`s it again when the
event was not handled (its handler raised, or `stop()` left it in the queue), so a later delivery
of that message is handled rather than dropped as a duplicate.

A `Worker` on a durable queue claims when a handler starts, with `claim_for(key, owner)` (the
stored push's id as owner: the same push handed out again after its worker died is not its own
duplicate) and `complete(key)` once it succeeded; a store without them gets `claim` alone.

- `MemoryDedup`: one process; bounded by count and by age.
- `RedisDedup` (`pip install 'gewe-sdk[redis]'`): shared by several receivers behind a load
  balancer; one `SET key 1 NX EX ttl` per claim.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..errors import GeweConfigError, GeweDependencyError

if TYPE_CHECKING:
    from .models import BaseEvent

DEFAULT_TTL = 24 * 3600.0  # GeWe re-sends "sometimes hours later"


def dedup_key(event: BaseEvent) -> str | None:
    """`"<Appid>:<NewMsgId>"` for a message event; None for events without an id (not de-duplicated)."""
    new_msg_id = getattr(event, "new_msg_id", None)
    if new_msg_id is None:
        return None
    return f"{event.app_id or ''}:{new_msg_id}"


@runtime_checkable
class DedupStore(Protocol):
    """Where the receiver remembers which pushes it has accepted."""

    async def claim(self, key: str) -> bool:
        """Remember `key`; True if it was not remembered yet (atomically: one caller wins)."""
        ...

    async def release(self, key: str) -> None:
        """Forget `key`, so the next `claim` of it succeeds."""
        ...


class MemoryDedup:
    """In-process store: at most `max_keys` keys, each forgotten `ttl` seconds after its claim."""

    def __init__(self, *, max_keys: int = 100_000, ttl: float = DEFAULT_TTL) -> None:
        if max_keys < 1 or not ttl > 0:
            raise GeweConfigError(f"MemoryDedup needs max_keys >= 1 and ttl > 0, got {max_keys}, {ttl}")
        self.max_keys, self.ttl = max_keys, ttl
        self._seen: OrderedDict[str, float] = OrderedDict()  # key -> expiry, oldest first
        self._owners: dict[str, str] = {}  # key -> the stored push still handling it (claim_for)

    def __len__(self) -> int:
        return len(self._seen)

    def _purge(self, now: float) -> None:
        seen = self._seen
        while seen:
            key, expiry = next(iter(seen.items()))
            if expiry > now and len(seen) <= self.max_keys:
                break
            del seen[key]
            self._owners.pop(key, None)

    async def claim(self, key: str) -> bool:
        return self.claim_now(key)

    def claim_now(self, key: str) -> bool:
        """`claim` without a coroutine (this store never waits): the receiver's answer path."""
        now = time.monotonic()
        seen = self._seen
        if seen:
            oldest = next(iter(seen.values()))
            if oldest <= now or len(seen) > self.max_keys:
                self._purge(now)
        if key in seen:
            return False
        seen[key] = now + self.ttl
        if len(seen) > self.max_keys:
            self._owners.pop(seen.popitem(last=False)[0], None)
        return True

    async def release(self, key: str) -> None:
        self._seen.pop(key, None)
        self._owners.pop(key, None)

    async def claim_for(self, key: str, owner: str) -> bool:
        """`claim`, or True again for the `owner` already holding it (the same stored push handed
        out again after its worker stopped) until `complete`."""
        if await self.claim(key):
            self._owners[key] = owner
            return True
        return key in self._seen and self._owners.get(key) == owner

    async def complete(self, key: str) -> None:
        """The holder's handler succeeded: from now on every claim of `key` is a duplicate."""
        self._owners.pop(key, None)


#: `RedisDedup.claim_for` as a Lua function: 1 when `key` was free (now held by `owner` for `ttl`
#: s) or is `owner`'s already, else 0. `RedisStreamQueue`'s take script makes the same claim inside
#: its fence, so both use this one definition.
_CLAIM_FOR_LUA = """
local function claim_for(key, owner, ttl)
    local held = redis.call('GET', key)
    if not held then
        redis.call('SET', key, owner, 'EX', ttl)
        return 1
    end
    if held == owner then return 1 end
    return 0
end
"""
_CLAIM_FOR = _CLAIM_FOR_LUA + "return claim_for(KEYS[1], ARGV[1], ARGV[2])\n"


class RedisDedup:
    """A store in Redis, shared by every receiver using the same server and `prefix`.

    `client` is a `redis.asyncio.Redis` (or a URL such as "redis://127.0.0.1:6379/0"). Each claim is
    one `SET <prefix><key> 1 NX EX <ttl>`: atomic across receivers. The claims made in one turn of
    the event loop go out together, in one pipeline on one connection (so a burst of 1,000 pushes
    needs a few connections, not 1,000). A client made here from a URL has a blocking pool of
    `max_connections` (a claim waits for a free connection rather than failing) and short socket
    timeouts; it is closed by `await store.aclose()`. A client given is yours to close.

    A claim the receiver gave up on (past its `claim_timeout`) that Redis granted after all is
    released again, so GeWe's re-delivery of that push is not taken for a duplicate.
    """

    BATCH = 256  # claims per pipeline at most

    def __init__(
        self,
        client: Any,
        *,
        ttl: float = DEFAULT_TTL,
        prefix: str = "gewe:dedup:",
        max_connections: int = 16,
    ) -> None:
        try:
            import redis.asyncio as aioredis
        except ImportError:  # pragma: no cover - depends on the environment
            raise GeweDependencyError("RedisDedup needs redis-py: pip install 'gewe-sdk[redis]'") from None
        if max_connections < 1:
            raise GeweConfigError(f"RedisDedup needs max_connections >= 1, got {max_connections}")
        self._owned = isinstance(client, str)
        if isinstance(client, str):
            pool = aioredis.BlockingConnectionPool.from_url(
                client,
                max_connections=max_connections,
                timeout=5,
                socket_connect_timeout=2,
                socket_timeout=5,
            )
            self.client: Any = aioredis.Redis(connection_pool=pool)
        else:
            self.client = client
        self.ttl = max(1, int(ttl))
        self.prefix = prefix
        self._waiting: list[tuple[str, asyncio.Future[bool]]] = []
        self._sending: set[asyncio.Task[None]] = set()
        self.marked_done_by: Any = None  # the RedisStreamQueue whose ack marks ids done (its dedup())

    def __repr__(self) -> str:
        return f"RedisDedup(ttl={self.ttl}, prefix={self.prefix!r})"

    async def claim(self, key: str) -> bool:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._waiting.append((key, future))
        if len(self._waiting) == 1:
            loop.call_soon(self._flush, loop)
        return await future

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        waiting, self._waiting = self._waiting, []
        for i in range(0, len(waiting), self.BATCH):
            task = loop.create_task(self._send(waiting[i : i + self.BATCH]))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[tuple[str, asyncio.Future[bool]]]) -> None:
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for key, _ in batch:
                    pipe.set(self.prefix + key, b"1", nx=True, ex=self.ttl)
                granted = await pipe.execute()
        except Exception as exc:  # every claim of the batch fails alike
            for _, future in batch:
                if not future.done():
                    future.set_exception(type(exc)(*exc.args))
            return
        late = []
        for (key, future), ok in zip(batch, granted, strict=True):
            if not future.done():
                future.set_result(bool(ok))
            elif ok:  # the receiver gave up on this claim: take it back
                late.append(self.prefix + key)
        if late:
            with contextlib.suppress(Exception):
                await self.client.delete(*late)

    async def release(self, key: str) -> None:
        await self.client.delete(self.prefix + key)

    async def claim_for(self, key: str, owner: str) -> bool:
        """`claim`, or True again for the `owner` already holding it, until `complete` (one script)."""
        return bool(await self.client.eval(_CLAIM_FOR, 1, self.prefix + key, "~" + owner, self.ttl))

    async def complete(self, key: str) -> None:
        await self.client.set(self.prefix + key, b"1", xx=True, keepttl=True)

    async def aclose(self) -> None:
        """Close the client if this store made it (from a URL)."""
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)
        if self._owned:
            await self.client.aclose()
            await self.client.connection_pool.disconnect()
