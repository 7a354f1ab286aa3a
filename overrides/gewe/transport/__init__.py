"""The one seam between a call and an HTTP stack: an `Attempt` goes in, a `Reply` comes out.

A client picks its sender once, when it is built (ARCHITECTURE.md lists them). A sender sends one
attempt and reads its reply whole, decoded and bounded by `body.BodyReader`. It maps its library's
failures straight to a `SendFailure`; a reply it cannot read is `Unreadable`; a closed sender
raises `SenderClosed`. The deadline is one `time.monotonic()` instant, `Attempt.deadline`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, Protocol, TypeVar

import httpx

if TYPE_CHECKING:
    from ..settings import Timeouts
    from .body import BodyTooLarge, BodyUndecodable

K = TypeVar("K")
V = TypeVar("V")
wire = logging.getLogger("gewe.wire")
_DECODED = frozenset({"content-encoding", "content-length"})  # dropped: the body is decoded


class Attempt(NamedTuple):
    """One POST as it goes on the wire."""

    url: httpx.URL
    headers: Mapping[str, str]
    body: bytes
    limits: Timeouts  # the phase limits, and the whole attempt's in seconds (`limits.total`)
    max_bytes: int  # the largest decoded reply to read
    deadline: float | None  # when the attempt must end: a time.monotonic() instant, or None


class Reply:
    """A reply read whole: status, headers as they came, the decoded body."""

    __slots__ = ("_headers", "attempt", "content", "raw_headers", "reason", "status_code")

    def __init__(
        self,
        status_code: int,
        raw_headers: Sequence[tuple[bytes, bytes]],
        content: bytes,
        attempt: Attempt,
        reason: bytes = b"",
    ) -> None:
        self.status_code = status_code
        self.raw_headers = raw_headers
        self.content = content
        self.attempt = attempt
        self.reason = reason
        self._headers: httpx.Headers | None = None

    @property
    def headers(self) -> httpx.Headers:
        """The headers (made on first use: a 2xx reply's are rarely read), less those the decoding
        made untrue (Content-Encoding, Content-Length)."""
        if self._headers is None:
            kept = [(k, v) for k, v in self.raw_headers if k.decode("latin-1").lower() not in _DECODED]
            self._headers = httpx.Headers(kept)
        return self._headers

    def json(self) -> Any:
        return json.loads(self.content)

    def to_httpx(self) -> httpx.Response:
        """The `httpx.Response` (and its request) for `with_raw_response`, holding the decoded body."""
        attempt = self.attempt
        request = httpx.Request("POST", attempt.url, headers=attempt.headers, content=attempt.body)
        return httpx.Response(
            self.status_code,
            headers=self.headers,
            content=self.content,
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": self.reason},
        )


class SendFailure(Exception):
    """An attempt that got no reply: what the retry policy reads (`sent`, `timeout`) and what the
    error says (`label`: the library's name for the failure, `detail`)."""

    def __init__(self, label: str, detail: str, *, sent: bool, timeout: bool) -> None:
        super().__init__(f"{label}: {detail}")
        self.label = label
        self.detail = detail
        self.sent = sent  # False: not a byte of the request left; True: the server may have acted on it
        self.timeout = timeout


class Unreadable(Exception):
    """A reply whose body was too large or could not be decoded (`error`)."""

    def __init__(self, reply: Reply, error: BodyTooLarge | BodyUndecodable) -> None:
        super().__init__(reply.status_code)
        self.reply = reply
        self.error = error


class SenderClosed(Exception):
    """The sender (or the user's client under it) is closed: nothing was sent."""


class Sender(Protocol):
    """A sync HTTP stack."""

    @property
    def closed(self) -> bool: ...

    def send(self, attempt: Attempt) -> Reply: ...

    def close(self) -> None: ...


class AsyncSender(Protocol):
    """An async HTTP stack."""

    @property
    def closed(self) -> bool: ...

    async def send(self, attempt: Attempt) -> Reply: ...

    async def aclose(self) -> None: ...


def timed_out(attempt: Attempt) -> SendFailure:
    """The failure of an attempt that ran past its deadline (the server may have acted on it)."""
    detail = f"no complete reply within {attempt.limits.total:g} s"
    return SendFailure("Timeout", detail, sent=True, timeout=True)


def log_exchange(url: httpx.URL, reply: Reply | None, failure: SendFailure | None, started: float) -> None:
    """The wire log (DEBUG, logger "gewe.wire"): one line per attempt, the same whichever sender
    sent it (the clients call it at their one send site); never a header or the token."""
    ms = (time.perf_counter() - started) * 1000
    if reply is not None:
        outcome = f"HTTP {reply.status_code}, {len(reply.content)} bytes"
    else:
        outcome = f"{failure.label} ({'sent' if failure.sent else 'not sent'})" if failure else "?"
    wire.debug("POST %s -> %s in %.1f ms", url.path, outcome, ms)


def raw_headers(headers: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    """`headers` as sent, names in their own case (`httpx.Headers` keeps it in `.raw` only)."""
    if isinstance(headers, httpx.Headers):
        return list(headers.raw)
    return [(k.encode("ascii"), v.encode("ascii")) for k, v in headers.items()]


class ByIdentity(Generic[K, V]):
    """`make(key)` kept by the key's identity, for keys a client reuses (its URL per path, its
    headers): a lookup never hashes or formats them. At most `size` kept; each key is kept with its
    value, so its id stays its own."""

    __slots__ = ("_kept", "_make", "_size")

    def __init__(self, make: Callable[[K], V], size: int = 256) -> None:
        self._make = make
        self._size = size
        self._kept: dict[int, tuple[K, V]] = {}

    def __call__(self, key: K) -> V:
        hit = self._kept.get(id(key))
        if hit is not None and hit[0] is key:
            return hit[1]
        if len(self._kept) >= self._size:
            self._kept.clear()
        value = self._make(key)
        self._kept[id(key)] = (key, value)
        return value
