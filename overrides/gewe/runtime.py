"""What a client and its `with_options` copies share at run time: the send pacing (`send_interval`'s
schedule, and the `pacing=` turns the user gave), the fields of
replies already reported as contradicting the spec, and the URLs made per operation path.

Settings (`gewe.settings`) are frozen values; this is the mutable state next to them, one object per
client, handed to every call.
"""

from __future__ import annotations

import threading

import httpx

from .errors import GeweConfigError
from .pacing import Pacer, Pacing

URL_CACHE_SIZE = 256


class Shared:
    """A client's runtime state, shared by its `with_options` copies."""

    __slots__ = ("_urls", "base_url", "closing", "pacer", "pacing", "reported")

    def __init__(self, base_url: str, pacing: Pacing | None = None) -> None:
        if pacing is not None and not isinstance(pacing, Pacing):
            raise GeweConfigError("pacing must be a gewe.pacing.Pacing or RedisPacing", setting="pacing")
        self.base_url = base_url
        self.pacer = Pacer()  # send_interval; see gewe.pacing
        self.pacing = pacing  # pacing=: the user's, shared with every client given it
        self.reported: set[tuple[str, str]] = set()  # (operation, field) already logged
        self._urls: dict[str, httpx.URL] = {}
        self.closing = threading.Event()  # set when GeweClient closes its pool: wakes calls waiting to retry

    def url(self, path: str) -> httpx.URL:
        """The URL for an operation's path: one object per path (senders cache by its identity)."""
        url = self._urls.get(path)
        if url is None:
            try:
                url = httpx.URL(self.base_url + path)
            except (httpx.InvalidURL, TypeError, ValueError):
                raise GeweConfigError(f"{path!r} is not a valid path", setting="path") from None
            if len(self._urls) >= URL_CACHE_SIZE:
                self._urls.clear()
            self._urls[path] = url
        return url
