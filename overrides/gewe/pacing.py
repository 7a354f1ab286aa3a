"""Sending at a human pace, per WeChat account, in one process or across many.

**`pacing=`** (`GeweClient`, `AsyncGeweClient`): GeWe's guidance against WeChat's risk control,
enforced per account (`appId`) for the operations it covers. Which operations are sends and which
are downloads is decided in one reviewed place, `openapi/pacing.yml` (`make spec` carries it into
the package; `profile_of(operation)` answers). Every call of a paced operation takes its turn:

- one at a time per account and profile: the next send starts after the previous one returned;
- gaps after it returned: `person` seconds before a send to a person, `group` (a random draw from
  a range) before a send to a group (`toWxid` ending `@chatroom`) - so GeWe never sees two sends
  of an account closer than the gap, however long each took;
- at most `per_minute` calls in any `window` seconds (60), each counted from its return.

`SEND` (GeWe's guidance: 1 s to people, a random 2-5 s to groups, 40 a minute) and `DOWNLOAD` (a
random 3-10 s, a queue of its own) are the defaults; `Pacing(send=Profile(...), download=...)`
changes them. A call that would wait past its `timeout` ends with `GeweTimeoutError` and is never
sent; a call waits its turn at most once (retries after it do not queue again), so a send is never
made twice by the pacer.

- `Pacing()`: the turns live in this process (threads and tasks of every client given it).
- `RedisPacing("redis://...")`: the turns live in Redis (one script per attempt, Redis' clock), so
  any number of processes and machines sending for one account keep its pace together
  (`pip install 'gewe-sdk[redis]'`). A process that dies holding a turn frees it after
  `Profile.hold` seconds.

**`send_interval=`** (older, still there): calls that are not read-only for the same `appId`
*start* at least that many seconds apart, in one client and its `with_options` copies.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fnmatch
import functools
import itertools
import math
import random
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from .errors import GeweConfigError, GeweDependencyError, GeweTimeoutError

__all__ = [
    "DOWNLOAD",
    "SEND",
    "Pacer",
    "Pacing",
    "Profile",
    "RedisPacing",
    "profile_of",
]


class Pacer:
    """`send_interval`: the next free start time per appId."""

    __slots__ = ("_last", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}

    def reserve(self, key: str, interval: float) -> float:
        """Book the next start for `key`, at least `interval` seconds after the last one booked;
        returns how long to wait (0.0 when it may start now)."""
        now = time.monotonic()
        with self._lock:
            start = max(now, self._last.get(key, -interval) + interval)
            self._last[key] = start
            if len(self._last) > 4096:  # appIds seen long ago no longer hold anyone back
                self._last = {k: t for k, t in self._last.items() if t > now - 3600}
        return start - now


# -- which operations, and their profiles ---------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def profile_of(operation: str) -> str | None:
    """ "send", "download" or None (not paced) for "module.operation": the spec's answer
    (`x-gewe-pacing`), else the reviewed patterns of `openapi/pacing.yml`."""
    from gewe_api._pacing import PACED, PATTERNS

    known = PACED.get(operation)
    if known is not None:
        return known
    for name, patterns in PATTERNS.items():
        if any(fnmatch.fnmatchcase(operation, p) for p in patterns):
            return name
    return None


def _span(value: float | tuple[float, float], name: str) -> tuple[float, float]:
    low, high = (value, value) if isinstance(value, int | float) else value
    if not (0 <= low <= high < 3600):
        raise GeweConfigError(
            f"Profile {name}: expected seconds or (low, high), 0 <= low <= high", setting=name
        )
    return float(low), float(high)


@dataclass(frozen=True)
class Profile:
    """How one kind of call is paced per account.

    Args:
        person: seconds between the start of the previous call and a call to a person (a number,
            or a (low, high) range drawn at random each time).
        group: the same before a call to a group.
        per_minute: at most this many starts in any `window` seconds (None: no cap).
        hold: seconds a turn stays taken when its holder never gives it back (a dead process).
        window: the cap's window, in seconds (60: a minute).
    """

    person: float | tuple[float, float] = 1.0
    group: float | tuple[float, float] = (2.0, 5.0)
    per_minute: int | None = 40
    hold: float = 120.0
    window: float = 60.0
    _spans: tuple[tuple[float, float], tuple[float, float]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        spans = (_span(self.person, "person"), _span(self.group, "group"))
        if self.per_minute is not None and self.per_minute < 1:
            raise GeweConfigError("Profile per_minute must be >= 1 or None", setting="per_minute")
        if not self.hold > 0 or not self.window > 0:
            raise GeweConfigError("Profile hold and window must be > 0", setting="hold")
        object.__setattr__(self, "_spans", spans)

    def draw(self) -> tuple[float, float]:
        """The gaps (to a person, to a group) after a start, drawn now."""
        (pl, ph), (gl, gh) = self._spans
        return random.uniform(pl, ph), random.uniform(gl, gh)


SEND = Profile()
DOWNLOAD = Profile(person=(3.0, 10.0), group=(3.0, 10.0), per_minute=None)


def _check_wait(
    operation: str, started: float, wait: float, timeout: float | None, poll: float = 0.01
) -> float:
    """Seconds to sleep before trying for the turn again (`wait` < 0: until a release, `poll`);
    the timeout error when the turn cannot come within `timeout`."""
    waited = time.monotonic() - started
    if timeout is not None and (waited >= timeout or waited + max(wait, 0.0) > timeout):
        raise _too_long(operation, waited, timeout)
    sleep = min(wait, 1.0) if wait > 0 else poll
    return sleep if timeout is None else min(sleep, max(timeout - waited, 0.001))


def _too_long(operation: str, waited: float, timeout: float) -> GeweTimeoutError:
    err = GeweTimeoutError(
        f"not sent: waited {waited:.1f} s for the account's turn (pacing) and the timeout is {timeout:g} s",
        operation=operation,
    )
    err.timeout = timeout
    err.elapsed = waited
    err.attempts = 0
    return err


class _Turns:
    """The pacing state of one account and profile (in-process)."""

    __slots__ = ("busy", "gaps", "next_group", "next_person", "queue", "starts")

    def __init__(self) -> None:
        self.busy = False
        self.next_person = self.next_group = 0.0
        self.gaps = (0.0, 0.0)  # drawn when the turn was taken, counted from its release
        self.starts: collections.deque[float] = collections.deque()
        self.queue: collections.deque[int] = collections.deque()  # tickets, first come first served


class Pacing:
    """Turns kept in this process; see the module's docstring. Give one to every client that
    sends for the same accounts (`GeweClient(pacing=p)`, `AsyncGeweClient(pacing=p)`)."""

    def __init__(self, *, send: Profile = SEND, download: Profile = DOWNLOAD) -> None:
        if not isinstance(send, Profile) or not isinstance(download, Profile):
            raise GeweConfigError("Pacing send= and download= must be gewe.pacing.Profile", setting="pacing")
        self.profiles = {"send": send, "download": download}
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._state: dict[tuple[str, str], _Turns] = {}
        self._tickets = itertools.count()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(send={self.profiles['send']}, download={self.profiles['download']})"

    def _try(self, key: tuple[str, str], ticket: int, is_group: bool) -> float:
        """0.0 and the turn taken, or seconds until it may be (-1: wait for a release)."""
        state = self._state[key]
        if state.busy or state.queue[0] != ticket:
            return -1.0
        profile = self.profiles[key[1]]
        now = time.monotonic()
        ready = state.next_group if is_group else state.next_person
        if profile.per_minute is not None:
            while state.starts and state.starts[0] <= now - profile.window:
                state.starts.popleft()
            if len(state.starts) >= profile.per_minute:
                ready = max(ready, state.starts[0] + profile.window)
        if ready > now:
            return ready - now
        state.queue.popleft()
        state.busy = True
        state.gaps = profile.draw()
        return 0.0

    def _enter(self, key: tuple[str, str]) -> int:
        ticket = next(self._tickets)
        self._state.setdefault(key, _Turns()).queue.append(ticket)
        return ticket

    def _leave(self, key: tuple[str, str], ticket: int, taken: bool) -> None:
        state = self._state[key]
        if taken:
            state.busy = False
            now = time.monotonic()
            state.next_person, state.next_group = now + state.gaps[0], now + state.gaps[1]
            state.starts.append(now)  # counted when it returned: GeWe saw it before then
        else:
            with contextlib.suppress(ValueError):
                state.queue.remove(ticket)
        self._cond.notify_all()

    @contextlib.contextmanager
    def turn(
        self, app_id: str, profile: str, to: str | None, timeout: float | None, operation: str
    ) -> Iterator[None]:
        """Hold the account's turn around one call (sync)."""
        key, started, taken = (app_id, profile), time.monotonic(), False
        is_group = bool(to and to.endswith("@chatroom"))
        with self._lock:
            ticket = self._enter(key)
            try:
                while (wait := self._try(key, ticket, is_group)) != 0.0:
                    self._cond.wait(_check_wait(operation, started, wait, timeout, poll=1.0))  # or notified
                taken = True
            finally:
                if not taken:
                    self._leave(key, ticket, False)
        try:
            yield
        finally:
            with self._lock:
                self._leave(key, ticket, True)

    @contextlib.asynccontextmanager
    async def aturn(
        self, app_id: str, profile: str, to: str | None, timeout: float | None, operation: str
    ) -> AsyncIterator[None]:
        """Hold the account's turn around one call (async; tasks and threads share the turns)."""
        key, started, taken = (app_id, profile), time.monotonic(), False
        is_group = bool(to and to.endswith("@chatroom"))
        with self._lock:
            ticket = self._enter(key)
        try:
            while True:
                with self._lock:
                    wait = self._try(key, ticket, is_group)
                if wait == 0.0:
                    taken = True
                    break
                await asyncio.sleep(_check_wait(operation, started, wait, timeout))
        finally:
            if not taken:
                with self._lock:
                    self._leave(key, ticket, False)
        try:
            yield
        finally:
            with self._lock:
                self._leave(key, ticket, True)


# -- shared through Redis ----------------------------------------------------------------------------

# KEYS[1]: the account/profile hash, KEYS[2]: its list of recent starts (ms).
# ARGV: holder, is_group (1/0), hold ms, per_minute (0: none), person gap ms, group gap ms, window ms.
# Returns 0 (taken) or the ms to wait (-1: another holds the turn). The gaps drawn now count from
# the release (_GIVE); a holder that never releases frees the turn after `hold`.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local holder = redis.call('HGET', KEYS[1], 'holder')
local held = tonumber(redis.call('HGET', KEYS[1], 'held_until') or '0')
if holder and holder ~= '' and held > now then return -1 end
local ready = tonumber(redis.call('HGET', KEYS[1], ARGV[2] == '1' and 'next_group' or 'next_person') or '0')
local cap = tonumber(ARGV[4])
if cap > 0 then
    while true do
        local first = redis.call('LINDEX', KEYS[2], 0)
        if not first or tonumber(first) > now - tonumber(ARGV[7]) then break end
        redis.call('LPOP', KEYS[2])
    end
    if redis.call('LLEN', KEYS[2]) >= cap then
        ready = math.max(ready, tonumber(redis.call('LINDEX', KEYS[2], 0)) + tonumber(ARGV[7]))
    end
end
if ready > now then return ready - now end
redis.call('HSET', KEYS[1], 'holder', ARGV[1], 'held_until', now + tonumber(ARGV[3]),
    'gap_person', ARGV[5], 'gap_group', ARGV[6],
    'next_person', now + tonumber(ARGV[5]), 'next_group', now + tonumber(ARGV[6]))
redis.call('PEXPIRE', KEYS[1], 3600000)
return 0
"""
_GIVE = """
if redis.call('HGET', KEYS[1], 'holder') == ARGV[1] then
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + 1
    local gp = tonumber(redis.call('HGET', KEYS[1], 'gap_person') or '0')
    local gg = tonumber(redis.call('HGET', KEYS[1], 'gap_group') or '0')
    redis.call('HSET', KEYS[1], 'holder', '', 'next_person', now + gp, 'next_group', now + gg)
    if tonumber(ARGV[2]) > 0 then
        redis.call('RPUSH', KEYS[2], now)
        redis.call('PEXPIRE', KEYS[2], ARGV[2])
    end
    return 1
end
return 0
"""


class RedisPacing(Pacing):
    """Turns kept in Redis, shared by every process using the same server and `prefix`.

    `url` is a Redis URL; the sync client (`GeweClient`) and the async one (`AsyncGeweClient`) each
    get a connection of their own, made on first use. A Redis that cannot be reached makes the
    call fail with the connection error, unsent.
    """

    def __init__(
        self, url: str, *, send: Profile = SEND, download: Profile = DOWNLOAD, prefix: str = "gewe:pace:"
    ) -> None:
        super().__init__(send=send, download=download)
        try:
            import redis
        except ImportError:  # pragma: no cover - depends on the environment
            raise GeweDependencyError("RedisPacing needs redis-py: pip install 'gewe-sdk[redis]'") from None
        if not isinstance(url, str):
            raise GeweConfigError("RedisPacing needs a Redis URL", setting="pacing")
        self.url, self.prefix = url, prefix
        self._sync: Any = redis.Redis.from_url(url)
        self._async: dict[int, Any] = {}
        self._me = f"{id(self)}:{random.getrandbits(48)}"

    def __repr__(self) -> str:
        return f"RedisPacing(prefix={self.prefix!r})"

    def _keys(self, app_id: str, profile: str) -> list[str]:
        base = f"{self.prefix}{profile}:{app_id}"
        return [base, base + ":starts"]

    def _args(self, holder: str, profile: str, is_group: bool) -> list[Any]:
        p = self.profiles[profile]
        person, group = p.draw()
        gaps = [math.ceil(person * 1000), math.ceil(group * 1000)]  # ms, never below the profile
        return [holder, int(is_group), int(p.hold * 1000), p.per_minute or 0, *gaps, int(p.window * 1000)]

    def _window_ms(self, profile: str) -> int:
        """The cap's window in ms (0: no cap, nothing to count)."""
        p = self.profiles[profile]
        return 0 if p.per_minute is None else int(p.window * 1000)

    def _aclient(self) -> Any:
        import redis.asyncio as aioredis

        loop = id(asyncio.get_running_loop())
        client = self._async.get(loop)
        if client is None:
            client = self._async[loop] = aioredis.Redis.from_url(self.url)
        return client

    @contextlib.contextmanager
    def turn(
        self, app_id: str, profile: str, to: str | None, timeout: float | None, operation: str
    ) -> Iterator[None]:
        keys, started = self._keys(app_id, profile), time.monotonic()
        holder = f"{self._me}:{next(self._tickets)}"
        is_group = bool(to and to.endswith("@chatroom"))
        while (wait := int(self._sync.eval(_TAKE, 2, *keys, *self._args(holder, profile, is_group)))) != 0:
            time.sleep(_check_wait(operation, started, wait / 1000, timeout))
        try:
            yield
        finally:
            with contextlib.suppress(Exception):  # unreachable: the turn frees itself after `hold`
                self._sync.eval(_GIVE, 2, *keys, holder, self._window_ms(profile))

    @contextlib.asynccontextmanager
    async def aturn(
        self, app_id: str, profile: str, to: str | None, timeout: float | None, operation: str
    ) -> AsyncIterator[None]:
        client = self._aclient()
        keys, started = self._keys(app_id, profile), time.monotonic()
        holder = f"{self._me}:{next(self._tickets)}"
        is_group = bool(to and to.endswith("@chatroom"))
        while (wait := int(await client.eval(_TAKE, 2, *keys, *self._args(holder, profile, is_group)))) != 0:
            await asyncio.sleep(_check_wait(operation, started, wait / 1000, timeout))
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                await client.eval(_GIVE, 2, *keys, holder, self._window_ms(profile))

    def close(self) -> None:
        """Close the sync connection (async ones close with their loop's `aclose`)."""
        self._sync.close()

    async def aclose(self) -> None:
        client = self._async.pop(id(asyncio.get_running_loop()), None)
        if client is not None:
            await client.aclose()
