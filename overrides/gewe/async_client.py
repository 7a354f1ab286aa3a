"""`AsyncGeweClient`: `GeweClient`'s twin, with `await` on every method.

It sends behind `max_connections` slots: by default straight to aiohttp's pool
(`AiohttpTransport.exchange`: the call's prebuilt URL, headers and body bytes, no httpx objects),
else to an httpx async transport or client of the user's. Each attempt is bounded as a whole, from
connecting to the reply's last byte, by a deadline that raises `TimeoutError` wherever the attempt
waits (`gewe._timers`: as `asyncio.timeout`, on loop timers shared by the attempts that end
together), its reply read bounded in size (`gewe._body`). httpx's
`Request`/`Response` are made when asked for: `with_raw_response`, DEBUG logging, a reply that is
not 2xx (see `gewe._reply`), a transport or client of the user's.

Lifecycle: a client belongs to the event loop that first uses it (its pool and slots live there);
a call from another loop is a `GeweConfigError` saying so. `close()` ends the calls waiting for a
slot or sleeping between retries with a `GeweConfigError` at once, and nothing opens a new
connection after it.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, ParamSpec, Self, TypeVar, Unpack

import httpx

from gewe_api.api import MODULES, AsyncResources, CallOptions, Report

from . import _transport
from ._body import BodyTooLarge, BodyUndecodable, read_async
from ._reply import Reply, Unreadable
from ._timers import Deadlines
from .call import RAW_SINK, Call, raw_result, raw_sink
from .client import ClientBase
from .errors import GeweConfigError
from .raw import RawResponse
from .resources import AsyncOverrides, install
from .settings import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    Settings,
    check_pool,
)

if TYPE_CHECKING:
    from gewe_api import AuthenticatedClient

    from .pacing import Pacing
    from .retry import RetryPolicy

T = TypeVar("T")
P = ParamSpec("P")
logger = logging.getLogger("gewe")


class AsyncGeweClient(ClientBase, AsyncOverrides, AsyncResources):
    """An asynchronous GeWe client: `GeweClient`'s twin, with `await` on every method.

    Use it as an async context manager, or call `await client.close()`, in the event loop that
    uses it (one client per loop). `strict` as for `GeweClient`.

    Args:
        token, app_id, base_url, timeout, max_retries, retry_policy, default_headers,
        max_response_bytes, send_interval, pacing: as for `GeweClient`.
        transport: an httpx async transport (default: `gewe._transport.AiohttpTransport`, aiohttp's
            connection pool), e.g. `httpx.AsyncHTTPTransport(proxy=...)`, `httpx.MockTransport` or
            httpx-aiohttp's `AiohttpTransport`.
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
        self._settings = Settings(
            token,
            app_id,
            base_url,
            timeout,
            max_retries,
            retry_policy,
            strict,
            default_headers,
            max_response_bytes,
            send_interval,
            pacing,
        )
        if type(max_connections) is not int or max_connections < 1:
            raise GeweConfigError(
                f"max_connections must be an integer >= 1, got {max_connections!r}", setting="max_connections"
            )
        check_pool(http_client, transport, httpx.AsyncClient, httpx.AsyncBaseTransport)
        self._owns_pool = http_client is None
        self._http_client = http_client
        # The default path sends straight to aiohttp (`AiohttpTransport.exchange`); httpx's objects
        # are made only for a transport or client of the user's, `with_raw_response` and DEBUG logs.
        self._fast: _transport.AiohttpTransport | None = None
        if transport is None and http_client is None:
            transport = self._fast = _transport.default_transport(max_connections)
        self._transport = transport
        self._sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
        self._send_errors = _transport.SEND_ERRORS
        self._as_transport_error = _transport.as_transport_error
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
        call: Call[T] = Call(self._settings, operation, path, body, parse, envelope, options)
        async with call.aturn():  # pacing=: the account's turn for a send or download (gewe.pacing)
            return await self._call(call)

    async def _call(self, call: Call[T]) -> T:
        state = self._state
        wait = call.pace()
        if wait > 0:
            await self._wait(wait)
        while True:
            if state.closed:
                raise call.closed()
            try:
                response = await self._attempt(call)
            except self._send_errors as exc:
                delay = call.failed(self._as_transport_error(exc))
            except TimeoutError:
                delay = call.timed_out()
            else:
                # A Reply is a 2xx reply: neither a redirect nor a status the retry policy retries.
                after = None if isinstance(response, Reply) else call.answered(response)
                if after is None:
                    return call.result(response)
                delay = after
            if delay > 0:
                await self._wait(delay)

    async def _attempt(self, call: Call[Any]) -> httpx.Response | Reply:
        """One attempt, once one of `max_connections` slots is free: sent, and read whole, within
        the call's timeout."""
        state = self._state
        if not state.take():
            await state.acquire()
        try:
            if state.closed:
                raise call.closed()
            fast = self._fast
            timeouts = call.timeouts
            if fast is not None and RAW_SINK.get() is None and not logger.isEnabledFor(logging.DEBUG):
                try:
                    with state.deadlines.bound(timeouts.deadline):
                        reply = await fast.exchange(
                            call.url,
                            call.headers,
                            call.content,
                            timeouts.phases,
                            timeouts.deadline,
                            call.max_bytes,
                        )
                except Unreadable as exc:
                    raise call.unreadable(exc.reply.to_httpx(), exc.error) from None
                return reply if 200 <= reply.status_code < 300 else reply.to_httpx()
            request = httpx.Request(
                "POST",
                call.url,
                headers=call.headers,
                content=call.content,
                extensions={"timeout": timeouts.as_dict()},
            )
            with state.deadlines.bound(timeouts.deadline):
                response = await self._send(request, call)
                try:
                    return await read_async(response, call.max_bytes)
                except (BodyTooLarge, BodyUndecodable) as exc:
                    raise call.unreadable(response, exc) from None
        finally:
            state.release()

    async def _send(self, request: httpx.Request, call: Call[Any]) -> httpx.Response:
        if self._http_client is not None:
            try:
                return await self._http_client.send(request, stream=True, follow_redirects=False)
            except RuntimeError:
                if self._http_client.is_closed:  # httpx refuses a closed client so
                    raise call.closed() from None
                raise
        assert self._transport is not None
        response = await self._transport.handle_async_request(request)
        response.request = request
        return response

    async def _wait(self, delay: float) -> None:
        """Sleep `delay` seconds, or until the client is closed."""
        sleeper = asyncio.ensure_future(self._sleep(delay))
        try:
            await asyncio.wait((sleeper, self._state.closing()), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()

    @cached_property
    def generated(self) -> AuthenticatedClient:
        """A `gewe_api.AuthenticatedClient` for the generated functions (`asyncio`), sending through
        this client's transport (its connection pool), with its headers and base URL."""
        generated = self._generated_client()
        if self._transport is not None:
            generated.set_async_httpx_client(
                httpx.AsyncClient(
                    base_url=self._settings.base_url,
                    headers=self._settings.headers,
                    timeout=self._settings.timeout.phases,
                    transport=_SharedTransport(self._transport),
                )
            )
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
        if not self._owns_pool or self._state.closed:
            return
        self._state.close()
        if self._transport is not None:
            await self._transport.aclose()

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


install(AsyncGeweClient, MODULES, is_async=True)
