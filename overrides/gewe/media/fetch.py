"""Fetching a download's `fileUrl` with a size limit, and writing it atomically."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from ..errors import GeweMediaError

TIMEOUT = httpx.Timeout(60.0, connect=10.0)


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"  # never the query (it may hold a signature)


def _too_large(url: str, limit: int) -> GeweMediaError:
    return GeweMediaError(f"the download at {_where(url)} is over max_bytes ({limit} bytes)")


class _Body:
    """The reply's bytes as they arrive, checked against the status and the limit."""

    def __init__(self, url: str, limit: int, status: int) -> None:
        if status != 200:
            raise GeweMediaError(f"downloading {_where(url)} failed: HTTP {status}")
        self.url, self.limit, self.data = url, limit, bytearray()

    def add(self, chunk: bytes) -> None:
        self.data += chunk
        if len(self.data) > self.limit:
            raise _too_large(self.url, self.limit)


def fetch(url: str, limit: int) -> bytes:
    """The body at `url`; a GeweMediaError past `limit` bytes (counted as they arrive) or on failure."""
    try:
        with (
            httpx.Client(timeout=TIMEOUT, follow_redirects=True) as client,
            client.stream("GET", url) as reply,
        ):
            if reply.status_code != 200:
                raise GeweMediaError(f"downloading {_where(url)} failed: HTTP {reply.status_code}")
            body = bytearray()
            for chunk in reply.iter_bytes():
                body += chunk
                if len(body) > limit:
                    raise _too_large(url, limit)
            return bytes(body)
    except httpx.HTTPError as exc:
        raise GeweMediaError(f"downloading {_where(url)} failed: {type(exc).__name__}: {exc}") from None


async def afetch(url: str, limit: int) -> bytes:
    """`fetch` for async code."""
    try:
        async with (
            httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=True) as client,
            client.stream("GET", url) as reply,
        ):
            body = _Body(url, limit, reply.status_code)
            async for chunk in reply.aiter_bytes():
                body.add(chunk)
            return bytes(body.data)
    except httpx.HTTPError as exc:
        raise GeweMediaError(f"downloading {_where(url)} failed: {type(exc).__name__}: {exc}") from None


def write_atomically(target: Path, data: bytes) -> Path:
    """Write `data` to a temporary file beside `target`, then move it onto `target`."""
    temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        with open(temp, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise GeweMediaError(f"cannot write {target}: {exc.strerror or exc}") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return target
