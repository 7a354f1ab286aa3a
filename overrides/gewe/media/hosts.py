"""Media hosts: where local bytes are put so that GeWe's servers can fetch them by URL.

Every GeWe media send takes a URL, never bytes. A host publishes bytes under a URL GeWe can reach
and removes them again once the send returned (GeWe fetches while it handles the call) or, at
the latest, when they expire:

- `ReceiverMediaHost`: the bot's own aiohttp server (the receiver's, or one of its own) serves
  them from memory under a secret prefix, each URL signed (HMAC-SHA256) and expiring.
- `DirectoryMediaHost`: a folder the user's web server already serves, and its URL prefix.
- `gewe.media.s3.S3MediaHost`: S3-compatible object storage, presigned GET URLs (extra `s3`).
- anything else with `publish`/`remove` (the `MediaHost` protocol).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import logging
import os
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from urllib.parse import quote

from .._serving import binding
from ..errors import GeweConfigError, GeweMediaError

if TYPE_CHECKING:
    from aiohttp import web

DEFAULT_TTL = 600.0  # seconds a published object stays fetchable at most


@dataclass(frozen=True)
class Hosted:
    """One published object: the URL to give GeWe and the host's own key for it."""

    url: str = field(repr=False)  # may carry a signature
    key: str
    expires_at: float  # time.time() after which it is gone


@runtime_checkable
class MediaHost(Protocol):
    """Publishes bytes under a URL GeWe's servers can fetch; removes them when asked.

    Both methods are called from a worker thread by `AsyncGeweClient` (they may block).
    """

    def publish(self, data: bytes, *, name: str, content_type: str) -> Hosted: ...

    def remove(self, hosted: Hosted) -> None: ...


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str, default: str = "file") -> str:
    """A file name safe in a URL path and on disk (the extension kept)."""
    cleaned = _SAFE_NAME.sub("_", os.path.basename(name or "")).strip("._")
    return cleaned[:100] or default


def _check_ttl(ttl: float, setting: str = "ttl") -> float:
    """`ttl` (or the setting named), a positive number of seconds; else a GeweConfigError."""
    if not isinstance(ttl, int | float) or not 0 < ttl < float("inf"):
        raise GeweConfigError(f"{setting} must be a positive number of seconds, got {ttl!r}", setting=setting)
    return float(ttl)


def _check_base(url: str, what: str) -> str:
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise GeweConfigError(f"{what} must be an http:// or https:// URL, got {url!r}", setting=what)
    return url.rstrip("/")


class DirectoryMediaHost:
    """A folder your web server already serves at `url_prefix` (e.g. nginx `location /media/`).

    Files are written atomically under random names (`<32 hex>-<name>`) and deleted after the send;
    files of ours older than `ttl` (left by a crash) are swept on each publish.
    """

    def __init__(
        self, directory: str | os.PathLike[str], url_prefix: str, *, ttl: float = DEFAULT_TTL
    ) -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise GeweConfigError(f"media directory {self.directory} does not exist", setting="directory")
        self.url_prefix = _check_base(url_prefix, "url_prefix")
        self.ttl = _check_ttl(ttl)

    def __repr__(self) -> str:
        return f"DirectoryMediaHost({str(self.directory)!r}, {self.url_prefix!r}, ttl={self.ttl})"

    _OURS = re.compile(r"^[0-9a-f]{32}-")

    def publish(self, data: bytes, *, name: str, content_type: str) -> Hosted:
        self.sweep()
        key = f"{secrets.token_hex(16)}-{safe_name(name)}"
        fd, tmp = tempfile.mkstemp(prefix=".gewe-", dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)  # the web server reads it
            os.replace(tmp, self.directory / key)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return Hosted(f"{self.url_prefix}/{quote(key)}", key, time.time() + self.ttl)

    def remove(self, hosted: Hosted) -> None:
        (self.directory / hosted.key).unlink(missing_ok=True)

    def sweep(self) -> int:
        """Delete files of ours older than `ttl`; how many."""
        cutoff = time.time() - self.ttl
        gone = 0
        for path in self.directory.iterdir():
            if self._OURS.match(path.name):
                try:
                    if path.stat().st_mtime < cutoff:
                        path.unlink()
                        gone += 1
                except FileNotFoundError:
                    pass
        return gone


@dataclass
class _Object:
    data: bytes
    content_type: str
    name: str
    expires_at: float


class ReceiverMediaHost:
    """Media served by the bot itself, from memory, under a secret prefix, with signed, expiring URLs.

    `public_url` is where GeWe reaches this server from outside (the same base as the callback
    URL, e.g. https://bot.example.com); the media live under `prefix` (default: a random
    `/media/<secret>/`). Serve it with the receiver (`Receiver(..., media=host)`), inside any aiohttp
    app (`host.add_to(app)`), on its own (`await host.start(port=...)`), or, from sync code, on its
    own server in a thread of its own (`with host.serving(port=...):`).

    Each URL is `<public_url><prefix><key>.<expiry>.<HMAC-SHA256>/<name>`: a URL that was not made
    here, was changed, or has expired is answered 404, as is an object already removed. At most
    `max_bytes` are held at once (publishing more is a GeweMediaError).
    """

    def __init__(
        self,
        public_url: str,
        *,
        secret: bytes | str | None = None,
        prefix: str | None = None,
        ttl: float = DEFAULT_TTL,
        max_bytes: int = 256 << 20,
    ) -> None:
        self.public_url = _check_base(public_url, "public_url")
        if prefix is None:
            prefix = f"/media/{secrets.token_urlsafe(18)}/"
        if not prefix.startswith("/") or not prefix.endswith("/") or "{" in prefix:
            raise GeweConfigError(
                "prefix must start and end with '/' (e.g. '/media/<secret>/')", setting="prefix"
            )
        self._prefix = prefix
        raw = secret.encode() if isinstance(secret, str) else secret
        self._secret = raw if raw else secrets.token_bytes(32)
        self.ttl = _check_ttl(ttl)
        self.max_bytes = max_bytes
        self._objects: dict[str, _Object] = {}
        self._held = 0
        self._lock = threading.Lock()
        self._runner: web.AppRunner | None = None
        self.url: str | None = None  # where `start` listens (local)
        self.served = 0  # successful fetches

    def __repr__(self) -> str:  # never the prefix or the secret
        return f"ReceiverMediaHost({self.public_url!r}, ttl={self.ttl}, objects={len(self._objects)})"

    # -- publishing --------------------------------------------------------------------------

    def _sign(self, key: str, expires: int, name: str) -> str:
        mac = hmac.new(self._secret, f"{key}.{expires}.{name}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def publish(self, data: bytes, *, name: str, content_type: str) -> Hosted:
        now = time.time()
        expires = int(now + self.ttl) + 1
        key = secrets.token_hex(12)
        name = safe_name(name)
        with self._lock:
            self._sweep(now)
            if self._held + len(data) > self.max_bytes:
                raise GeweMediaError(
                    f"the media host holds {self._held} bytes; {len(data)} more would pass its max_bytes "
                    f"({self.max_bytes})"
                )
            self._objects[key] = _Object(data, content_type, name, float(expires))
            self._held += len(data)
        token = f"{key}.{expires}.{self._sign(key, expires, name)}"
        return Hosted(f"{self.public_url}{self._prefix}{token}/{name}", key, float(expires))

    def remove(self, hosted: Hosted) -> None:
        with self._lock:
            found = self._objects.pop(hosted.key, None)
            if found is not None:
                self._held -= len(found.data)

    def _sweep(self, now: float) -> None:
        for key in [k for k, o in self._objects.items() if o.expires_at <= now]:
            self._held -= len(self._objects.pop(key).data)

    def __len__(self) -> int:
        return len(self._objects)

    def lookup(self, path: str) -> _Object | None:
        """The object a request path names, if it is signed, unexpired and still held."""
        if not path.startswith(self._prefix):
            return None
        token, _, name = path[len(self._prefix) :].partition("/")
        key, _, rest = token.partition(".")
        expires_text, _, signature = rest.partition(".")
        if not (key and expires_text.isdigit() and signature and name):
            return None
        expires = int(expires_text)
        if not hmac.compare_digest(signature, self._sign(key, expires, name)):
            return None
        now = time.time()
        with self._lock:
            self._sweep(now)
            found = self._objects.get(key)
        if found is None or expires <= now or found.name != name:
            return None
        return found

    # -- serving -----------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        from aiohttp import web

        if request.method not in ("GET", "HEAD"):
            return web.Response(status=405)
        found = self.lookup(request.path)
        if found is None:
            return web.Response(status=404)
        self.served += 1
        return web.Response(
            body=found.data,
            content_type=found.content_type,
            headers={"Cache-Control": "no-store", "Content-Disposition": f'inline; filename="{found.name}"'},
        )

    def add_to(self, app: web.Application) -> None:
        """Serve the media inside an existing aiohttp app (before its other routes)."""
        app.router.add_route("*", self._prefix + "{tail:.*}", self.handle)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on its own aiohttp server; returns the local URL (put your public URL in front)."""
        from aiohttp import web

        if self._runner is not None:
            raise GeweConfigError(f"this media host is already serving at {self.url}")
        app = web.Application()
        self.add_to(app)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)  # the prefix is secret
        await runner.setup()
        async with binding(runner, host, port):
            await web.TCPSite(runner, host, port).start()
        self._runner = runner
        bound = runner.addresses[0]
        self.url = f"http://{bound[0]}:{bound[1]}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @contextlib.contextmanager
    def serving(self, host: str = "127.0.0.1", port: int = 0, *, timeout: float = 10.0) -> Iterator[str]:
        """For sync code: serve on its own aiohttp server, on an event loop in a daemon thread of its
        own, until the `with` block ends; gives the local URL (put your public URL in front).

            host = ReceiverMediaHost("https://bot.example.com")
            with host.serving(port=8081):                 # your proxy forwards the prefix here
                set_media_host(client, host)
                client.message.send_voice("wxid_friend", "hello.mp3")

        Starting and stopping each take at most `timeout` s: a server not listening by then is a
        GeweMediaError (a port in use a GeweConfigError, at once); one not stopped by then is logged
        at WARNING on the `gewe` logger and its event loop ended anyway, so leaving the block never
        hangs.
        """
        from .._loop_thread import LoopThread, NotInTime

        _check_ttl(timeout, "timeout")
        worker = LoopThread("gewe-media-host")
        try:
            url = worker.run(self.start(host, port), timeout)
        except NotInTime:
            worker.close(timeout)
            raise GeweMediaError(
                f"the media host did not start listening on {host}:{port} within {timeout} s"
            ) from None
        except BaseException:
            worker.close(timeout)
            raise
        try:
            yield url
        finally:
            try:
                worker.run(self.stop(), timeout)
            except Exception as exc:  # never hide the block's own outcome
                logging.getLogger("gewe").warning(
                    "the media host at %s did not stop cleanly within %s s (%s); its event loop ended anyway",
                    url,
                    timeout,
                    type(exc).__name__,
                )
            worker.close(timeout)
            self._runner = None  # its loop has ended: the host can be served again
