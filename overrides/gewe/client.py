"""`GeweClient`: one configured synchronous client for every operation in the spec.

    from gewe import GeweClient

    with GeweClient() as client:  # token, app id and base URL from GEWE_TOKEN, GEWE_APP_ID, GEWE_BASE_URL
        qr = client.group.get_chatroom_qr_code(chatroom_id="34757816141@chatroom")

Every module of the spec is an attribute (`client.group`, created on first use), with one typed
method per operation (generated from the spec; see generated/gewe_api/api/). The client sets
the `X-GEWE-TOKEN` header on every request, fills in `appId`, checks GeWe's `{ret, msg, data}`
envelope, maps failures to `gewe.errors`, and retries by `gewe.retry`.

How it sends is chosen once, here, when it is built (gewe.transport): httpcore's pool by default,
or the user's `http_client` / `transport`. ARCHITECTURE.md has the whole layout.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, ParamSpec, Self, TypeVar, Unpack

import httpx

from gewe_api.api import CallOptions, Report

from ._base import ClientBase
from .call import Call, raw_result, raw_sink
from .raw import RawResponse
from .resources import Modules
from .settings import DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT
from .transport import Sender, SenderClosed, SendFailure, Unreadable, log_exchange, wire

if TYPE_CHECKING:
    from gewe_api import AuthenticatedClient

    from .pacing import Pacing
    from .retry import RetryPolicy

T = TypeVar("T")
P = ParamSpec("P")

__all__ = ["GeweClient"]


class GeweClient(ClientBase, Modules):
    """A synchronous GeWe client. Use it as a context manager, or call `close()`.

    Args:
        token: the GeWe API token (default: GEWE_TOKEN). Required.
        app_id: the bot's device id, filled into every call's `appId` (default: GEWE_APP_ID).
        base_url: the API root (default: GEWE_BASE_URL, else http://api.geweapi.com). Credentials
            in it (`http://user:pw@host`) are sent as an Authorization header and shown as `***`;
            surrounding whitespace and a trailing `/gewe/v2/api` are taken off; "" is refused.
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
        self._configure(locals(), httpx.Client, httpx.BaseTransport)
        # The sender, chosen once: the user's client or transport, else httpcore's pool (made on
        # first use). It never changes with the log level or per call.
        self._sender: Sender
        if http_client is None and transport is None:
            from .transport.sync_default import HttpcoreSender

            self._sender = HttpcoreSender(self._settings.base_url)
        else:
            from .transport.sync_httpx import HttpxSender

            self._sender = HttpxSender(http_client, transport)

    @cached_property
    def generated(self) -> AuthenticatedClient:
        """A `gewe_api.AuthenticatedClient` for the generated functions, with this client's base URL,
        token, headers and timeout, sending through its `transport` if one was given (else an httpx
        pool of its own, closed with this client)."""
        generated = self._generated_client()
        generated.set_httpx_client(httpx.Client(**self._generated_http(_SharedTransport)))
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
        call: Call[T] = Call(self._settings, self._shared, operation, path, body, parse, envelope, options)
        with call.turn():  # pacing=: the account's turn for a send or download (gewe.pacing)
            return self._call(call)

    def _call(self, call: Call[T]) -> T:
        sender = self._sender
        wait = call.pace()  # the one place a call waits for its turn to send (gewe.pacing)
        if wait > 0:
            self._sleep(wait)
        while True:
            if sender.closed:
                raise call.closed()
            attempt = call.next_attempt()
            logged = wire.isEnabledFor(logging.DEBUG)
            started = time.perf_counter() if logged else 0.0
            try:
                reply = sender.send(attempt)
            except SendFailure as failure:
                if logged:
                    log_exchange(attempt.url, None, failure, started)
                delay = call.failed(failure)
            except Unreadable as exc:
                raise call.unreadable(exc.reply, exc.error) from None
            except SenderClosed:
                raise call.closed() from None
            else:
                if logged:
                    log_exchange(attempt.url, reply, None, started)
                after = call.answered(reply)
                if after is None:
                    return call.result(reply)
                delay = after
            if delay > 0:
                self._sleep(delay)

    def _sleep(self, seconds: float) -> None:
        """Wait `seconds`, or until the client is closed (from any thread)."""
        self._shared.closing.wait(seconds)

    def with_raw_response(self, method: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        """Call `method` (e.g. `client.group.get_chatroom_qr_code`) and keep its HTTP reply.

        Returns a `RawResponse`: `.http_response` (an `httpx.Response`, its body decoded),
        `.status_code`, `.headers`, and `.parse()` for what the method returned.
        """
        with raw_sink() as sink:
            parsed = method(*args, **kwargs)
        result: RawResponse[T] = raw_result(sink, parsed)
        return result

    def close(self) -> None:
        """Close the connection pool (unless it was passed in as `http_client`, or shared); calls
        waiting between retries, in other threads, end with a `GeweConfigError` at once."""
        if self._owns_pool:
            self._sender.close()
            self._shared.closing.set()
        if "generated" in self.__dict__:
            self.generated.get_httpx_client().close()

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
