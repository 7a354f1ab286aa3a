"""`GeweClient` and `AsyncGeweClient`: one configured client for every operation in the spec.

    from gewe import GeweClient

    with GeweClient() as client:  # token, app id and base URL from GEWE_TOKEN, GEWE_APP_ID, GEWE_BASE_URL
        qr = client.group.get_chatroom_qr_code(chatroom_id="34757816141@chatroom")

Every module of the spec is an attribute (`client.group`, created on first use), with one typed
method per operation (generated from the spec; see generated/gewe_api/api/). The client sets
the `X-GEWE-TOKEN` header once on a keep-alive connection pool, fills in `appId`, checks GeWe's
`{ret, msg, data}` envelope, maps failures to `gewe.errors`, and retries by `gewe.retry`.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from functools import cached_property
from typing import Any, Generic, ParamSpec, Self, TypeVar, Unpack

import attrs
import httpx

from gewe_api import AuthenticatedClient
from gewe_api.api import MODULES, AsyncResources, CallOptions, Report, Resources

from ._version import __version__
from .envelope import unwrap
from .errors import GeweConfigError, GeweConnectionError, GeweError, GeweTimeoutError
from .raw import RawResponse
from .resources import AsyncOverrides, Overrides, install
from .retry import RetryPolicy, is_read_only
from .tokens import check_token, redactor_for

T = TypeVar("T")
E = TypeVar("E", bound=GeweError)
P = ParamSpec("P")
# Set by `with_raw_response` around one call: the call's final HTTP reply is put here.
_RAW_SINK: ContextVar[list[httpx.Response] | None] = ContextVar("gewe_raw_sink", default=None)
logger = logging.getLogger("gewe")

DEFAULT_BASE_URL = "http://api.geweapi.com"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_CONNECTIONS = 100
TOKEN_HEADER = "X-GEWE-TOKEN"


def check_retries(max_retries: object) -> int:
    if type(max_retries) is not int or max_retries < 0:
        raise GeweConfigError(
            f"max_retries must be an integer >= 0, got {max_retries!r}", setting="max_retries"
        )
    return max_retries


class _Settings:
    """What both clients are configured with; the token never leaves through repr or errors."""

    def __init__(
        self,
        token: str | None,
        app_id: str | None,
        base_url: str | None,
        timeout: float | httpx.Timeout,
        max_retries: int,
        retry_policy: RetryPolicy | None,
        strict: bool = False,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        if token is None:
            token = os.environ.get("GEWE_TOKEN")
            if token is None:
                raise GeweConfigError("no GeWe token: pass token=... or set GEWE_TOKEN", setting="token")
            token = check_token(token, "GEWE_TOKEN")
        else:
            token = check_token(token)
        if not isinstance(base_url, str | None):
            raise GeweConfigError("base_url must be a string", setting="base_url")
        base_url = base_url or os.environ.get("GEWE_BASE_URL") or DEFAULT_BASE_URL
        if not base_url.startswith(("http://", "https://")):
            raise GeweConfigError(
                f"base_url must start with http:// or https://, got {base_url!r}", setting="base_url"
            )
        check_retries(max_retries)
        self.token = token  # never in repr, logs or errors: see describe() and self.redactor
        self.redactor = redactor_for(token)
        self.app_id = app_id if app_id is not None else (os.environ.get("GEWE_APP_ID") or None)
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.retry_policy = retry_policy or RetryPolicy(max_retries=max_retries)
        extra = dict(default_headers or {})
        self.check_headers(extra, "default_headers")
        self.headers = {"User-Agent": f"gewe-sdk/{__version__}", **extra, TOKEN_HEADER: token}
        self.strict = bool(strict)  # see gewe.envelope: a reply that contradicts the spec
        self.reported: set[tuple[str, str]] = set()  # (operation, field) already logged

    def resolve_app_id(self, app_id: str | None) -> str:
        """The call's app id, else the client's. Only None is missing: an explicit "" is sent as
        "" (GeWe's first login asks for a QR code with an empty appId to create the device)."""
        resolved = app_id if app_id is not None else self.app_id
        if resolved is None:
            raise GeweConfigError(
                "no GeWe app id: pass app_id=... to the call or the client, or set GEWE_APP_ID",
                setting="app_id",
            )
        return resolved

    def evolve(
        self,
        *,
        timeout: float | httpx.Timeout | None,
        max_retries: int | None,
        app_id: str | None,
        strict: bool | None,
        retry_policy: RetryPolicy | None,
    ) -> _Settings:
        """A copy with the given settings changed (None keeps a setting as it is)."""
        new = copy.copy(self)
        if timeout is not None:
            new.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        if retry_policy is not None:
            new.retry_policy = retry_policy
        if max_retries is not None:
            new.retry_policy = attrs.evolve(new.retry_policy, max_retries=check_retries(max_retries))
        if app_id is not None:
            new.app_id = app_id
        if strict is not None:
            new.strict = bool(strict)
        return new

    @staticmethod
    def check_headers(headers: Mapping[str, Any], what: str) -> None:
        """Headers a caller adds must be strings, and never the token header."""
        for name, value in headers.items():
            if not isinstance(name, str) or not isinstance(value, str):
                raise GeweConfigError(f"{what} must map header names to strings", setting=what)
            if name.lower() == TOKEN_HEADER.lower():
                raise GeweConfigError(
                    f"{what} cannot set {TOKEN_HEADER}: the client's token is its only token", setting=what
                )

    def call_timeout(self, timeout: float | None) -> httpx.Timeout:
        return self.timeout if timeout is None else httpx.Timeout(timeout)

    def transport_error(self, exc: Exception, operation: str) -> GeweConnectionError:
        kind = GeweTimeoutError if isinstance(exc, httpx.TimeoutException) else GeweConnectionError
        detail = str(self.redactor.exception(exc)) or type(exc).__name__
        return kind(f"{type(exc).__name__}: {detail}", operation=operation)

    def generated_client(self) -> AuthenticatedClient:
        headers = {k: v for k, v in self.headers.items() if k != TOKEN_HEADER}
        return AuthenticatedClient(
            base_url=self.base_url,
            token=self.token,
            prefix="",
            auth_header_name=TOKEN_HEADER,
            timeout=self.timeout,
            headers=headers,
        )

    def describe(self, cls: type) -> str:
        return f"{cls.__name__}(base_url={self.base_url!r}, app_id={self.app_id!r}, token='***')"


class _Call(Generic[T]):
    """One call's attempts: decides, after each, between a result, an error and a retry."""

    __slots__ = (
        "attempt",
        "envelope",
        "operation",
        "parse",
        "policy",
        "read_only",
        "settings",
        "started",
        "timeout",
        "url",
    )

    def __init__(
        self,
        settings: _Settings,
        operation: str,
        path: str,
        parse: Callable[[Any, Report], T] | None,
        idempotent: bool | None,
        timeout: float | None,
        envelope: bool = True,
        max_retries: int | None = None,
    ) -> None:
        self.settings = settings
        self.operation = operation
        self.url = settings.base_url + path
        self.parse = parse
        self.envelope = envelope
        self.policy = settings.retry_policy
        if max_retries is not None:
            self.policy = attrs.evolve(self.policy, max_retries=check_retries(max_retries))
        self.read_only = is_read_only(operation) if idempotent is None else idempotent
        self.timeout = settings.timeout.read if timeout is None else timeout
        self.started = time.perf_counter()
        self.attempt = 0

    def failed(self, exc: httpx.TransportError) -> float:
        """The wait before retrying after a transport error; raises when not to retry."""
        delay = self.policy.after_exception(exc, self.attempt, self.read_only)
        if delay is None:
            self._log(f"failed ({type(exc).__name__})")
            raise self._with_context(self.settings.transport_error(exc, self.operation)) from None
        return self._retrying(delay, type(exc).__name__)

    def answered(self, response: httpx.Response) -> float | None:
        """The wait before retrying after this reply, or None when it is the answer."""
        delay = self.policy.after_response(response, self.attempt, self.read_only)
        return None if delay is None else self._retrying(delay, f"HTTP {response.status_code}")

    def result(self, response: httpx.Response) -> T:
        sink = _RAW_SINK.get()
        if sink is not None:
            sink.append(response)
        try:
            settings = self.settings
            value = unwrap(
                response,
                self.operation,
                self.parse,
                settings.token,
                strict=settings.strict,
                reported=settings.reported,
                envelope=self.envelope,
            )
        except GeweError as exc:
            self._log(f"failed ({type(exc).__name__})")
            raise self._with_context(exc, response.status_code) from None
        self._log("ret=200")
        return value

    def _with_context(self, error: E, status_code: int | None = None) -> E:
        error.add_call_context(
            operation=self.operation,
            attempts=self.attempt + 1,
            elapsed=time.perf_counter() - self.started,
            timeout=self.timeout,
            url=self.url,
            status_code=status_code,
        )
        return error

    def _retrying(self, delay: float, why: str) -> float:
        self.attempt += 1
        logger.info(
            "%s: %s; retry %d/%d in %.2f s", self.operation, why, self.attempt, self.policy.max_retries, delay
        )
        return delay

    def _log(self, outcome: str) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            ms = (time.perf_counter() - self.started) * 1000
            logger.debug("%s %s in %.1f ms (attempts: %d)", self.operation, outcome, ms, self.attempt + 1)


class _ClientBase:
    """What both clients share: their settings, app id, the generated client and a safe repr."""

    _settings: _Settings
    _owns_pool: bool

    @property
    def app_id(self) -> str | None:
        return self._settings.app_id

    @property
    def base_url(self) -> str:
        return self._settings.base_url

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
    ) -> Self:
        """A copy of this client with some settings changed, sharing its connection pool.

        Cheap: no connection is opened. The copy's `close()` leaves the shared pool open; close
        the client it came from.
        """
        clone = copy.copy(self)
        for name in [n for n in clone.__dict__ if n in MODULES or n == "generated"]:
            del clone.__dict__[name]  # resources and the generated client belong to one client
        clone._settings = self._settings.evolve(
            timeout=timeout, max_retries=max_retries, app_id=app_id, strict=strict, retry_policy=retry_policy
        )
        clone._owns_pool = False
        return clone

    def __repr__(self) -> str:
        return self._settings.describe(type(self))


class GeweClient(_ClientBase, Overrides, Resources):
    """A synchronous GeWe client. Use it as a context manager, or call `close()`.

    Args:
        token: the GeWe API token (default: GEWE_TOKEN). Required.
        app_id: the bot's device id, filled into every call's `appId` (default: GEWE_APP_ID).
        base_url: the API root (default: GEWE_BASE_URL, else http://api.geweapi.com).
        timeout: seconds, or an httpx.Timeout, for each attempt.
        max_retries: retries after the first attempt; see `gewe.retry` for which failures.
        retry_policy: a full `RetryPolicy`, instead of `max_retries`.
        transport: an httpx transport, e.g. `httpx.HTTPTransport(proxy=...)` or a mock in tests.
        strict: True to make any reply value that contradicts the spec a `GeweResponseError`; by
            default it is kept as it came and logged once (WARNING, logger "gewe").
        http_client: an `httpx.Client` of your own (proxies, event hooks, ...) to send with,
            instead of one the client makes; the client sends its URL, token and headers on each
            request, and never closes it.
        default_headers: headers sent with every call (never the token header).
    """

    def __init__(
        self,
        token: str | None = None,
        app_id: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        *,
        retry_policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        strict: bool = False,
        http_client: httpx.Client | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        self._settings = _Settings(
            token, app_id, base_url, timeout, max_retries, retry_policy, strict, default_headers
        )
        if http_client is not None and transport is not None:
            raise GeweConfigError("pass either http_client or transport, not both", setting="transport")
        if http_client is not None and not isinstance(http_client, httpx.Client):
            raise GeweConfigError("http_client must be an httpx.Client", setting="http_client")
        self._owns_pool = http_client is None
        # Our own httpx.Client carries the token and headers; one of the user's gets them per request.
        self._own_headers: dict[str, str] | None = None if http_client is None else self._settings.headers
        self._http = http_client or httpx.Client(
            base_url=self._settings.base_url,
            headers=self._settings.headers,
            timeout=self._settings.timeout,
            transport=transport,
        )

    @cached_property
    def generated(self) -> AuthenticatedClient:
        """A `gewe_api.AuthenticatedClient` for the generated functions, sending through this
        client's own connection pool (its transport, headers and base URL)."""
        generated = self._settings.generated_client()
        if self._own_headers is None:  # our httpx.Client: base URL, token, headers, timeout
            generated.set_httpx_client(self._http)
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
        settings = self._settings
        call, body = _begin(settings, operation, path, body, parse, envelope, options)
        headers = _call_headers(self._own_headers, options.get("extra_headers"))
        url = settings.base_url + path
        call_timeout = settings.call_timeout(options.get("timeout"))
        while True:
            try:
                response = self._http.post(url, json=body, timeout=call_timeout, headers=headers)
            except httpx.TransportError as exc:
                delay = call.failed(exc)
            else:
                wait = call.answered(response)
                if wait is None:
                    return call.result(response)
                delay = wait
            time.sleep(delay)

    def with_raw_response(self, method: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        """Call `method` (e.g. `client.group.get_chatroom_qr_code`) and keep its HTTP reply.

        Returns a `RawResponse`: `.http_response` (the `httpx.Response`), `.status_code`,
        `.headers`, and `.parse()` for what the method returned.
        """
        sink: list[httpx.Response] = []
        token = _RAW_SINK.set(sink)
        try:
            parsed = method(*args, **kwargs)
        finally:
            _RAW_SINK.reset(token)
        return _raw(sink, parsed)

    def close(self) -> None:
        """Close the connection pool (unless it was passed in as `http_client`, or shared)."""
        if self._owns_pool:
            self._http.close()
        if "generated" in self.__dict__ and self._own_headers is not None:
            self.generated.get_httpx_client().close()  # its own pool: ours was the caller's

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncGeweClient(_ClientBase, AsyncOverrides, AsyncResources):
    """An asynchronous GeWe client: `GeweClient`'s twin, with `await` on every method.

    Use it as an async context manager, or call `await client.close()`. `strict` as for `GeweClient`.

    Args:
        token, app_id, base_url, timeout, max_retries, retry_policy: as for `GeweClient`.
        transport: an httpx async transport (default: `gewe._transport.AiohttpTransport`, aiohttp's
            connection pool), e.g. `httpx.AsyncHTTPTransport(proxy=...)`, `httpx.MockTransport` or
            httpx-aiohttp's `AiohttpTransport`. Only the connect, read and pool timeouts apply on
            the default transport (aiohttp has no write timeout).
        max_connections: how many requests are in flight at once (and the default transport's
            connections). Calls beyond it wait their turn in the client, untimed, so a burst of any
            size never runs into a pool timeout; each call's timeouts start when it is sent.
        http_client: an `httpx.AsyncClient` of your own to send with (through its `send`, so its
            hooks and mounts apply), instead of the transport; never closed by this client.
        default_headers: headers sent with every call (never the token header).
    """

    def __init__(
        self,
        token: str | None = None,
        app_id: str | None = None,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        *,
        retry_policy: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        strict: bool = False,
        http_client: httpx.AsyncClient | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        import asyncio  # kept off `import gewe` for sync users, as aiohttp is (in ._transport)

        from . import _transport

        self._settings = _Settings(
            token, app_id, base_url, timeout, max_retries, retry_policy, strict, default_headers
        )
        if type(max_connections) is not int or max_connections < 1:
            raise GeweConfigError(f"max_connections must be an integer >= 1, got {max_connections!r}")
        if http_client is not None and transport is not None:
            raise GeweConfigError("pass either http_client or transport, not both", setting="transport")
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise GeweConfigError("http_client must be an httpx.AsyncClient", setting="http_client")
        self._owns_pool = http_client is None
        self._http_client = http_client
        if transport is None and http_client is None:
            transport = _transport.default_transport(max_connections)
        self._transport = transport
        self._slots = asyncio.Semaphore(max_connections)
        self._sleep = asyncio.sleep
        self._send_errors = _transport.SEND_ERRORS
        self._as_transport_error = _transport.as_transport_error
        # What httpx.AsyncClient would send: its default headers, then the client's.
        self._headers = httpx.Headers(
            {"Accept": "*/*", "Accept-Encoding": "gzip, deflate", "Connection": "keep-alive"}
        )
        self._headers.update(self._settings.headers)
        self._headers["Content-Type"] = "application/json"
        self._urls: dict[str, httpx.URL] = {}
        self._pool_state = _PoolState()  # shared with `with_options` copies

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
        call, body = _begin(self._settings, operation, path, body, parse, envelope, options)
        request = self._request(path, body, options.get("timeout"), options.get("extra_headers"))
        while True:
            try:
                response = await self._send(request)
            except self._send_errors as exc:
                delay = call.failed(self._as_transport_error(exc))
            else:
                wait = call.answered(response)
                if wait is None:
                    return call.result(response)
                delay = wait
            await self._sleep(delay)

    def _request(
        self,
        path: str,
        body: dict[str, Any],
        timeout: float | None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> httpx.Request:
        """The request, built once per call (as `AsyncClient.post(json=...)` would build it)."""
        if self._pool_state.closed:
            raise GeweConfigError("this AsyncGeweClient is closed: create a new one")
        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = httpx.URL(self._settings.base_url + path)
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
        extensions = {"timeout": self._settings.call_timeout(timeout).as_dict()}
        headers = self._headers
        if extra_headers:
            self._settings.check_headers(extra_headers, "extra_headers")
            headers = httpx.Headers(headers)
            headers.update(extra_headers)
        return httpx.Request("POST", url, headers=headers, content=content, extensions=extensions)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        """One attempt, straight to the transport, once one of `max_connections` slots is free."""
        async with self._slots:
            if self._http_client is not None:
                return await self._http_client.send(request)
            assert self._transport is not None
            response = await self._transport.handle_async_request(request)
            try:
                await response.aread()
            finally:
                await response.aclose()
        response.request = request
        return response

    @cached_property
    def generated(self) -> AuthenticatedClient:
        """A `gewe_api.AuthenticatedClient` for the generated functions (`asyncio`), sending through
        this client's transport (its connection pool), with its headers and base URL."""
        generated = self._settings.generated_client()
        if self._transport is not None:
            generated.set_async_httpx_client(
                httpx.AsyncClient(
                    base_url=self._settings.base_url,
                    headers=self._settings.headers,
                    timeout=self._settings.timeout,
                    transport=_SharedTransport(self._transport),
                )
            )
        return generated

    async def with_raw_response(
        self, method: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs
    ) -> RawResponse[T]:
        """`await` `method` (e.g. `client.group.get_chatroom_qr_code`) and keep its HTTP reply;
        see `GeweClient.with_raw_response`."""
        sink: list[httpx.Response] = []
        token = _RAW_SINK.set(sink)
        try:
            parsed = await method(*args, **kwargs)
        finally:
            _RAW_SINK.reset(token)
        return _raw(sink, parsed)

    async def close(self) -> None:
        """Close the connection pool (unless it was passed in as `http_client`, or shared)."""
        if not self._owns_pool:
            return
        self._pool_state.closed = True
        if self._transport is not None:
            await self._transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class _PoolState:
    """Whether a client's pool is closed; shared by the client and its `with_options` copies."""

    __slots__ = ("closed",)

    def __init__(self) -> None:
        self.closed = False


class _SharedTransport(httpx.AsyncBaseTransport):
    """A client's transport lent to `client.generated`: closing the loan leaves the pool open."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self._transport = transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._transport.handle_async_request(request)


def _begin(
    settings: _Settings,
    operation: str,
    path: str,
    body: dict[str, Any],
    parse: Callable[[Any, Report], T] | None,
    envelope: bool,
    options: CallOptions,
) -> tuple[_Call[T], dict[str, Any]]:
    """One call's attempts, and its body with the caller's extra fields: both clients start so."""
    call = _Call(
        settings,
        operation,
        path,
        parse,
        options.get("idempotent"),
        options.get("timeout"),
        envelope,
        options.get("max_retries"),
    )
    return call, _with_extra_body(body, options.get("extra_body"))


def _with_extra_body(body: dict[str, Any], extra_body: Mapping[str, Any] | None) -> dict[str, Any]:
    """The request body with the caller's extra fields (they win over typed ones)."""
    if not extra_body:
        return body
    if not isinstance(extra_body, Mapping) or not all(isinstance(k, str) for k in extra_body):
        raise GeweConfigError("extra_body must map field names to values", setting="extra_body")
    return {**body, **extra_body}


def _call_headers(
    base: dict[str, str] | None, extra_headers: Mapping[str, str] | None
) -> dict[str, str] | None:
    """Headers a sync call sends besides its client's own (None when there are none)."""
    if not extra_headers:
        return base
    _Settings.check_headers(extra_headers, "extra_headers")
    return {**(base or {}), **extra_headers}


def _raw(sink: list[httpx.Response], parsed: T) -> RawResponse[T]:
    if not sink:
        raise GeweConfigError("with_raw_response takes a method of this client (it made no call)")
    return RawResponse(sink[-1], parsed)


# `client.<module>`: the override in gewe/resources/<module>.py when there is one, else generated.
install(GeweClient, MODULES, is_async=False)
install(AsyncGeweClient, MODULES, is_async=True)
