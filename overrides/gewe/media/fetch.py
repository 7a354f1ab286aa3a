"""Fetching a download's `fileUrl` with a size limit, and writing it atomically."""

from __future__ import annotations

import contextlib
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


def check_target(to: object) -> Path:
    """The path a download is written to, checked before anything is downloaded: a GeweMediaError
    when it names no file (".", "..", "/", ""), is a folder, or its folder does not exist."""
    if not isinstance(to, str | os.PathLike):
        raise GeweMediaError(f"to= is a path (str or os.PathLike), not {type(to).__name__}")
    try:
        text = os.fspath(to)
    except TypeError:  # an os.PathLike whose __fspath__ gives bytes or something else
        raise GeweMediaError("to= is a path (str or os.PathLike) that gives a str") from None
    if not isinstance(text, str):
        raise GeweMediaError(f"to= is a path that gives a str, not {type(text).__name__}")
    if "\0" in text:
        raise GeweMediaError(f"cannot write {text!r}: a path cannot contain a NUL character")
    target = Path(text)
    if not text or target.name in ("", ".", ".."):
        raise GeweMediaError(f"cannot write to {text!r}: it names no file")
    if target.is_dir():
        raise GeweMediaError(f"cannot write {target}: it is a folder (give a file name in it)")
    folder = target.parent
    if not folder.is_dir():
        problem = "is not a folder" if folder.exists() else "does not exist"
        raise GeweMediaError(f"cannot write {target}: {folder} {problem} (no folder is created)")
    return target


def write_atomically(target: Path, data: bytes) -> Path:
    """Write `data` to a temporary file beside `target`, then move it onto `target`; any failure
    is a GeweMediaError, with `target` as it was and no temporary file left."""
    temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        with open(temp, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except (OSError, ValueError) as exc:  # ValueError: a path the OS cannot take
        with contextlib.suppress(OSError, ValueError):
            temp.unlink(missing_ok=True)
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise GeweMediaError(f"cannot write {target}: {detail}") from None
    except BaseException:
        with contextlib.suppress(OSError, ValueError):
            temp.unlink(missing_ok=True)
        raise
    return target
