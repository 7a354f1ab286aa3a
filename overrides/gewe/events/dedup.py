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
        now = time.monotonic()
        self._purge(now)
        if key in self._seen:
            return False
        self._seen[key] = now + self.ttl
        if len(self._seen) > self.max_keys:
            self._owners.pop(self._seen.popitem(last=False)[0], None)
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


_CLAIM_FOR = """
local held = redis.call('GET', KEYS[1])
if not held then
    redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
    return 1
end
if held == ARGV[1] then return 1 end
return 0
"""


class RedisDedup:
    """A store in Redis, shared by every receiver using the same server and `prefix`.

    `client` is a `redis.asyncio.Redis` (or a URL such as "redis://127.0.0.1:6379/0"). Each claim is
    one `SET <prefix><key> 1 NX EX <ttl>`: atomic across receivers. The client is yours to close
    unless it was made here from a URL (`await store.aclose()`).
    """

    def __init__(self, client: Any, *, ttl: float = DEFAULT_TTL, prefix: str = "gewe:dedup:") -> None:
        try:
            import redis.asyncio as aioredis
        except ImportError:  # pragma: no cover - depends on the environment
            raise GeweDependencyError("RedisDedup needs redis-py: pip install 'gewe-sdk[redis]'") from None
        self._owned = isinstance(client, str)
        self.client: Any = aioredis.Redis.from_url(client) if isinstance(client, str) else client
        self.ttl = max(1, int(ttl))
        self.prefix = prefix
        self.marked_done_by: Any = None  # the RedisStreamQueue whose ack marks ids done (its dedup())

    def __repr__(self) -> str:
        return f"RedisDedup(ttl={self.ttl}, prefix={self.prefix!r})"

    async def claim(self, key: str) -> bool:
        return bool(await self.client.set(self.prefix + key, b"1", nx=True, ex=self.ttl))

    async def release(self, key: str) -> None:
        await self.client.delete(self.prefix + key)

    async def claim_for(self, key: str, owner: str) -> bool:
        """`claim`, or True again for the `owner` already holding it, until `complete` (one script)."""
        return bool(await self.client.eval(_CLAIM_FOR, 1, self.prefix + key, "~" + owner, self.ttl))

    async def complete(self, key: str) -> None:
        await self.client.set(self.prefix + key, b"1", xx=True, keepttl=True)

    async def aclose(self) -> None:
        """Close the client if this store made it (from a URL)."""
        if self._owned:
            await self.client.aclose()
