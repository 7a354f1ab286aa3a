"""The retry policy: which failures are retried, how often, and how long to wait.

GeWe is a messaging API, and every call is a POST, so HTTP methods say nothing about safety.
The rule is:

* A failure **before the request was sent** (the connection could not be opened, or no pooled
  connection came free in time) is retried for every operation: the server never saw it.
* A timeout after sending, a dropped connection, HTTP 429 and HTTP 502/503/504 are retried only
  for **read-only** operations, or when the caller says the call is idempotent
  (`idempotent=True` on the method). Whether an operation is read-only is the spec's answer
  (`x-gewe-read-only`, decided at `make spec` by tools/gewe_spec/readonly.py and the reviewed
  exceptions in openapi/read-only.yml; `login.getLoginQrCode`, which creates a device, is not).
  An operation the spec does not know gets the same name rule the spec starts from: its name
  starts with one of `READ_ONLY_PREFIXES` followed by an upper-case letter, a digit or the end
  (`getChatroomQrCode`, `fetchContactsList`, `checkOnline`, `search`). Sending a message, adding
  a friend or creating a group is never repeated: it may already have happened.
* `ret: 500` is GeWe's business answer and is never retried.

`is_read_only` is the one place that decides whether an operation only reads: the same answer
also decides which redirects a call may follow (`gewe.call`) and which calls `send_interval`
paces (`gewe.pacing`).

Waits back off exponentially with jitter (`base_delay * 2**attempt`, capped at `max_delay`, then
scaled by a random factor in [0.5, 1]), and a `Retry-After` header (seconds or an HTTP date) is
honoured when it asks for at most `max_retry_after` seconds; one asking for longer ends the retries.

We hand-write this small policy rather than use tenacity or stamina: the SDK keeps its runtime
dependencies to httpx, attrs and python-dateutil, and httpx-retries decides safety by HTTP
method, which cannot tell `getChatroomQrCode` from `postText` when both are POSTs.
"""

from __future__ import annotations

import email.utils
import random
import time
from typing import TYPE_CHECKING

import attrs
import httpx

if TYPE_CHECKING:
    from .transport import Reply

from ._readonly import READ_ONLY_PREFIXES, is_read_only

__all__ = ["READ_ONLY_PREFIXES", "RETRY_STATUSES", "RetryPolicy", "is_read_only"]

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Raised before a single byte of the request left this machine.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _retry_after(response: httpx.Response | Reply) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


@attrs.frozen
class RetryPolicy:
    """How a client retries. `max_retries` is the number of retries after the first attempt."""

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def __attrs_post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")

    def backoff(self, attempt: int) -> float:
        """The wait before retry number `attempt + 1`, with jitter."""
        return min(self.max_delay, self.base_delay * 2.0**attempt) * random.uniform(0.5, 1.0)

    def after_failure(self, sent: bool, attempt: int, read_only: bool) -> float | None:
        """Seconds to wait before retrying an attempt that got no reply, or None to give up.
        `sent`: whether the request may have reached the server (the senders say, gewe.transport)."""
        if attempt >= self.max_retries or (sent and not read_only):
            return None
        return self.backoff(attempt)

    def after_exception(self, exc: Exception, attempt: int, read_only: bool) -> float | None:
        """`after_failure` for an httpx transport error (any other exception: None)."""
        if not isinstance(exc, httpx.TransportError):
            return None
        return self.after_failure(not isinstance(exc, NOT_SENT), attempt, read_only)

    def after_response(self, response: httpx.Response | Reply, attempt: int, read_only: bool) -> float | None:
        """Seconds to wait before retrying after this reply, or None to keep the reply."""
        if response.status_code not in RETRY_STATUSES or not read_only or attempt >= self.max_retries:
            return None
        asked = _retry_after(response)
        if asked is None:
            return self.backoff(attempt)
        return asked if asked <= self.max_retry_after else None
