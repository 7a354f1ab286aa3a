"""`GeweClient` and `AsyncGeweClient`: one configured client for every operation in the spec.

    from gewe import GeweClient

    with GeweClient() as client:  # token, app id and base URL from GEWE_TOKEN, GEWE_APP_ID, GEWE_BASE_URL
        qr = client.group.get_chatroom_qr_code(chatroom_id="34757816141@chatroom")

Every module of the spec is an attribute (`client.group`, created on first use), with one typed
method per operation (generated from the spec; see generated/gewe_api/api/). The client sets
the `X-GEWE-TOKEN` header on every request, fills in `appId`, checks GeWe's `{ret, msg, data}`
envelope, maps failures to `gewe.errors`, and retries by `gewe.retry`.

The pieces: `gewe.settings` (what a client is configured with, checked once), `gewe.call` (one
call resolved once, and how its attempts end), this module (the sync client and what both share)
and `gewe.async_client` (the async one).
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, ParamSpec, Self, TypeVar, Unpack

import httpx

from gewe_api.api import MODULES, CallOptions, Report, Resources

from ._body import BodyTooLarge, BodyUndecodable, DeadlineExceeded, read_sync
from ._pool import DefaultPool
from ._reply import Reply, Unreadable
from .call import RAW_SINK, Call, raw_result, raw_sink
from .raw import RawResponse
from .resources import Overrides, install
from .settings import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    TOKEN_HEADER,
    Settings,
    check_pool,
    check_retries,
)

if TYPE_CHECKING:
    from gewe_api import AuthenticatedClient

    from .async_client import AsyncGeweClient
    from .pacing import Pacing
    from .retry import RetryPolicy

T = TypeVar("T")
P = ParamSpec("P")
logger = logging.getLogger("gewe")

__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "TOKEN_HEADER",
    "AsyncGeweClient",
    "GeweClient",
    "check_retries",
]


class ClientBase:
    """What both clients share: their settings, app id, the generated client and a safe repr."""

    _settings: Settings
    _owns_pool: bool

    @property
    def app_id(self) -> str | None:
        return self._settings.app_id

    @property
    def base_url(self) -> str:
        """The API root (credentials in it shown as `***`)."""
        return self._settings.shown_base_url

    def resolve_app_id(self, app_id: str | None) -> str:
        return self._settings.resolve_app_id(app_id)

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        app_id: str | None = None,
        strict: bool | None = None,
        retry_policy: RetryPolicy | None = None,
        max_response_bytes: int | None = None,
        send_interval: float | None = None,
    ) -> Self:
        """A copy of this client with some settings changed, sharing its connection pool and its
        send pacing (see `gewe.pacing`).

        Cheap: no connection is opened. The copy's `close()` leaves the shared pool open; close
        the client it came from.
        """
        clone = copy.copy(self)
        for name in [n for n in clone.__dict__ if n in MODULES or n == "generated"]:
            del clone.__dict__[name]  # resources and the generated client belong to one client
        clone._settings = self._settings.evolve(
            timeout=timeout,
            max_retries=max_retries,
            app_id=app_id,
            strict=strict,
            retry_policy=retry_policy,
            max_response_bytes=max_response_bytes,
            send_interval=send_interval,
        )
        clone._owns_pool = False
        return clone

    def _generated_client(self) -> AuthenticatedClient:
        from gewe_api import AuthenticatedClient  # the generated client module: loaded when asked for

        settings = self._settings
        return AuthenticatedClient(
            base_url=settings.base_url,
            token=settings.token,
            prefix="",
            auth_header_name=TOKEN_HEADER,
            timeout=settings.timeout.phases,
            headers={k: v for k, v in settings.headers.items() if k != TOKEN_HEADER},
        )

    def __repr__(self) -> str:
        return self._settings.describe(type(self))


class _Closed:
    """Whether a client's pool is closed; shared by the client and its `with_options` copies."""

    __slots__ = ("closed",)

    def __init__(self) -> None:
        self.closed = False


class GeweClient(ClientBase, Overrides, Resources):
    """A synchronous GeWe client. Use it as a context manager, or call `close()`.

    Args:
        token: the GeWe API token (default: GEWE_TOKEN). Required.
        app_id: the bot's device id, filled into every call's `appId` (default: GEWE_APP_ID).
        base_url: the API root (default: GEWE_BASE_URL, else http://api.geweapi.com). Credentials
            in it (`http://user:pw@host`) are sent as an Authorization header and shown as `***`.
        timeout: seconds each attempt may take in all, from connecting to the reply's last byte
            (None: no limit), or an httpx.Timeout; see `gewe.settings`.
        max_retries: retries after the first attempt; see `gewe.retry` for which failures.
        retry_policy: a full `RetryPolicy`, instead of `max_retries`.
        transport: an httpx transport, e.g. `httpx.HTTPTransport(proxy=...)` or a mock in tests.
        strict: True to make any reply value that contradicts the spec a `GeweResponseError`; by
            default it is kept as it came and logged once (WARNING, logger "gewe").
        http_client: an `httpx.Client` of your own (proxies, event hooks, ...) to send with,
            instead of one the client makes; the client sends its URL, token and headers on each
            request, never follows its redirects (see `gewe.call`), and never closes it.
        default_headers: headers sent with every call (never the token header).
        max_response_bytes: the largest reply to read, counted after decompression (default
            16 MiB); a larger one is a `GeweHTTPError`. Also per call.
        send_interval: seconds between the starts of calls that are not read-only, per appId
            (default: none); see `gewe.pacing`.
        pacing: a `gewe.pacing.Pacing` (this process) or `RedisPacing` (every process): sends and
            downloads take the account's turn, with GeWe's gaps (default: none); see `gewe.pacing`.
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
        transport: httpx.BaseTransport | None = None,
        strict: bool = False,
        http_client: httpx.Client | None = None,
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
        check_pool(http_client, transport, httpx.Client, httpx.BaseTransport)
        self._owns_pool = http_client is None
        self._users_client = http_client is not None
        self._state = _Closed()
        # How calls are sent: the user's client (through its `send`), the user's transport (one
        # prebuilt request handed to it), or by default our own pool, made on first use (gewe._pool).
        self._http = http_client
        self._transport = transport
        own = http_client is None and transport is None
        self._pool = DefaultPool(self._settings.base_url) if own else None
        if not own:
            from . import _deadline  # it loads httpcore: the default pool does so on first use

            if http_client is not None:
                _deadline.install(http_client)
            else:
                _deadline.install_transport(transport)

    @cached_property
    def generated(self) -> AuthenticatedClient:
        """A `gewe_api.AuthenticatedClient` for the generated functions, sending through this
        client's own connection pool (its transport, headers and base URL)."""
        generated = self._generated_client()
        if self._http is None:  # our pool, or the user's transport: base URL, token, headers, timeout
            settings = self._settings
            pool = self._pool.transport if self._pool is not None else self._transport
            assert pool is not None
            generated.set_httpx_client(
                httpx.Client(
                    base_url=settings.base_url,
                    headers=settings.headers,
                    timeout=settings.timeout.phases,
                    transport=_SharedTransport(pool),
                )
            )
        return generated

    def invoke(
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
        call: Call[T] = Call(self._settings, operation, path, body, parse, envelope, options)
        with call.turn():  # pacing=: the account's turn for a send or download (gewe.pacing)
            return self._call(call)

    def _call(self, call: Call[T]) -> T:
        wait = call.pace()
        if wait > 0:
            time.sleep(wait)
        while True:
            if self._state.closed:
                raise call.closed()
            deadline = call.deadline()
            try:
                response = self._attempt(call, deadline)
            except httpx.TransportError as exc:
                delay = call.failed(exc)
            except DeadlineExceeded:
                delay = call.timed_out()
            else:
                # A Reply is a 2xx reply: neither a redirect nor a status the retry policy retries.
                after = None if isinstance(response, Reply) else call.answered(response)
                if after is None:
                    return call.result(response)
                delay = after
            if delay > 0:
                time.sleep(delay)

    def _attempt(self, call: Call[Any], deadline: float | None) -> httpx.Response | Reply:
        """One attempt: the request sent, and its reply read whole (bounded in size and time)."""
        pool = self._pool
        if pool is not None and RAW_SINK.get() is None and not logger.isEnabledFor(logging.DEBUG):
            try:
                reply = pool.exchange(
                    call.url, call.headers, call.content, call.timeouts.phases, call.max_bytes, deadline
                )
            except Unreadable as exc:
                raise call.unreadable(exc.reply.to_httpx(), exc.error) from None
            except RuntimeError:
                if self._closed():  # closed while the call was on its way
                    raise call.closed() from None
                raise
            if reply is not None:
                return reply if 200 <= reply.status_code < 300 else reply.to_httpx()
        if self._http is None:  # our transport or the user's: one prebuilt request handed to it
            request = httpx.Request(
                "POST",
                call.url,
                headers=call.headers,
                content=call.content,
                extensions={"timeout": call.timeouts.as_dict()},
            )
        else:  # the user's client: its own headers, cookies and hooks apply too
            request = self._http.build_request(
                "POST", call.url, headers=call.headers, content=call.content, timeout=call.timeouts.phases
            )
        from . import _deadline

        token = _deadline.DEADLINE.set(deadline)
        try:
            try:
                response = self._send(request)
            except RuntimeError:
                if self._closed():  # httpx refuses a closed client or pool so
                    raise call.closed() from None
                raise
            try:
                return read_sync(response, call.max_bytes, deadline)
            except (BodyTooLarge, BodyUndecodable) as exc:
                raise call.unreadable(response, exc) from None
        finally:
            _deadline.DEADLINE.reset(token)

    def _closed(self) -> bool:
        """Whether what this client sends through is closed (the user's client, or our pool)."""
        return self._http.is_closed if self._http is not None else self._state.closed

    def _send(self, request: httpx.Request) -> httpx.Response:
        """`request` sent through the user's client, or handed to a transport (its reply streamed)."""
        if self._http is not None:
            return self._http.send(request, stream=True, follow_redirects=False)
        transport = self._pool.transport if self._pool is not None else self._transport
        assert transport is not None
        response = transport.handle_request(request)
        response.request = request
        return response

    def with_raw_response(self, method: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        """Call `method` (e.g. `client.group.get_chatroom_qr_code`) and keep its HTTP reply.

        Returns a `RawResponse`: `.http_response` (the `httpx.Response`, its body decoded),
        `.status_code`, `.headers`, and `.parse()` for what the method returned.
        """
        with raw_sink() as sink:
            parsed = method(*args, **kwargs)
        result: RawResponse[T] = raw_result(sink, parsed)
        return result

    def close(self) -> None:
        """Close the connection pool (unless it was passed in as `http_client`, or shared)."""
        if self._owns_pool:
            self._state.closed = True
            if self._pool is not None:
                self._pool.close()
            elif self._transport is not None:
                self._transport.close()
        if "generated" in self.__dict__ and self._users_client:
            self.generated.get_httpx_client().close()  # its own pool: ours was the caller's

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _SharedTransport(httpx.BaseTransport):
    """A client's transport lent to `client.generated`: closing the loan leaves the pool open."""

    def __init__(self, transport: httpx.BaseTransport) -> None:
        self._transport = transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._transport.handle_request(request)


# `client.<module>`: the override in gewe/resources/<module>.py when there is one, else generated.
install(GeweClient, MODULES, is_async=False)


def __getattr__(name: str) -> Any:
    # `AsyncGeweClient` lives in gewe.async_client, imported on first use: it loads aiohttp.
    if name == "AsyncGeweClient":
        from .async_client import AsyncGeweClient

        return AsyncGeweClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
