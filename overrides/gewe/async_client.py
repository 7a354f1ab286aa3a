"""`AsyncGeweClient`: `GeweClient`'s twin, with `await` on every method.

It sends behind `max_connections` slots, through the sender chosen when it is built
(gewe.transport): aiohttp's pool by default, or the user's `http_client` / `transport`. Each
attempt is bounded as a whole, from taking its slot's connection to the reply's last byte, by its
deadline on loop timers (`transport.async_deadline`), which raise `TimeoutError` wherever the
attempt waits.

Lifecycle: a client belongs to the event loop that first uses it (its pool and slots live there);
a call from another loop is a `GeweConfigError` saying so. `close()` ends the calls waiting for a
slot or sleeping between retries with a `GeweConfigError` at once, and nothing opens a new
connection after it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, ParamSpec, Self, TypeVar, Unpack

import httpx

from gewe_api.api import CallOptions, Report

from ._base import ClientBase
from .call import Call, raw_result, raw_sink
from .errors import GeweConfigError
from .raw import RawResponse
from .resources import AsyncModules
from .settings import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
)
from .transport import (
    AsyncSender,
    Reply,
    SenderClosed,
    SendFailure,
    Unreadable,
    log_exchange,
    timed_out,
    wire,
)
from .transport.async_deadline import Deadlines

if TYPE_CHECKING:
    from gewe_api import AuthenticatedClient

    from .pacing import Pacing
    from .retry import RetryPolicy

T = TypeVar("T")
P = ParamSpec("P")


class AsyncGeweClient(ClientBase, AsyncModules):
    """An asynchronous GeWe client: `GeweClient`'s twin, with `await` on every method.

    Use it as an async context manager, or call `await client.close()`, in the event loop that
    uses it (one client per loop). `strict` as for `GeweClient`.

    Args:
        token, app_id, base_url, timeout, max_retries, retry_policy, default_headers,
        max_response_bytes, send_interval, pacing: as for `GeweClient`.
        transport: an httpx async transport (default: none, aiohttp's connection pool is used),
            e.g. `httpx.AsyncHTTPTransport(proxy=...)`, `httpx.MockTransport` or httpx-aiohttp's
            `AiohttpTransport`.
        max_connections: how many requests are in flight at once (and the default transport's
            connections). Calls beyond it wait their turn in the client, untimed, so a burst of any
            size never runs into a pool timeout; each attempt's timeout starts when it is sent.
        http_client: an `httpx.AsyncClient` of your own to send with (through its `send`, so its
            hooks and mounts apply; its redirects are never followed), instead of the transport;
            never closed by this client.
    """

    def __init__(
        self,
        token: str | None = None,
        app_id: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        *,
        retry_policy: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        strict: bool = False,
        http_client: httpx.AsyncClient | None = None,
        default_headers: Mapping[str, str] | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        send_interval: float | None = None,
        pacing: Pacing | None = None,
    ) -> None:
        self._configure(locals(), httpx.AsyncClient, httpx.AsyncBaseTransport)
        if type(max_connections) is not int or max_connections < 1:
            raise GeweConfigError(
                f"max_connections must be an integer >= 1, got {max_connections!r}", setting="max_connections"
            )
        # The sender, chosen once: the user's client or transport, else aiohttp's pool.
        self._sender: AsyncSender
        if http_client is None and transport is None:
            from .transport.async_default import AiohttpSender

            self._sender = AiohttpSender(max_connections)
        else:
            from .transport.async_httpx import AsyncHttpxSender

            self._sender = AsyncHttpxSender(http_client, transport)
        self._sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
        self._state = _PoolState(max_connections)  # shared with `with_options` copies

    async def invoke(
        self,
        operation: str,
        path: str,
        body: dict[str, Any],
        parse: Callable[[Any, Report], T] | None,
        *,
        envelope: bool = True,
        **options: Unpack[CallOptions],
    ) -> T:
        """POST `body` to `path` and return the reply's data; the methods on the modules call this."""
        self._state.bind()
        call: Call[T] = Call(self._settings, self._shared, operation, path, body, parse, envelope, options)
        async with call.aturn():  # pacing=: the account's turn for a send or download (gewe.pacing)
            return await self._call(call)

    async def _call(self, call: Call[T]) -> T:
        state = self._state
        wait = call.pace()  # the one place a call waits for its turn to send (gewe.pacing)
        if wait > 0:
            await self._wait(wait)
        while True:
            if state.closed or self._sender.closed:
                raise call.closed()
            logged = wire.isEnabledFor(logging.DEBUG)
            started = time.perf_counter() if logged else 0.0
            try:
                reply = await self._attempt(call)
            except SendFailure as failure:
                if logged:
                    log_exchange(call.url, None, failure, started)
                delay = call.failed(failure)
            else:
                if logged:
                    log_exchange(call.url, reply, None, started)
                after = call.answered(reply)
                if after is None:
                    return call.result(reply)
                delay = after
            if delay > 0:
                await self._wait(delay)

    async def _attempt(self, call: Call[Any]) -> Reply:
        """One attempt, once one of `max_connections` slots is free: sent, and read whole, by its
        deadline (which starts when it is sent, not while it waits for a slot)."""
        state = self._state
        if not state.take():
            await state.acquire()
        try:
            if state.closed:
                raise call.closed()
            attempt = call.next_attempt()  # its deadline starts now, not while it waited for a slot
            try:
                with state.deadlines.bound(attempt.deadline):
                    return await self._sender.send(attempt)
            except TimeoutError:
                raise timed_out(attempt) from None
            except Unreadable as exc:
                raise call.unreadable(exc.reply, exc.error) from None
            except SenderClosed:
                raise call.closed() from None
        finally:
            state.release()

    async def _wait(self, delay: float) -> None:
        """Sleep `delay` seconds, or until the client is closed."""
        sleeper = asyncio.ensure_future(self._sleep(delay))
        try:
            await asyncio.wait((sleeper, self._state.closing()), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()

    @cached_property
    def generated(self) -> AuthenticatedClient:
        """A `gewe_api.AuthenticatedClient` for the generated functions (`asyncio`); see
        `GeweClient.generated`."""
        generated = self._generated_client()
        generated.set_async_httpx_client(httpx.AsyncClient(**self._generated_http(_SharedTransport)))
        return generated

    async def with_raw_response(
        self, method: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs
    ) -> RawResponse[T]:
        """`await` `method` (e.g. `client.group.get_chatroom_qr_code`) and keep its HTTP reply;
        see `GeweClient.with_raw_response`."""
        with raw_sink() as sink:
            parsed = await method(*args, **kwargs)
        result: RawResponse[T] = raw_result(sink, parsed)
        return result

    async def close(self) -> None:
        """Close the connection pool (unless it was passed in as `http_client`, or shared); calls
        still waiting for a slot or between retries end with a `GeweConfigError`."""
        if "generated" in self.__dict__:
            await self.generated.get_async_httpx_client().aclose()
        if not self._owns_pool or self._state.closed:
            return
        self._state.close()
        await self._sender.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class _PoolState:
    """A client's slots, its event loop and whether it is closed; shared with `with_options` copies.

    The slots are a semaphore of `max_connections`, first come first served, whose free slot is
    taken without suspending the call (`take`): `asyncio.Semaphore.acquire` is a coroutine even
    then. A released slot is handed straight to the call waiting longest.
    """

    __slots__ = ("_closing", "_loop", "closed", "deadlines", "free", "waiters")

    def __init__(self, max_connections: int) -> None:
        self.closed = False
        self.deadlines: Deadlines  # the loop's attempt deadlines, from the first call
        self.free = max_connections  # slots nobody holds
        self.waiters: deque[asyncio.Future[None]] = deque()  # calls waiting for a slot, in order
        self._loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self._closing: asyncio.Future[None] | None = None

    def bind(self) -> None:
        """Tie the client to the running loop on first use; refuse any other loop after."""
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = weakref.ref(loop)
            self.deadlines = Deadlines(loop)
        elif self._loop() is not loop:
            raise GeweConfigError(
                "this AsyncGeweClient is bound to the event loop that first used it (its connections "
                "live there): create one client per event loop, e.g. inside the coroutine given to "
                "asyncio.run()",
                setting="event_loop",
            )

    def take(self) -> bool:
        """Take a free slot, if one is free and no call is waiting for one."""
        if self.free and not self.waiters:
            self.free -= 1
            return True
        return False

    async def acquire(self) -> None:
        """Wait in line for a slot (`release` hands it over)."""
        slot = asyncio.get_running_loop().create_future()
        self.waiters.append(slot)
        try:
            await slot
        except asyncio.CancelledError:
            if slot.done() and not slot.cancelled():  # handed a slot as it was cancelled: pass it on
                self.release()
            raise

    def release(self) -> None:
        """Give a slot back: to the call waiting longest, else to the free ones."""
        waiters = self.waiters
        while waiters:
            slot = waiters.popleft()
            if not slot.done():  # a cancelled waiter has left the line
                slot.set_result(None)
                return
        self.free += 1

    def closing(self) -> asyncio.Future[None]:
        """Done when the client is closed (wakes calls sleeping between retries)."""
        if self._closing is None:
            self._closing = asyncio.get_running_loop().create_future()
            if self.closed:
                self._closing.set_result(None)
        return self._closing

    def close(self) -> None:
        self.closed = True
        for _ in range(len(self.waiters)):  # each waiter gets a slot, sees `closed` and ends
            self.release()
        if self._closing is not None and not self._closing.done():
            self._closing.set_result(None)


class _SharedTransport(httpx.AsyncBaseTransport):
    """A client's transport lent to `client.generated`: closing the loan leaves the pool open."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self._transport = transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._transport.handle_async_request(request)
