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

import json
import logging
import os
import time
from collections.abc import Callable
from functools import cached_property
from typing import Any, Generic, Self, TypeVar

import httpx

from gewe_api import AuthenticatedClient
from gewe_api.api import MODULES, AsyncResources, Report, Resources

from ._version import __version__
from .envelope import unwrap
from .errors import GeweConfigError, GeweConnectionError, GeweError, GeweTimeoutError
from .resources import AsyncOverrides, Overrides, install
from .retry import RetryPolicy, is_read_only
from .tokens import check_token, redactor_for

T = TypeVar("T")
E = TypeVar("E", bound=GeweError)
logger = logging.getLogger("gewe")

DEFAULT_BASE_URL = "http://api.geweapi.com"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_CONNECTIONS = 100
TOKEN_HEADER = "X-GEWE-TOKEN"


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
        if max_retries < 0:
            raise GeweConfigError("max_retries must be >= 0", setting="max_retries")
        self.token = token  # never in repr, logs or errors: see describe() and self.redactor
        self.redactor = redactor_for(token)
        self.app_id = app_id if app_id is not None else (os.environ.get("GEWE_APP_ID") or None)
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.retry_policy = retry_policy or RetryPolicy(max_retries=max_retries)
        self.headers = {TOKEN_HEADER: token, "User-Agent": f"gewe-sdk/{__version__}"}
        self.strict = bool(strict)  # see gewe.envelope: a reply that contradicts the spec
        self.reported: set[tuple[str, str]] = set()  # (operation, field) already logged

    def resolve_app_id(self, app_id: str | None) -> str:
        resolved = app_id if app_id is not None else self.app_id
        if not resolved:
            raise GeweConfigError(
                "no GeWe app id: pass app_id=... to the call or the client, or set GEWE_APP_ID",
                setting="app_id",
            )
        return resolved

    def call_timeout(self, timeout: float | None) -> httpx.Timeout | Any:
        return httpx.USE_CLIENT_DEFAULT if timeout is None else httpx.Timeout(timeout)

    def transport_error(self, exc: Exception, operation: str) -> GeweConnectionError:
        kind = GeweTimeoutError if isinstance(exc, httpx.TimeoutException) else GeweConnectionError
        detail = str(self.redactor.exception(exc)) or type(exc).__name__
        return kind(f"{type(exc).__name__}: {detail}", operation=operation)

    def generated_client(self) -> AuthenticatedClient:
        return AuthenticatedClient(
            base_url=self.base_url,
            token=self.token,
            prefix="",
            auth_header_name=TOKEN_HEADER,
            timeout=self.timeout,
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
    ) -> None:
        self.settings = settings
        self.operation = operation
        self.url = settings.base_url + path
        self.parse = parse
        self.envelope = envelope
        self.policy = settings.retry_policy
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

    @property
    def app_id(self) -> str | None:
        return self._settings.app_id

    @property
    def base_url(self) -> str:
        return self._settings.base_url

    @cached_property
    def generated(self) -> AuthenticatedClient:
        """A `gewe_api.AuthenticatedClient` with this client's settings, for the generated functions."""
        return self._settings.generated_client()

    def resolve_app_id(self, app_id: str | None) -> str:
        return self._settings.resolve_app_id(app_id)

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
    ) -> None:
        self._settings = _Settings(token, app_id, base_url, timeout, max_retries, retry_policy, strict)
        self._http = httpx.Client(
            base_url=self._settings.base_url,
            headers=self._settings.headers,
            timeout=self._settings.timeout,
            transport=transport,
        )

    def invoke(
        self,
        operation: str,
        path: str,
        body: dict[str, Any],
        parse: Callable[[Any, Report], T] | None,
        *,
        idempotent: bool | None = None,
        timeout: float | None = None,
        envelope: bool = True,
    ) -> T:
        """POST `body` to `path` and return the reply's data; the methods on the modules call this."""
        call = _Call(self._settings, operation, path, parse, idempotent, timeout, envelope)
        call_timeout = self._settings.call_timeout(timeout)
        while True:
            try:
                response = self._http.post(path, json=body, timeout=call_timeout)
            except httpx.TransportError as exc:
                delay = call.failed(exc)
            else:
                wait = call.answered(response)
                if wait is None:
                    return call.result(response)
                delay = wait
            time.sleep(delay)

    def close(self) -> None:
        self._http.close()
        if "generated" in self.__dict__:
            self.generated.get_httpx_client().close()

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
    ) -> None:
        import asyncio  # kept off `import gewe` for sync users, as aiohttp is (in ._transport)

        from . import _transport

        self._settings = _Settings(token, app_id, base_url, timeout, max_retries, retry_policy, strict)
        if type(max_connections) is not int or max_connections < 1:
            raise GeweConfigError(f"max_connections must be an integer >= 1, got {max_connections!r}")
        if transport is None:
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
        self._timeout = self._settings.timeout.as_dict()
        self._urls: dict[str, httpx.URL] = {}
        self._closed = False

    async def invoke(
        self,
        operation: str,
        path: str,
        body: dict[str, Any],
        parse: Callable[[Any, Report], T] | None,
        *,
        idempotent: bool | None = None,
        timeout: float | None = None,
        envelope: bool = True,
    ) -> T:
        """POST `body` to `path` and return the reply's data; the methods on the modules call this."""
        call = _Call(self._settings, operation, path, parse, idempotent, timeout, envelope)
        request = self._request(path, body, timeout)
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

    def _request(self, path: str, body: dict[str, Any], timeout: float | None) -> httpx.Request:
        """The request, built once per call (as `AsyncClient.post(json=...)` would build it)."""
        if self._closed:
            raise GeweConfigError("this AsyncGeweClient is closed: create a new one")
        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = httpx.URL(self._settings.base_url + path)
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
        per_call = self._timeout if timeout is None else httpx.Timeout(timeout).as_dict()
        extensions = {"timeout": per_call}
        return httpx.Request("POST", url, headers=self._headers, content=content, extensions=extensions)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        """One attempt, straight to the transport, once one of `max_connections` slots is free."""
        async with self._slots:
            response = await self._transport.handle_async_request(request)
            try:
                await response.aread()
            finally:
                await response.aclose()
        response.request = request
        return response

    async def close(self) -> None:
        self._closed = True
        await self._transport.aclose()
        if "generated" in self.__dict__:
            await self.generated.get_async_httpx_client().aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


# `client.<module>`: the override in gewe/resources/<module>.py when there is one, else generated.
install(GeweClient, MODULES, is_async=False)
install(AsyncGeweClient, MODULES, is_async=True)
