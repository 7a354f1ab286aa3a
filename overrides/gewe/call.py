"""One call, resolved once: what is sent, and how its attempts end. Shared by both clients.

`Call` resolves a call's options once (`Settings.resolve`, the same as `with_options`), builds each
`Attempt` (URL, headers, body bytes, limits and one deadline instant) and then decides, after each
attempt, between a result, an error and another attempt (a retry after a wait, or a redirect it
may follow). It reads only `Reply` and `SendFailure` (gewe.transport): whichever sender the client
was built with, a call means the same.

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
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx

from gewe_api.api import CallOptions, Report

from ._readonly import is_read_only
from .envelope import http_error, unwrap
from .errors import GeweConfigError, GeweConnectionError, GeweError, GeweTimeoutError
from .pacing import profile_of
from .settings import Settings, check_headers
from .transport import Attempt, Reply, SendFailure
from .transport.body import BodyTooLarge, BodyUndecodable

if TYPE_CHECKING:
    from .pacing import Pacing
    from .runtime import Shared

T = TypeVar("T")
E = TypeVar("E", bound=GeweError)
logger = logging.getLogger("gewe")
# Set by `with_raw_response` around one call: the call's final reply is put here.
RAW_SINK: ContextVar[list[httpx.Response] | None] = ContextVar("gewe_raw_sink", default=None)
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_RESOLVED = ("timeout", "max_retries", "max_response_bytes")  # per-call options that are settings


class Call(Generic[T]):
    """One call's request, resolved once, and its attempts."""

    __slots__ = (
        "app_id",
        "attempt",
        "content",
        "envelope",
        "headers",
        "operation",
        "parse",
        "read_only",
        "redirects",
        "retry_safe",
        "settings",
        "shared",
        "started",
        "to",
        "url",
    )

    def __init__(
        self,
        settings: Settings,
        shared: Shared,
        operation: str,
        path: str,
        body: dict[str, Any],
        parse: Callable[[Any, Report], T] | None,
        envelope: bool,
        options: CallOptions,
    ) -> None:
        if options:
            # The generated methods pass every option, None when not given: on a call, None keeps
            # the client's setting (`with_options(timeout=None)` is how a limit is removed).
            given = {name: options[name] for name in _RESOLVED if options.get(name) is not None}  # type: ignore[literal-required]
            if given:
                settings = settings.resolve(**given)
        self.settings = settings
        self.shared = shared
        self.operation = operation
        self.parse = parse
        self.envelope = envelope
        self.url = shared.url(path)
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
        return self.shared.pacer.reserve(self.app_id, interval)

    def turn(self) -> contextlib.AbstractContextManager[None]:
        """The account's turn held around the whole call (`pacing=`; see `gewe.pacing`)."""
        paced = self._paced()
        return contextlib.nullcontext() if paced is None else paced[0].turn(*paced[1])

    def aturn(self) -> contextlib.AbstractAsyncContextManager[None]:
        """`turn` for the async client."""
        paced = self._paced()
        return contextlib.nullcontext() if paced is None else paced[0].aturn(*paced[1])

    def _paced(self) -> tuple[Pacing, tuple[str, str, str | None, float | None, str]] | None:
        pacing = self.shared.pacing
        profile = None if pacing is None else profile_of(self.operation)
        if pacing is None or profile is None:
            return None
        return pacing, (self.app_id, profile, self.to, self.settings.timeout.total, self.operation)

    def next_attempt(self) -> Attempt:
        """The next attempt, its deadline starting now."""
        settings = self.settings
        limits = settings.timeout
        total = limits.total
        deadline = None if total is None else time.monotonic() + total
        return Attempt(self.url, self.headers, self.content, limits, settings.max_response_bytes, deadline)

    def failed(self, failure: SendFailure) -> float:
        """The wait before retrying after an attempt that got no reply; raises when not to retry."""
        delay = self.settings.retry_policy.after_failure(failure.sent, self.attempt, self.retry_safe)
        if delay is None:
            self._log(f"failed ({failure.label})")
            raise self._with_context(self._transport_error(failure)) from None
        return self._retrying(delay, failure.label)

    def answered(self, reply: Reply) -> float | None:
        """The wait before the next attempt after this reply, or None when it is the answer."""
        status = reply.status_code
        if 200 <= status < 300:
            return None
        if status in REDIRECT_STATUSES and "location" in reply.headers:
            return self._redirect(reply)
        delay = self.settings.retry_policy.after_response(reply, self.attempt, self.retry_safe)
        return None if delay is None else self._retrying(delay, f"HTTP {status}")

    def unreadable(self, reply: Reply, exc: BodyTooLarge | BodyUndecodable) -> GeweError:
        """The error for a reply whose body was too large or could not be decoded (never retried)."""
        redactor = self.settings.redactor
        if isinstance(exc, BodyTooLarge):
            message = f"reply is larger than max_response_bytes ({exc.limit} bytes); not read further"
            error = http_error(message, reply, self.operation, redactor, content=exc.prefix)
        else:
            error = http_error(
                f"reply could not be read: {exc}", reply, self.operation, redactor, content=b""
            )
        self._log(f"failed ({type(exc).__name__})")
        return self._with_context(error, reply.status_code)

    def closed(self) -> GeweConfigError:
        """The error for a call on (or waiting on) a closed client; `.attempts` counts the attempts
        it made (0: closed before its first, nothing sent)."""
        made = self.attempt  # attempts that ended; the one this call was about to make never starts
        if made == 0:
            message = "the client was closed before this call was sent; create a new client"
        else:
            message = (
                f"the client was closed before retry {made} of this call: not sent again; create a new client"
            )
        error = self._with_context(GeweConfigError(message))
        error.attempts = made
        return error

    def result(self, reply: Reply) -> T:
        sink = RAW_SINK.get()
        if sink is not None:
            sink.append(reply.to_httpx())
        try:
            settings = self.settings
            value = unwrap(
                reply,
                self.operation,
                self.parse,
                settings.redactor,
                strict=settings.strict,
                reported=self.shared.reported,
                envelope=self.envelope,
            )
        except GeweError as exc:
            self._log(f"failed ({type(exc).__name__})")
            raise self._with_context(exc, reply.status_code) from None
        self._log("ret=200")
        return value

    def _redirect(self, response: Reply) -> float:
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

    def _transport_error(self, failure: SendFailure) -> GeweConnectionError:
        kind = GeweTimeoutError if failure.timeout else GeweConnectionError
        redactor = self.settings.redactor
        redactor.exception(failure)  # the library's error under it may quote the token
        detail = redactor.text(failure.detail)
        return kind(f"{failure.label}: {detail}", operation=self.operation)

    def _with_context(self, error: E, status_code: int | None = None) -> E:
        error.add_call_context(
            operation=self.operation,
            attempts=self.attempt + 1,
            elapsed=time.perf_counter() - self.started,
            timeout=self.settings.timeout.total,
            url=str(self.url),
            status_code=status_code,
        )
        return error

    def _retrying(self, delay: float, why: str) -> float:
        self.attempt += 1
        retries = self.settings.retry_policy.max_retries
        logger.info("%s: %s; retry %d/%d in %.2f s", self.operation, why, self.attempt, retries, delay)
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
