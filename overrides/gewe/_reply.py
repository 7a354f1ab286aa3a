"""A reply as the default fast paths read it: status, headers and the decoded body, nothing more.

Both clients' default paths (`GeweClient` straight to httpcore's pool, `AsyncGeweClient` straight
to aiohttp's) hand a 2xx `Reply` to the call logic, which reads only `status_code` and `json()`
from it (`gewe.envelope.unwrap`). Whenever anything else may look at the reply — a status that is
not 2xx (redirects, retries, HTTP errors), `with_raw_response` — `to_httpx()` makes the
`httpx.Response` the rest of the SDK and its users know, holding the same decoded body: what the
httpx path would have produced (`gewe._body.decoded`), request included.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from ._body import BodyTooLarge, BodyUndecodable

_DECODED = frozenset({"content-encoding", "content-length"})  # as gewe._body.decoded drops them


class Reply:
    """One reply read whole (body decoded, within the call's size limit)."""

    __slots__ = ("content", "raw_headers", "reason", "request", "status_code")

    def __init__(
        self,
        status_code: int,
        raw_headers: Sequence[tuple[bytes, bytes]],
        content: bytes,
        request: tuple[httpx.URL, Mapping[str, str], bytes],
        reason: bytes = b"",
    ) -> None:
        self.status_code = status_code
        self.raw_headers = raw_headers
        self.content = content
        self.request = request  # (URL, headers, body): an httpx.Request only when one is asked for
        self.reason = reason

    def json(self) -> Any:
        return json.loads(self.content)

    def to_httpx(self) -> httpx.Response:
        """The `httpx.Response` (and its `httpx.Request`) the httpx path would have made."""
        url, headers, body = self.request
        request = httpx.Request("POST", url, headers=headers, content=body)
        kept = [(k, v) for k, v in self.raw_headers if k.decode("latin-1").lower() not in _DECODED]
        return httpx.Response(
            self.status_code,
            headers=kept,
            content=self.content,
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": self.reason},
        )


class Unreadable(Exception):
    """A fast path could not read a reply's body: too large or undecodable (`error`)."""

    def __init__(self, reply: Reply, error: BodyTooLarge | BodyUndecodable) -> None:
        super().__init__(reply.status_code)
        self.reply = reply
        self.error = error


def as_httpx(response: httpx.Response | Reply) -> httpx.Response:
    return response.to_httpx() if isinstance(response, Reply) else response


def raw_headers(headers: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    """`headers` as sent, names in their own case (`httpx.Headers` keeps it in `.raw` only)."""
    if isinstance(headers, httpx.Headers):
        return list(headers.raw)
    return [(k.encode("ascii"), v.encode("ascii")) for k, v in headers.items()]
