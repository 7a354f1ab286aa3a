"""`Receiver`: GeWe's callback URL. Answers every push at once, handles it after, once.

    receiver = Receiver(handle, path=secret_path())
    await receiver.start(port=8080)      # binds 127.0.0.1 unless told otherwise
    print(receiver.url)                  # give this URL to GeWe (set_callback)
    ...
    left = await receiver.stop()         # drains the queue; how many events were left

Each push is answered as soon as its JSON is decoded and queued (GeWe gives up after 3 seconds):
the answer path reads only the JSON and the de-duplication key. Worker tasks take pushes from a
bounded queue, parse them into events (`parse_event`) and call the handler (a sync handler runs in
a thread pool).

| the push | the answer |
| --- | --- |
| queued, or a duplicate already seen | 200 |
| GeWe's test message | 200 (not queued; `receiver.pinged` is set) |
| any other path than the secret one | 404 (compared in constant time) |
| from an address outside `allow` | 403 |
| not POST | 405 |
| bigger than `max_body` | 413 |
| not a JSON object | 400 |
| queue full, store unreachable, stopping | 503 and a WARNING: GeWe delivers it again |
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import inspect
import ipaddress
import logging
import secrets
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web

from ..errors import GeweConfigError, GeweEventError
from .dedup import DedupStore, MemoryDedup
from .models import Event, PingEvent
from .parse import decode_body, is_test_message, parse_event, push_key

if TYPE_CHECKING:
    from ..media.hosts import ReceiverMediaHost

logger = logging.getLogger("gewe.events")
Handler = Callable[[Event], object]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def secret_path(prefix: str = "/gewe/") -> str:
    """A callback path nobody can guess: `prefix` + 32 random URL-safe characters."""
    return prefix + secrets.token_urlsafe(24)


class Receiver:
    """Receives GeWe's pushes on `path` and hands each event to `handler` once.

    Args:
        handler: called with each event (never the test message); sync (run in a thread pool of
            `workers` threads) or async. An exception is logged with the event's kind and
            `new_msg_id`, the event's id is forgotten (a re-delivery is handled again), and the
            worker goes on.
        path: the secret path GeWe posts to, e.g. `secret_path()`; it never appears in a log line.
        dedup: a `DedupStore` (default: `MemoryDedup()`), or None to handle every delivery.
        max_body: the largest body accepted, in bytes (default 1 MiB).
        queue_size: events waiting for a worker; beyond it pushes are answered 503.
        workers: events handled at the same time.
        allow: source addresses or networks allowed to post ("1.2.3.4", "10.0.0.0/8"); default any.
        media: a `gewe.media.ReceiverMediaHost` to serve from the same server (local files sent
            with `client.message.send_image(...)` and friends); `allow` does not apply to it.
    """

    def __init__(
        self,
        handler: Handler,
        *,
        path: str,
        dedup: DedupStore | Literal["memory"] | None = "memory",
        max_body: int = 1 << 20,
        queue_size: int = 10_000,
        workers: int = 16,
        allow: Iterable[str] | None = None,
        media: ReceiverMediaHost | None = None,
    ) -> None:
        if not isinstance(path, str) or not path.startswith("/"):
            raise GeweConfigError("Receiver path must start with '/' (e.g. secret_path())", setting="path")
        if max_body < 1 or queue_size < 1 or workers < 1:
            raise GeweConfigError("max_body, queue_size and workers must be >= 1", setting="receiver")
        if isinstance(allow, str):  # one address or network, not its characters
            allow = [allow]
        try:
            self.allow: tuple[Network, ...] | None = (
                None if allow is None else tuple(ipaddress.ip_network(a, strict=False) for a in allow)
            )
        except ValueError as exc:
            raise GeweConfigError(f"allow: not an address or network: {exc}", setting="allow") from None
        self.handler = handler
        self.media = media  # served by this receiver's server too (gewe.media.ReceiverMediaHost)
        self._path = path.encode()
        self.dedup: DedupStore | None = MemoryDedup() if dedup == "memory" else dedup
        self.max_body, self.queue_size, self.workers = max_body, queue_size, workers
        self._is_async = inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
            getattr(handler, "__call__", None)  # noqa: B004 - an async callable object
        )
        self._queue: asyncio.Queue[dict[str, Any]] | None = None  # decoded pushes
        self._tasks: list[asyncio.Task[None]] = []
        self._pool: ThreadPoolExecutor | None = None
        self._busy: dict[asyncio.Task[None], dict[str, Any]] = {}
        self._runner: web.AppRunner | None = None
        self._accepting = False
        self.url: str | None = None
        self.pinged = asyncio.Event()
        self.last_ping: PingEvent | None = None
        self.handled = 0
        self.failed = 0
        self.duplicates = 0
        self.rejected = 0
        self.left = 0  # events the last stop() left unhandled

    def __repr__(self) -> str:  # never the path: it is the secret
        return f"Receiver(workers={self.workers}, queue_size={self.queue_size}, running={self._accepting})"

    # -- the HTTP side ------------------------------------------------------------------------

    def path_matches(self, path: str) -> bool:
        """Whether `path` is the secret path (constant time)."""
        return hmac.compare_digest(path.encode(), self._path)

    def address_allowed(self, remote: str | None) -> bool:
        if self.allow is None:
            return True
        try:
            address = ipaddress.ip_address((remote or "").split("%", 1)[0])
        except ValueError:
            return False
        return any(address in net for net in self.allow)

    async def receive(self, body: bytes) -> int:
        """Decode one body from the secret path and queue it; the HTTP status to answer."""
        try:
            raw = decode_body(body)
        except GeweEventError:
            return 400
        if is_test_message(raw):
            ping = parse_event(raw)
            assert isinstance(ping, PingEvent)
            self.last_ping = ping
            self.pinged.set()
            logger.info("callback test message received")
            return 200
        self.ensure_workers()
        queue = self._queue
        assert queue is not None
        if not self._accepting or queue.full():
            return self._reject(raw, "the queue is full" if self._accepting else "the receiver is stopping")
        key = push_key(raw) if self.dedup is not None else None
        if key is not None and self.dedup is not None:
            try:
                first = await self.dedup.claim(key)
            except Exception as exc:  # the store is down: refuse, GeWe delivers again
                return self._reject(raw, f"the dedup store failed ({type(exc).__name__})")
            if not first:
                self.duplicates += 1
                logger.debug("duplicate push ignored (%s)", _describe(raw))
                return 200
        try:
            queue.put_nowait(raw)
        except asyncio.QueueFull:
            if key is not None:
                await self._forget(key)
            return self._reject(raw, "the queue is full")
        return 200

    def _reject(self, raw: dict[str, Any], why: str) -> int:
        self.rejected += 1
        logger.warning("push answered 503 (%s): %s; GeWe delivers it again", _describe(raw), why)
        return 503

    async def _aiohttp_handler(self, request: web.Request) -> web.StreamResponse:
        if not self.path_matches(request.path):
            return web.Response(status=404)
        if not self.address_allowed(request.remote):
            return web.Response(status=403)
        if request.method != "POST":
            return web.Response(status=405, headers={"Allow": "POST"})
        if request.content_length is not None and request.content_length > self.max_body:
            return web.Response(status=413)
        body = await _read_body(request, self.max_body)
        if body is None:
            return web.Response(status=413)
        return web.Response(status=await self.receive(body))

    def add_to(self, app: web.Application) -> None:
        """Serve this receiver inside an existing aiohttp app.

        The route is the secret path's folder (`/gewe/{tail}` for `/gewe/<secret>`; the whole app
        for a path without one); the rest is compared in constant time. The workers start with the
        first push; the app's cleanup stops the receiver.
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

    # -- the worker side -----------------------------------------------------------------------

    def ensure_workers(self) -> None:
        """Start the queue and its workers (on the running loop) if not started yet."""
        if self._queue is not None:
            return
        self._queue = asyncio.Queue(self.queue_size)
        if not self._is_async:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="gewe-handler")
        self._tasks = [
            asyncio.create_task(self._work(), name=f"gewe-worker-{i}") for i in range(self.workers)
        ]
        self._accepting = True

    async def _work(self) -> None:
        queue = self._queue
        assert queue is not None
        me = asyncio.current_task()
        assert me is not None
        while True:
            raw = await queue.get()
            self._busy[me] = raw
            try:
                await self._handle(raw)
            finally:
                del self._busy[me]
                queue.task_done()

    async def _handle(self, raw: dict[str, Any]) -> None:
        event: Event | None = None
        try:
            event = parse_event(raw)
            if self._is_async:
                await self.handler(event)  # type: ignore[misc]
            else:
                loop = asyncio.get_running_loop()
                result = await loop.run_in_executor(self._pool, self.handler, event)
                if inspect.isawaitable(result):
                    await result
            self.handled += 1
        except asyncio.CancelledError:
            raise
        except Exception:
            self.failed += 1
            kind = event.kind if event is not None else "unparsed"
            logger.exception("handler failed on a %s event (%s)", kind, _describe(raw))
            key = push_key(raw) if self.dedup is not None else None
            if key is not None:
                await self._forget(key)

    async def _forget(self, key: str) -> None:
        assert self.dedup is not None
        try:
            await self.dedup.release(key)
        except Exception as exc:
            logger.warning("could not forget a push id in the dedup store (%s)", type(exc).__name__)

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on `host`:`port` (0: a free port) and return `self.url`, the URL to give GeWe."""
        if self._runner is not None:
            raise GeweConfigError("the receiver is already started", setting="receiver")
        app = web.Application(client_max_size=self.max_body)
        self._route(app)
        runner = web.AppRunner(
            app, access_log=None, handle_signals=False
        )  # no access log: the path is secret
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise GeweConfigError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}", setting="port"
            ) from None
        self._runner = runner
        self.ensure_workers()
        bound = runner.addresses[0]
        shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
        self.url = f"http://{shown}:{bound[1]}{self._path.decode()}"
        return self.url

    async def stop(self, timeout: float = 10.0) -> int:
        """Stop answering, wait up to `timeout` s for the queued events, return how many were left.

        Events left (queued or cut off in their handler) are logged at WARNING and their ids
        forgotten, so GeWe's next delivery of them is handled.
        """
        self._accepting = False
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        queue, tasks = self._queue, self._tasks
        if queue is None:
            return 0
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(queue.join(), timeout)
        left_events = list(self._busy.values())
        while not queue.empty():
            left_events.append(queue.get_nowait())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._queue, self._tasks, self._busy = None, [], {}
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        if left_events:
            logger.warning("receiver stopped with %d events not handled", len(left_events))
            for raw in left_events:
                key = push_key(raw) if self.dedup is not None else None
                if key is not None:
                    await self._forget(key)
        self.left = len(left_events)
        return self.left

    def run(
        self, host: str = "127.0.0.1", port: int = 8080, *, on_start: Callable[[str], object] | None = None
    ) -> int:
        """Serve until Ctrl-C (or SIGTERM), then stop and return how many events were left."""

        async def serve() -> int:
            url = await self.start(host, port)
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
                left = await asyncio.shield(self.stop())
            return left

        try:
            return asyncio.run(serve())
        except KeyboardInterrupt:  # asyncio.run cancelled serve(), whose finally stopped the receiver
            return self.left


async def _read_body(request: web.Request, limit: int) -> bytes | None:
    """The whole request body, or None as soon as it grows beyond `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(1 << 16):  # b"" at the end
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _describe(raw: dict[str, Any]) -> str:
    """Which push, for a log line: its type, MsgType and new_msg_id (never its content)."""
    data = raw.get("Data")
    data = data if isinstance(data, dict) else {}
    type_name = raw.get("TypeName")
    shown = type_name[:30] if isinstance(type_name, str) else None if type_name is None else "?"
    return f"TypeName {shown!r}, MsgType {data.get('MsgType')!r:.12}, new_msg_id {data.get('NewMsgId')!r:.24}"
