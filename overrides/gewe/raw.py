"""`RawResponse`: one call's HTTP reply next to its parsed result (`client.with_raw_response(...)`).

    raw = client.with_raw_response(client.group.get_chatroom_qr_code, chatroom_id="1@chatroom")
    raw.status_code, raw.headers["date"], raw.http_response.elapsed
    qr = raw.parse()          # what the method itself returns

The call runs exactly as it would without it (retries, errors, overrides), so a failing call
raises its `GeweError` as usual; the reply kept is the one the result was read from.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import httpx

T = TypeVar("T")


class RawResponse(Generic[T]):
    """The `httpx.Response` a call was answered with, and `.parse()` for the call's result."""

    __slots__ = ("_parsed", "http_response")

    def __init__(self, http_response: httpx.Response, parsed: T) -> None:
        self.http_response = http_response
        self._parsed = parsed

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def content(self) -> bytes:
        return self.http_response.content

    def json(self) -> Any:
        return self.http_response.json()

    def parse(self) -> T:
        """The call's result, as the method returns it."""
        return self._parsed

    def __repr__(self) -> str:
        return f"<RawResponse [{self.status_code}] {self.http_response.request.url.path}>"
