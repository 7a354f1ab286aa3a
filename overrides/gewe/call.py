"""One call, resolved once: what is sent, and how its attempts end. Shared by both clients.

`Call` reads a call's options once — URL, headers, body bytes, the timeouts sent and the one
reported, the retry policy, whether the operation is read-only, the reply size limit — and then
decides, after each attempt, between a result, an error and another attempt (a retry after a wait,
or a redirect it may follow). The clients only move bytes: `GeweClient` and `AsyncGeweClient`
differ in how they send and wait, never in what a call means.

Redirects are never followed by the HTTP layer (`follow_redirects=False` on every send, whatever
client the user passed). Here a 301/302/303/307/308 is followed only for a read-only operation
(`gewe.retry.is_read_only`), only to the same origin (scheme, host and port), at most
`MAX_REDIRECTS` times, re-sending the same POST; any other redirect is a `GeweHTTPError` and the
token and body go nowhere else.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, Generic, TypeVar

import httpx

from gewe_api.api import CallOptions, Report

from ._body import BodyTooLarge, BodyUndecodable
from ._readonly import is_read_only
from ._reply import Reply, as_httpx
from .envelope import http_error, unwrap
from .errors import GeweConfigError, GeweConnectionError, GeweError, GeweTimeoutError
from .pacing import Pacing, profile_of
from .settings import Settings, Timeouts, check_headers, check_max_bytes, check_retries

T = TypeVar("T")
E = TypeVar("E", bound=GeweError)
logger = logging.getLogger("gewe")
# Set by `with_raw_response` around one call: the call's final HTTP reply is put here.
RAW_SINK: ContextVar[list[httpx.Response] | None] = ContextVar("gewe_raw_sink", default=None)
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class Call(Generic[T]):
    """One call's request, resolved once, and its attempts."""

    __slots__ = (
        "app_id",
        "attempt",
        "content",
        "envelope",
        "headers",
        "max_bytes",
        "operation",
        "parse",
        "policy",
        "read_only",
        "redirects",
        "retry_safe",
        "settings",
        "started",
        "timeouts",
        "to",
        "url",
    )

    def __init__(
        self,
        settings: Settings,
        operation: str,
        path: str,
        body: dict[str, Any],
        parse: Callable[[Any, Report], T] | None,
        envelope: bool,
        options: CallOptions,
    ) -> None:
        self.settings = settings
        self.operation = operation
        self.parse = parse
        self.envelope = envelope
        self.url = settings.url(path)
        extra_headers = options.get("extra_headers")
        self.headers = settings.http_headers
        if extra_headers:
            self.headers = httpx.Headers(settings.http_headers)
            self.headers.update(check_headers(extra_headers, "extra_headers"))
        self.content, sent = settings.encode(body, options.get("extra_body"))
        app_id = sent.get("appId")
        self.app_id = app_id if isinstance(app_id, str) else ""
        to = sent.get("toWxid")
        self.to = to if isinstance(to, str) else None
        timeout = options.get("timeout")
        self.timeouts = settings.timeout if timeout is None else Timeouts.of(timeout)
        self.policy = settings.retry_policy
        max_retries = options.get("max_retries")
        if max_retries is not None:
            import attrs  # RetryPolicy is an attrs class (loaded with the client's settings)

            self.policy = attrs.evolve(self.policy, max_retries=check_retries(max_retries))
        max_bytes = options.get("max_response_bytes")
        self.max_bytes = settings.max_response_bytes if max_bytes is None else check_max_bytes(max_bytes)
        self.read_only = is_read_only(operation)
        idempotent = options.get("idempotent")
        self.retry_safe = self.read_only if idempotent is None else bool(idempotent)
        self.started = time.perf_counter()
        self.attempt = 0
        self.redirects = 0

    def pace(self) -> float:
        """Seconds to wait before the first attempt (`send_interval`; reads never wait)."""
        interval = self.settings.send_interval
        if interval is None or self.read_only:
            return 0.0
        return self.settings.pacer.reserve(self.app_id, interval)

    def turn(self) -> contextlib.AbstractContextManager[None]:
        """The account's turn held around the whole call (`pacing=`; see `gewe.pacing`)."""
        paced = self._paced()
        return contextlib.nullcontext() if paced is None else paced[0].turn(*paced[1])

    def aturn(self) -> contextlib.AbstractAsyncContextManager[None]:
        """`turn` for the async client."""
        paced = self._paced()
        return contextlib.nullcontext() if paced is None else paced[0].aturn(*paced[1])

    def _paced(self) -> tuple[Pacing, tuple[str, str, str | None, float | None, str]] | None:
        pacing = self.settings.pacing
        profile = None if pacing is None else profile_of(self.operation)
        if pacing is None or profile is None:
            return None
        return pacing, (self.app_id, profile, self.to, self.timeouts.deadline, self.operation)

    def deadline(self) -> float | None:
        """When this attempt must end (a `time.monotonic()` value), if ever."""
        seconds = self.timeouts.deadline
        return None if seconds is None else time.monotonic() + seconds

    def failed(self, exc: httpx.TransportError) -> float:
        """The wait before retrying after a transport error; raises when not to retry."""
        delay = self.policy.after_exception(exc, self.attempt, self.retry_safe)
        if delay is None:
            self._log(f"failed ({type(exc).__name__})")
            raise self._with_context(self._transport_error(exc)) from None
        return self._retrying(delay, type(exc).__name__)

    def timed_out(self) -> float:
        """`failed` for an attempt that ran past its whole-attempt deadline."""
        return self.failed(httpx.ReadTimeout(f"no complete reply within {self.timeouts.deadline:g} s"))

    def answered(self, response: httpx.Response) -> float | None:
        """The wait before the next attempt after this reply, or None when it is the answer."""
        if response.status_code in REDIRECT_STATUSES and "location" in response.headers:
            return self._redirect(response)
        delay = self.policy.after_response(response, self.attempt, self.retry_safe)
        return None if delay is None else self._retrying(delay, f"HTTP {response.status_code}")

    def unreadable(self, response: httpx.Response, exc: BodyTooLarge | BodyUndecodable) -> GeweError:
        """The error for a reply whose body was too large or could not be decoded (never retried)."""
        if isinstance(exc, BodyTooLarge):
            message = f"reply is larger than max_response_bytes ({exc.limit} bytes); not read further"
            error = http_error(message, response, self.operation, self.settings.redactor, content=exc.prefix)
        else:
            error = http_error(
                f"reply could not be read: {exc}",
                response,
                self.operation,
                self.settings.redactor,
                content=b"",
            )
        self._log(f"failed ({type(exc).__name__})")
        return self._with_context(error, response.status_code)

    def closed(self) -> GeweConfigError:
        """The error for a call on (or waiting on) a closed client."""
        error = GeweConfigError("the client was closed: this call was not sent (again); create a new client")
        return self._with_context(error)

    def result(self, response: httpx.Response | Reply) -> T:
        sink = RAW_SINK.get()
        if sink is not None:
            sink.append(as_httpx(response))
        try:
            settings = self.settings
            value = unwrap(
                response,
                self.operation,
                self.parse,
                settings.redactor,
                strict=settings.strict,
                reported=settings.reported,
                envelope=self.envelope,
            )
        except GeweError as exc:
            self._log(f"failed ({type(exc).__name__})")
            raise self._with_context(exc, response.status_code) from None
        self._log("ret=200")
        return value

    def _redirect(self, response: httpx.Response) -> float:
        location = response.headers["location"]
        try:
            target = self.url.join(location)
        except (httpx.InvalidURL, ValueError, TypeError):
            target = None
        same_origin = target is not None and _origin(target) == _origin(self.url)
        if not (self.read_only and same_origin and self.redirects < MAX_REDIRECTS):
            why = (
                "not followed: the call is not read-only"
                if not self.read_only
                else "not followed: another origin"
                if not same_origin
                else f"not followed: more than {MAX_REDIRECTS} redirects"
            )
            shown = "an invalid URL" if target is None else f"{target.scheme}://{target.netloc.decode()}"
            message = f"redirected (HTTP {response.status_code}) to {shown}, {why}"
            error = http_error(
                self.settings.redactor.text(message), response, self.operation, self.settings.redactor
            )
            self._log("failed (redirect)")
            raise self._with_context(error, response.status_code)
        assert target is not None
        self.redirects += 1
        logger.info("%s: HTTP %d, following to %s", self.operation, response.status_code, target.path)
        self.url = target
        return 0.0

    def _transport_error(self, exc: Exception) -> GeweConnectionError:
        kind = GeweTimeoutError if isinstance(exc, httpx.TimeoutException) else GeweConnectionError
        detail = str(self.settings.redactor.exception(exc)) or type(exc).__name__
        return kind(f"{type(exc).__name__}: {detail}", operation=self.operation)

    def _with_context(self, error: E, status_code: int | None = None) -> E:
        error.add_call_context(
            operation=self.operation,
            attempts=self.attempt + 1,
            elapsed=time.perf_counter() - self.started,
            timeout=self.timeouts.deadline,
            url=str(self.url),
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


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return (url.scheme, url.host, url.port or default)


@contextlib.contextmanager
def raw_sink() -> Iterator[list[httpx.Response]]:
    """Around one call of `with_raw_response`: the list its final HTTP reply is put in."""
    sink: list[httpx.Response] = []
    token = RAW_SINK.set(sink)
    try:
        yield sink
    finally:
        RAW_SINK.reset(token)


def raw_result(sink: list[httpx.Response], parsed: T) -> Any:
    from .raw import RawResponse

    if not sink:
        raise GeweConfigError("with_raw_response takes a method of this client (it made no call)")
    return RawResponse(sink[-1], parsed)
