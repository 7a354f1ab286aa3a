"""`Receiver`: GeWe's callback URL. Answers every push at once, handles it after, once.

    receiver = Receiver(handle, path=secret_path())
    await receiver.start(port=8080)      # binds 127.0.0.1 unless told otherwise
    print(receiver.url)                  # give this URL to GeWe (set_callback)
    ...
    left = await receiver.stop()         # drains the queue; how many events were left

Two paths, kept apart. The *answer path* (what GeWe waits for, 3 seconds at most) reads the body
(at most `max_body` bytes, never decompressed), checks it is a JSON object, takes its
de-duplication key, claims the key (with a deadline) and hands the push to the intake (a queue
bounded by count and by bytes). The *work path* (worker tasks) takes pushes from the intake,
parses each into an event (`parse_event`; a big push in a thread, so the loop keeps answering)
and calls the handler under `handler_timeout` (a sync handler runs in a daemon thread).

| the push | the answer |
| --- | --- |
| queued, or a duplicate already seen | 200 |
| GeWe's test message (any body with `testMsg`) | 200 (not queued; `receiver.pinged` is set) |
| any other path than the secret one | 404 (compared in constant time) |
| from an address outside `allow` | 403 |
| not POST | 405 |
| a `Content-Encoding` other than identity | 415 (before the body is read) |
| bigger than `max_body` | 413 |
| not a JSON object, a de-duplication key beyond any real size, or far more containers than bytes | 400 |
| queue full (count or bytes), store slow or down, stopped | 503 and a WARNING: GeWe delivers it again |

Connections served by `start()`: the request (headers and body) must arrive within
`request_timeout` seconds, an idle keep-alive connection is closed after `idle_timeout`, and at
most `max_connections` are open (below the process's file limit); beyond that the connection that
has waited longest without a complete request is closed, or the new one refused with a 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import inspect
import ipaddress
import logging
import queue
import resource
import secrets
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web

from .._serving import binding
from ..errors import GeweConfigError, GeweEventError
from .dedup import DedupStore, MemoryDedup
from .intake import Intake, MemoryIntake, Push
from .queues import PushQueue

if TYPE_CHECKING:
    from .worker import Worker
from .models import Event, PingEvent
from .parse import _event_of, decode_body, parse_event, push_key

if TYPE_CHECKING:
    from ..media.hosts import ReceiverMediaHost

logger = logging.getLogger("gewe.events")
http_logger = logging.getLogger("gewe.events.http")  # aiohttp's protocol errors, rate-limited
Handler = Callable[[Event], object]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

MIN_SECRET = 16  # characters of the path's longest segment: secret_path() makes 32 (192 random bits)
MAX_KEY = 200  # "<Appid>:<NewMsgId>": a real one is under 60 characters
THREAD_PARSE_BYTES = 64 * 1024  # a bigger push is parsed in a thread: the loop keeps answering
KEEP_DECODED_BYTES = 16 * 1024  # a push this small, queued behind fewer than KEEP_DECODED_PUSHES,
KEEP_DECODED_PUSHES = 128  # keeps the object decoded on the answer path for its worker
_BUSY = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


def secret_path(prefix: str = "/gewe/") -> str:
    """A callback path nobody can guess: `prefix` + 32 random URL-safe characters."""
    return prefix + secrets.token_urlsafe(24)


def has_secret(path: str) -> bool:
    """Whether `path` has a segment long enough to be a secret (`MIN_SECRET` characters or more).

    Length is all that can be checked: a long segment of words (`/gewe/callback-endpoint-v2`) passes
    and is still guessable, so make the path with `secret_path()`.
    """
    return max(len(segment) for segment in path.split("/")) >= MIN_SECRET


def _file_limit() -> int:
    try:
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (OSError, ValueError):  # pragma: no cover - no limit to read
        return 1024
    return soft if soft > 0 else 1 << 20


ACCEPT_BATCH = 64  # connections asyncio accepts at once (its `backlog`), before any of them is admitted
LISTEN_BACKLOG = 1024  # the kernel's queue of connections not accepted yet


def default_max_connections() -> int:
    """Open connections allowed: the file limit less room for the rest of the process (logs, Redis)
    and for the sockets accepted but not yet admitted or closed (a few accept batches)."""
    limit = _file_limit()
    return max(16, min(10_000, limit - max(4 * ACCEPT_BATCH, limit // 8)))


class RateLimit(logging.Filter):
    """Lets at most `per_minute` records of each message through a minute; says how many it dropped."""

    def __init__(self, per_minute: int = 5, match: Callable[[logging.LogRecord], bool] | None = None) -> None:
        super().__init__()
        self.per_minute, self.match = per_minute, match
        self._window: dict[str, tuple[float, int, int]] = {}  # msg -> (window start, passed, dropped)

    def filter(self, record: logging.LogRecord) -> bool:
        if self.match is not None and not self.match(record):
            return True
        key = str(record.msg)[:60]
        now = time.monotonic()
        start, passed, dropped = self._window.get(key, (now, 0, 0))
        if now - start >= 60:
            if dropped:
                record.msg = f"{record.msg} ({dropped} like it dropped in the last minute)"
            start, passed, dropped = now, 0, 0
        if passed >= self.per_minute:
            self._window[key] = (start, passed, dropped + 1)
            return False
        self._window[key] = (start, passed + 1, dropped)
        if len(self._window) > 100:  # many distinct messages: forget the old windows
            self._window = {k: v for k, v in self._window.items() if now - v[0] < 60}
        return True


http_logger.addFilter(RateLimit())
# a flood of pushes refused with 503 (a full queue, a slow store) logs a few lines a minute, not one each
logger.addFilter(RateLimit(30, match=lambda r: str(r.msg).startswith("push answered 503")))
_accept_errors = RateLimit(match=lambda r: str(r.msg).startswith("socket.accept() out of system resource"))


class _Threads:
    """Daemon threads for sync handlers (and big parses): a thread that never returns cannot keep
    the process alive at exit. One more thread is started when all are busy, up to `most`."""

    def __init__(self, loop: asyncio.AbstractEventLoop, most: int, name: str) -> None:
        self._loop, self._most, self._name = loop, most, name
        self._jobs: queue.SimpleQueue[tuple[Callable[[Any], Any], Any, asyncio.Future[Any]] | None] = (
            queue.SimpleQueue()
        )
        self._lock = threading.Lock()
        self._threads = 0
        self._pending = 0  # submitted, not finished (a stuck job counts)

    def submit(self, fn: Callable[[Any], Any], arg: Any) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = self._loop.create_future()
        with self._lock:
            self._pending += 1
            start = self._pending > self._threads and self._threads < self._most
            if start:
                self._threads += 1
        self._jobs.put((fn, arg, future))
        if start:
            threading.Thread(target=self._run, name=f"{self._name}-{self._threads}", daemon=True).start()
        return future

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            fn, arg, future = job
            try:
                if future.cancelled():  # given up before it started
                    continue
                try:
                    result, error = fn(arg), None
                except BaseException as exc:  # handed to the awaiting worker
                    result, error = None, exc
                with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
                    self._loop.call_soon_threadsafe(_settle, future, result, error)
            finally:
                with self._lock:
                    self._pending -= 1

    def shutdown(self) -> None:
        """Let idle threads end; busy ones are abandoned (they are daemon threads)."""
        with self._lock:
            count, self._threads = self._threads, 0
        for _ in range(count):
            self._jobs.put(None)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # timed out or cancelled meanwhile: the late result is not counted
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class _Conn(asyncio.Protocol):
    """One connection served by `start()`: aiohttp's protocol inside, with a deadline around it."""

    __slots__ = ("deadline", "handling", "idle", "inner", "owner", "transport")

    def __init__(self, owner: Receiver, inner: asyncio.Protocol) -> None:
        self.owner, self.inner = owner, inner
        self.transport: asyncio.Transport | None = None
        self.deadline = 0.0
        self.handling = False
        self.idle = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if not self.owner._admit(self):
            self.inner = None  # type: ignore[assignment]
            with contextlib.suppress(Exception):
                transport.write(_BUSY)
                transport.close()
            return
        self.deadline = self.owner._now() + self.owner.request_timeout
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.inner is None:
            return
        if self.idle:  # a new request begins on a kept-alive connection
            self.idle = False
            owner = self.owner
            self.deadline = owner._loop.time() + owner.request_timeout  # type: ignore[union-attr]
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.inner is not None else None

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner._conns.pop(self.transport, None)
        if self.inner is not None:
            self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self.inner is not None:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.inner is not None:
            self.inner.resume_writing()


class Receiver:
    """Receives GeWe's pushes on `path` and hands each event to `handler` once.

    Args:
        handler: called with each event (never the test message); sync (run in a daemon thread) or
            async. An exception is logged with the event's kind and `new_msg_id`, the event's id is
            forgotten (a re-delivery is handled again), and the worker goes on. None (with a
            `queue`): this receiver only stores pushes, for `Worker`s elsewhere.
        queue: where accepted pushes are stored (`SqliteQueue`, `RedisStreamQueue`, `MemoryQueue`;
            see `gewe.events.queues`). A push is answered 200 only once the queue has stored it,
            503 if it cannot within `store_timeout` s. With a handler, a `Worker` in this process
            handles them (`workers` at a time, one per chat, in order); de-duplication then
            happens when a handler starts (`dedup="memory"` means the queue's own store). None
            (the default): an in-process queue, lost with the process.
        store_timeout: seconds `queue.put` may take before the push is answered 503.
        path: the secret path GeWe posts to, e.g. `secret_path()`; it never appears in a log line.
            GeWe does not sign pushes, so this secret is their authentication: a path with no
            segment of `MIN_SECRET` (16) characters or more (`/`, `/gewe/callback`) is a
            GeweConfigError unless `allow` names the addresses that may post.
        dedup: a `DedupStore` (default: `MemoryDedup()`), or None to handle every delivery.
        max_body: the largest body accepted, in bytes (default 1 MiB).
        queue_size: events waiting for a worker; beyond it pushes are answered 503.
        queue_bytes: the bytes of pushes waiting for a worker (default 64 MiB); beyond it, 503.
        workers: events handled at the same time.
        allow: source addresses or networks allowed to post ("1.2.3.4", "10.0.0.0/8"); default any.
            An IPv4 address also matches as IPv6-mapped (`::ffff:1.2.3.4`, a dual-stack socket).
        handler_timeout: seconds a handler may take (None: no limit). An async handler past it is
            cancelled; a sync one is abandoned (its late result is not counted). Either is logged
            at WARNING with the kind and `new_msg_id`, and its id forgotten so GeWe's re-delivery
            is handled.
        claim_timeout: seconds the de-duplication store may take to claim a push's id; past it the
            push is answered 503 (GeWe delivers it again).
        request_timeout: seconds a request's headers and body may take to arrive (`start()` only).
        idle_timeout: seconds an idle keep-alive connection stays open (`start()` only).
        max_connections: open connections (`start()` only; default: below the process's file limit).
        media: a `gewe.media.ReceiverMediaHost` to serve from the same server (local files sent
            with `client.message.send_image(...)` and friends); `allow` does not apply to it.
    """

    def __init__(
        self,
        handler: Handler | None = None,
        *,
        path: str,
        queue: PushQueue | None = None,
        store_timeout: float = 2.0,
        dedup: DedupStore | Literal["memory"] | None = "memory",
        max_body: int = 1 << 20,
        queue_size: int = 10_000,
        queue_bytes: int = 64 << 20,
        workers: int = 16,
        allow: Iterable[str] | None = None,
        handler_timeout: float | None = 60.0,
        claim_timeout: float = 1.0,
        request_timeout: float = 5.0,
        idle_timeout: float = 15.0,
        max_connections: int | None = None,
        media: ReceiverMediaHost | None = None,
    ) -> None:
        if not isinstance(path, str) or not path.startswith("/"):
            raise GeweConfigError("Receiver path must start with '/' (e.g. secret_path())", setting="path")
        if handler is not None and not callable(handler):
            raise GeweConfigError(
                f"Receiver handler must be callable (a function of one event), not {type(handler).__name__}",
                setting="handler",
            )
        if max_body < 1 or queue_size < 1 or workers < 1 or queue_bytes < max_body:
            raise GeweConfigError(
                "max_body, queue_size and workers must be >= 1, and queue_bytes >= max_body",
                setting="receiver",
            )
        for name, value in (
            ("claim_timeout", claim_timeout),
            ("request_timeout", request_timeout),
            ("idle_timeout", idle_timeout),
            ("handler_timeout", 1.0 if handler_timeout is None else handler_timeout),
        ):
            if not value > 0:
                raise GeweConfigError(f"{name} must be > 0 seconds", setting=name)
        if handler is None and queue is None:
            raise GeweConfigError(
                "Receiver needs a handler, a queue= for Workers, or both", setting="handler"
            )
        if queue is not None and not isinstance(queue, PushQueue):
            raise GeweConfigError(
                f"queue must be a MemoryQueue, SqliteQueue or RedisStreamQueue, got {type(queue).__name__}",
                setting="queue",
            )
        if not store_timeout > 0:
            raise GeweConfigError("store_timeout must be > 0 seconds", setting="store_timeout")
        if isinstance(allow, str):  # one address or network, not its characters
            allow = [allow]
        try:
            self.allow: tuple[Network, ...] | None = (
                None if allow is None else tuple(ipaddress.ip_network(a, strict=False) for a in allow)
            )
        except ValueError as exc:
            raise GeweConfigError(f"allow: not an address or network: {exc}", setting="allow") from None
        if self.allow is None and not has_secret(path):
            # GeWe does not sign pushes: the path is what keeps strangers from posting events
            raise GeweConfigError(
                f"Receiver path has no secret segment (none of its segments has {MIN_SECRET} characters "
                "or more), and GeWe's pushes are unsigned: anyone who finds the URL could post events "
                "to the bot. Use path=secret_path(), or pass allow=[...] (the addresses that may post)",
                setting="path",
            )
        self.handler = handler
        self.media = media  # served by this receiver's server too (gewe.media.ReceiverMediaHost)
        self.queue, self.store_timeout = queue, store_timeout
        self.worker: Worker | None = None
        if queue is not None and handler is not None:
            from .worker import Worker

            self.worker = Worker(
                handler,
                queue=queue,
                concurrency=workers,
                dedup="auto" if dedup == "memory" else dedup,
                handler_timeout=handler_timeout,
            )
        self._path = path.encode()
        self.dedup: DedupStore | None = MemoryDedup() if dedup == "memory" else dedup
        self._claim_is_instant = type(self.dedup) is MemoryDedup  # never suspends: no deadline needed
        self.max_body, self.queue_size, self.queue_bytes = max_body, queue_size, queue_bytes
        self.workers = workers
        self.handler_timeout, self.claim_timeout = handler_timeout, claim_timeout
        self.request_timeout, self.idle_timeout = request_timeout, idle_timeout
        self.max_connections = max_connections or default_max_connections()
        self._is_async = inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
            getattr(handler, "__call__", None)  # noqa: B004 - an async callable object
        )
        self.intake: Intake | None = None  # made on the running loop by ensure_workers()
        self._tasks: list[asyncio.Task[None]] = []
        self._threads: _Threads | None = None
        self._parsers: _Threads | None = None
        self._busy: dict[asyncio.Task[None], Push] = {}
        self._started: dict[asyncio.Task[None], float] = {}  # worker -> when its handler was called
        self._expired: set[asyncio.Task[None]] = set()  # workers the watchdog cancelled
        self._runner: web.BaseRunner | None = None
        self._server: asyncio.AbstractServer | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._conns: dict[asyncio.BaseTransport | None, _Conn] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._accepting = False
        self._stopped = False
        self.url: str | None = None
        self.pinged = asyncio.Event()
        self.last_ping: PingEvent | None = None
        self.answered: Counter[int] = Counter()
        self.handled = 0
        self.stored = 0  # pushes a `queue` stored (and answered 200)
        self.failed = 0
        self.timed_out = 0
        self.duplicates = 0
        self.rejected = 0
        self.refused_connections = 0
        self.left = 0  # events the last stop() left unhandled

    def __repr__(self) -> str:  # never the path: it is the secret
        return f"Receiver(workers={self.workers}, queue_size={self.queue_size}, running={self._accepting})"

    def stats(self) -> dict[str, Any]:
        """The counters, for a health endpoint: answers by status, queue, handling, connections."""
        intake = self.intake
        return {
            "running": self._accepting,
            "answered": {str(status): n for status, n in sorted(self.answered.items())},
            "queued": intake.queued if intake is not None else 0,
            "queued_bytes": intake.queued_bytes if intake is not None else 0,
            "in_flight": len(self._busy),
            "handled": self.handled,
            "stored": self.stored,
            "failed": self.failed,
            "timed_out": self.timed_out,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "connections": len(self._conns),
            "refused_connections": self.refused_connections,
            **({"worker": self.worker.stats()} if self.worker is not None else {}),  # queue= and a handler
        }

    # -- the answer path -------------------------------------------------------------------------

    def path_matches(self, path: str) -> bool:
        """Whether `path` is the secret path (constant time)."""
        return hmac.compare_digest(path.encode(), self._path)

    def address_allowed(self, remote: str | None) -> bool:
        if self.allow is None:  # (the aiohttp handler does not even ask for the address then)
            return True
        try:
            address = ipaddress.ip_address((remote or "").split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            mapped = address.ipv4_mapped  # a dual-stack socket shows IPv4 peers as ::ffff:a.b.c.d
            return any(address in net or mapped in net for net in self.allow)
        return any(address in net for net in self.allow)

    def _answer(self, status: int) -> int:
        self.answered[status] += 1
        return status

    def refusal(self, method: str, content_encoding: str | None, content_length: int | None) -> int | None:
        """The status refusing a request from what its head says (before its body is read), or None."""
        if self._stopped:
            return self._answer(503)
        if method != "POST":
            return self._answer(405)
        if content_encoding and content_encoding.strip().lower() != "identity":
            return self._answer(415)
        if content_length is not None and content_length > self.max_body:
            return self._answer(413)
        return None

    async def receive(self, body: bytes) -> int:
        """Decode one body from the secret path and queue it; the HTTP status to answer."""
        if self._stopped:
            return self._answer(503)
        try:
            raw = decode_body(body)
            if len(body) > 1024 and _containers(body) > max(1024, len(body) // 64):
                raise GeweEventError("far more JSON containers than a push has")
        except GeweEventError as exc:
            logger.debug("push answered 400: %s", exc)
            return self._answer(400)
        if "testMsg" in raw:  # is_test_message(raw)
            ping = parse_event(raw)
            assert isinstance(ping, PingEvent)
            self.last_ping = ping
            self.pinged.set()
            logger.info("callback test message received")
            return self._answer(200)
        key = push_key(raw) if self.dedup is not None else None
        if key is not None and len(key) > MAX_KEY:
            logger.debug("push answered 400: its Appid is longer than any real one")
            return self._answer(400)
        if self.queue is not None:
            return await self._store(raw, bytes(body))
        intake = self.intake
        if intake is None:
            self.ensure_workers()
            intake = self.intake
            assert intake is not None
        if not self._accepting:
            return self._reject(raw, "the receiver is stopping")
        if intake.queued >= self.queue_size or intake.queued_bytes + len(body) > self.queue_bytes:
            return self._reject(raw, "the queue is full")
        if key is not None and self.dedup is not None:
            try:
                if self._claim_is_instant:  # a MemoryDedup: no coroutine, no deadline
                    first = self.dedup.claim_now(key)  # type: ignore[attr-defined]
                else:
                    async with asyncio.timeout(self.claim_timeout):
                        first = await self.dedup.claim(key)
            except TimeoutError:
                return self._reject(raw, f"the dedup store took over {self.claim_timeout:g} s")
            except Exception as exc:  # the store is down: refuse, GeWe delivers again
                return self._reject(raw, f"the dedup store failed ({type(exc).__name__})")
            if not first:
                self.duplicates += 1
                logger.debug("duplicate push ignored (%s)", _describe(raw))
                return self._answer(200)
        # the decoded object rides along while workers keep up (no second json.loads); a backlog
        # keeps only the bytes, so queue_bytes still bounds the memory of what waits
        keep = len(body) <= KEEP_DECODED_BYTES and intake.queued < KEEP_DECODED_PUSHES
        push = Push(body if type(body) is bytes else bytes(body), key, raw=raw if keep else None)
        if not (intake.put_nowait(push) if type(intake) is MemoryIntake else await intake.put(push)):
            if key is not None:
                await self._forget(key)
            return self._reject(raw, "the queue is full")
        self.answered[200] += 1  # self._answer(200)
        return 200

    async def _store(self, raw: dict[str, Any], body: bytes) -> int:
        """The answer with a `queue`: 200 once it stored the push, 503 if it did not in time."""
        assert self.queue is not None
        if not self._accepting:
            await self._start_worker()
        try:
            async with asyncio.timeout(self.store_timeout):
                await self.queue.put(raw, body)
        except TimeoutError:
            return self._reject(raw, f"the queue did not store it within {self.store_timeout:g} s")
        except Exception as exc:  # full, or its store is down: GeWe delivers it again
            return self._reject(raw, f"the queue did not store it ({type(exc).__name__}: {exc})")
        self.stored += 1
        return self._answer(200)

    async def _start_worker(self) -> None:
        if self._stopped or self._accepting:
            return
        self._loop = asyncio.get_running_loop()
        self._accepting = True
        if self.worker is not None and not self.worker.running:
            await self.worker.start()

    def _reject(self, raw: dict[str, Any], why: str) -> int:
        self.rejected += 1
        logger.warning("push answered 503 (%s): %s; GeWe delivers it again", _describe(raw), why)
        return self._answer(503)

    async def _aiohttp_handler(self, request: web.BaseRequest) -> web.StreamResponse:
        if not self.path_matches(request.path):
            return web.Response(status=self._answer(404))
        if self.allow is not None and not self.address_allowed(request.remote):
            return web.Response(status=self._answer(403))
        headers = request.headers
        declared = headers.get("Content-Length")  # (request.content_length, looked up once)
        length = None if declared is None else int(declared)
        status = self.refusal(request.method, headers.get("Content-Encoding"), length)
        if status is not None:
            return web.Response(status=status, headers={"Allow": "POST"} if status == 405 else None)
        conn = self._conns.get(request.transport)
        try:
            if conn is not None:  # our own server: the connection's deadline bounds the read
                body = _body_now(request, length)  # all of it in (the usual case): no coroutine
                if body is None:
                    body = await _read_body(request, self.max_body)
            else:  # mounted in someone's app: bound the read here
                async with asyncio.timeout(self.request_timeout):
                    body = await _read_body(request, self.max_body)
        except TimeoutError:
            return web.Response(status=self._answer(408), headers={"Connection": "close"})
        except ConnectionError:  # closed (by its deadline, or by the client) before the body was whole
            return web.Response(status=400, headers={"Connection": "close"})
        if body is None:
            return web.Response(status=self._answer(413))
        if conn is not None:
            conn.handling = True
        try:
            return web.Response(status=await self.receive(body))
        finally:
            if conn is not None:
                conn.handling, conn.idle = False, True
                conn.deadline = self._loop.time() + self.idle_timeout  # type: ignore[union-attr]

    async def _media_or_push(self, request: web.BaseRequest) -> web.StreamResponse:
        """`start()`'s handler with a media host: its own secret prefix first, as `_route` orders it."""
        media = self.media
        assert media is not None
        if request.path.startswith(media._prefix):
            return await media.handle(request)  # type: ignore[arg-type]  # (uses method and path only)
        return await self._aiohttp_handler(request)

    def add_to(self, app: web.Application) -> None:
        """Serve this receiver inside an existing aiohttp app.

        The route is the secret path's folder (`/gewe/{tail}` for `/gewe/<secret>`; the whole app
        for a path without one); the rest is compared in constant time. The workers start with the
        first push; the app's cleanup stops the receiver. Connection timeouts and limits are the
        app's server's (run it with `auto_decompress=False`: the receiver refuses compressed bodies).
        """
        self._route(app)

        async def _stop(_: web.Application) -> None:
            await self.stop()

        app.on_cleanup.append(_stop)

    def _route(self, app: web.Application) -> None:
        if self.media is not None:  # its own secret prefix, routed first
            self.media.add_to(app)
        folder = self._path.decode().rsplit("/", 1)[0] + "/"
        app.router.add_route("*", folder + "{tail:.*}", self._aiohttp_handler)

    def asgi(self) -> Callable[..., Any]:
        """This receiver as an ASGI app (Starlette, FastAPI: `app.mount("/", receiver.asgi())`)."""
        from .asgi import asgi_app

        return asgi_app(self)

    # -- connections (start() only) ----------------------------------------------------------------

    def _now(self) -> float:
        assert self._loop is not None
        return self._loop.time()

    def _admit(self, conn: _Conn) -> bool:
        """Room for one more connection: close the one waiting longest for its request if full."""
        conns = self._conns
        if len(conns) >= self.max_connections:
            waiting = [c for c in conns.values() if not c.handling]
            if not waiting:
                self.refused_connections += 1
                return False
            victim = min(waiting, key=lambda c: c.deadline)
            conns.pop(victim.transport, None)
            if victim.transport is not None:
                victim.transport.abort()
            self.refused_connections += 1
        conns[conn.transport] = conn
        return True

    async def _sweep(self) -> None:
        """Close connections past their deadline (a request too slow, a keep-alive too idle)."""
        period = min(0.5, self.request_timeout / 4)
        while True:
            await asyncio.sleep(period)
            now = self._now()
            for conn in [c for c in self._conns.values() if not c.handling and c.deadline < now]:
                self._conns.pop(conn.transport, None)
                if conn.transport is not None:
                    conn.transport.abort()

    # -- the work path ---------------------------------------------------------------------------

    def ensure_workers(self) -> None:
        """Start the intake and its workers (on the running loop) if not started yet."""
        if self.intake is not None or self._stopped:
            return
        loop = asyncio.get_running_loop()
        self._loop = loop
        self.intake = MemoryIntake(self.queue_size, self.queue_bytes)
        if not self._is_async:
            self._threads = _Threads(loop, 2 * self.workers, "gewe-handler")
        self._parsers = _Threads(loop, 2, "gewe-parse")
        self._tasks = [
            asyncio.create_task(self._work(), name=f"gewe-worker-{i}") for i in range(self.workers)
        ]
        if self.handler_timeout is not None:
            self._tasks.append(asyncio.create_task(self._watch(), name="gewe-handler-watchdog"))
        self._accepting = True

    async def _work(self) -> None:
        intake = self.intake
        assert intake is not None
        me = asyncio.current_task()
        assert me is not None
        memory = intake if type(intake) is MemoryIntake else None
        while True:
            try:
                push = memory.get_nowait() if memory is not None else None
                if push is None:
                    push = await intake.get()
                self._busy[me] = push
                try:
                    await self._handle(push, me)
                finally:
                    del self._busy[me]
                    if memory is None:  # MemoryIntake.done does nothing: no coroutine per push
                        await intake.done(push)
            except asyncio.CancelledError:
                if me not in self._expired:  # stop(): the worker ends
                    raise
                self._expired.discard(me)  # the watchdog's, landed after the handler: go on
                if me.uncancel() > 0:  # ...unless stop() cancelled it too
                    raise

    async def _watch(self) -> None:
        """Cancel every handler past `handler_timeout` (one timer for all, not one per push)."""
        limit = self.handler_timeout
        assert limit is not None
        period = min(0.5, limit / 4)
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(period)
            now = loop.time()
            for task, since in list(self._started.items()):
                if now - since > limit and task not in self._expired:
                    self._expired.add(task)
                    task.cancel()

    async def _parse(self, push: Push) -> Event:
        body = push.body if push.raw is None else push.raw  # decoded once, on the answer path
        if push.size > THREAD_PARSE_BYTES and self._parsers is not None:
            event: Event = await self._parsers.submit(parse_event, body)
            return event
        return parse_event(body)

    async def _handle(self, push: Push, me: asyncio.Task[None]) -> None:
        assert self.handler is not None  # without a queue there is always a handler
        event: Event | None = None
        started = self._started
        try:
            if push.size > THREAD_PARSE_BYTES and self._parsers is not None:
                event = await self._parse(push)
            else:  # a small push: parsed right here (no coroutine)
                event = parse_event(push.body) if push.raw is None else _event_of(push.raw)
            if self.handler_timeout is not None:
                assert self._loop is not None
                started[me] = self._loop.time()
            try:  # no other await between the start and the end: the watchdog's cancel lands in here
                if self._is_async:
                    await self.handler(event)  # type: ignore[misc]
                else:
                    assert self._threads is not None
                    result = await self._threads.submit(self.handler, event)
                    if inspect.isawaitable(result):
                        await result
            finally:
                started.pop(me, None)
            self.handled += 1
        except asyncio.CancelledError:
            if me not in self._expired:
                raise
            self._expired.discard(me)
            if me.uncancel() > 0:  # stop() cancelled it too
                raise
            self.timed_out += 1
            logger.warning(
                "handler gave no result within %g s on a %s event (%s); %s; its id is forgotten, so "
                "GeWe's re-delivery is handled",
                self.handler_timeout,
                event.kind if event is not None else "unparsed",
                _describe_event(event),
                "cancelled" if self._is_async else "its thread is abandoned",
            )
            await self._forget(push.key)
        except Exception:
            self.failed += 1
            kind = event.kind if event is not None else "unparsed"
            logger.exception("handler failed on a %s event (%s)", kind, _describe_event(event))
            await self._forget(push.key)

    async def _forget(self, key: str | None) -> None:
        if key is None or self.dedup is None:
            return
        try:
            async with asyncio.timeout(self.claim_timeout):
                await self.dedup.release(key)
        except Exception as exc:
            logger.warning("could not forget a push id in the dedup store (%s)", type(exc).__name__)

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(
        self, host: str = "127.0.0.1", port: int = 0, *, sock: socket.socket | None = None
    ) -> str:
        """Listen on `host`:`port` (0: a free port) and return `self.url`, the URL to give GeWe.

        `sock`: a listening socket made elsewhere (e.g. dual-stack, or passed by systemd) instead of
        `host` and `port`.
        """
        if self._runner is not None:
            raise GeweConfigError("the receiver is already started", setting="receiver")
        self._stopped = False
        loop = asyncio.get_running_loop()
        self._loop = loop
        # aiohttp's low-level server: every request comes to the handler, which compares the whole
        # path itself (in constant time) - no Application, router or match per request
        low_level = web.Server(
            self._aiohttp_handler if self.media is None else self._media_or_push,
            access_log=None,  # no access log: the path is secret
            auto_decompress=False,  # a compressed body is refused (415), never inflated
            logger=http_logger,
            keepalive_timeout=self.idle_timeout,
            lingering_time=0.5,
        )
        runner = web.ServerRunner(low_level, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        server = runner.server
        assert server is not None
        async with binding(runner, host, port):
            if sock is not None:
                self._server = await loop.create_server(
                    lambda: _Conn(self, server()), sock=sock, backlog=ACCEPT_BATCH
                )
            else:
                self._server = await loop.create_server(
                    lambda: _Conn(self, server()), host, port, backlog=ACCEPT_BATCH, reuse_address=True
                )
            for listening in self._server.sockets:  # the kernel's queue stays long: no SYN is dropped
                with socket.fromfd(listening.fileno(), listening.family, listening.type) as same:
                    same.listen(LISTEN_BACKLOG)
        self._runner = runner
        logging.getLogger("asyncio").addFilter(_accept_errors)
        self._sweeper = asyncio.create_task(self._sweep(), name="gewe-receiver-sweep")
        if self.queue is not None:
            await self._start_worker()
        else:
            self.ensure_workers()
        bound = self._server.sockets[0].getsockname()
        shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
        self.url = f"http://{shown}:{bound[1]}{self._path.decode()}"
        return self.url

    async def stop(self, timeout: float = 10.0) -> int:
        """Stop answering (503 from now on), wait up to `timeout` s for the queued events, return how
        many were left. Returns within `timeout` whatever clients or handlers are doing.

        Events left (queued, or cut off in their handler) are logged at WARNING and their ids
        forgotten, so GeWe's next delivery of them is handled. A sync handler still running is
        abandoned in its daemon thread (it cannot be interrupted).
        """
        loop = asyncio.get_running_loop()
        timeout = max(0.0, timeout)
        deadline = loop.time() + timeout
        drained_by = deadline - min(1.0, timeout / 5)  # the rest is for forgetting what was left
        self._accepting = False
        self._stopped = True
        await self._close_http(drained_by)
        if self.queue is not None:  # stored pushes wait in the queue; running ones are handed back
            worker = self.worker
            self.left = 0 if worker is None else await worker.stop(max(0.0, deadline - loop.time()))
            return self.left
        intake, tasks = self.intake, self._tasks
        if intake is None:
            return 0
        while (intake.queued or self._busy) and loop.time() < drained_by:
            await asyncio.sleep(min(0.01, max(0.0, drained_by - loop.time())))
        left = [*self._busy.values(), *intake.drain()]
        for task in tasks:
            task.cancel()
        if tasks:  # a handler that ignores its cancellation is left behind, not waited for
            await asyncio.wait(tasks, timeout=max(0.01, drained_by - loop.time()))
        self.intake, self._tasks, self._busy = None, [], {}
        self._started.clear()
        self._expired.clear()
        for pool in (self._threads, self._parsers):
            if pool is not None:
                pool.shutdown()
        self._threads = self._parsers = None
        if left:
            logger.warning("receiver stopped with %d events not handled", len(left))
            forgotten = 0
            for push in left:
                if push.key is not None and self.dedup is not None:
                    remaining = deadline - loop.time()
                    if remaining <= 0 and not self._claim_is_instant:
                        break
                    with contextlib.suppress(Exception):
                        async with asyncio.timeout(max(0.001, min(self.claim_timeout, remaining))):
                            await self.dedup.release(push.key)
                forgotten += 1
            if forgotten < len(left):  # the store is slow: GeWe's copies of the rest wait for the TTL
                logger.warning("stop() forgot %d of the %d ids left within its timeout", forgotten, len(left))
        self.left = len(left)
        return self.left

    async def _close_http(self, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        server, self._server = self._server, None
        runner, self._runner = self._runner, None
        sweeper, self._sweeper = self._sweeper, None
        if server is not None:
            server.close()
        for conn in list(self._conns.values()):  # slow or idle clients: nothing to wait for
            if not conn.handling and conn.transport is not None:
                conn.transport.abort()
        if runner is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.01, min(1.0, deadline - loop.time()))):
                    await runner.cleanup()
            for conn in list(self._conns.values()):
                if conn.transport is not None:
                    conn.transport.abort()
            self._conns.clear()
            logging.getLogger("asyncio").removeFilter(_accept_errors)
        if sweeper is not None:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper

    def run(
        self,
        host: str = "127.0.0.1",
        port: int = 8080,
        *,
        on_start: Callable[[str], object] | None = None,
        stop_timeout: float = 10.0,
        sock: socket.socket | None = None,
    ) -> int:
        """Serve until Ctrl-C (or SIGTERM), then stop (within `stop_timeout` s) and return how many
        events were left."""

        async def serve() -> int:
            url = await self.start(host, port, sock=sock)
            if on_start is not None:
                on_start(url)
            stopping = asyncio.Event()
            loop = asyncio.get_running_loop()
            with contextlib.suppress(NotImplementedError, RuntimeError):
                import signal

                loop.add_signal_handler(signal.SIGTERM, stopping.set)
            try:
                await stopping.wait()
            finally:
                left = await asyncio.shield(self.stop(stop_timeout))
                if self.queue is not None:  # its connections belong to this loop, which ends here
                    await self.queue.close()
            return left

        try:
            return asyncio.run(serve())
        except KeyboardInterrupt:  # asyncio.run cancelled serve(), whose finally stopped the receiver
            return self.left


def _containers(body: bytes) -> int:
    """About how many JSON objects and arrays `body` holds (CDATA's brackets not counted): each
    costs ~60 bytes decoded, so a body of little else decodes to many times its size."""
    return body.count(b"{") + body.count(b"[") - 2 * body.count(b"<![CDATA[")


def _body_now(request: web.BaseRequest, length: int | None) -> bytes | None:
    """The whole body when all of it is in and its length (checked <= the limit) is declared; else None."""
    if length is None or request.headers.get("Transfer-Encoding"):
        return None
    content = request.content
    if not content.is_eof():
        return None
    body = content.read_nowait()  # taken as it is, nothing to wait for
    if len(body) != length:
        raise ConnectionResetError("the body ended early")
    return body


async def _read_body(request: web.BaseRequest, limit: int) -> bytes | None:
    """The whole request body, or None as soon as it grows beyond `limit` bytes."""
    length = request.content_length
    if length is not None and not request.headers.get("Transfer-Encoding"):  # checked <= limit
        content = request.content
        if (body := _body_now(request, length)) is not None:  # all of it is in (the usual case)
            return body
        try:
            return await content.readexactly(length)
        except asyncio.IncompleteReadError as exc:  # the client stopped short
            raise ConnectionResetError("the body ended early") from exc
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(1 << 16):  # b"" at the end
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _describe(raw: Mapping[str, Any]) -> str:
    """Which push, for a log line: its type, MsgType and new_msg_id (never its content)."""
    data = raw.get("Data")
    data = data if isinstance(data, dict) else {}
    type_name = raw.get("TypeName")
    shown = type_name[:30] if isinstance(type_name, str) else None if type_name is None else "?"
    return f"TypeName {shown!r}, MsgType {data.get('MsgType')!r:.12}, new_msg_id {data.get('NewMsgId')!r:.24}"


def _describe_event(event: Event | None) -> str:
    if event is None:
        return "a push that did not parse"
    return _describe(event.raw)
