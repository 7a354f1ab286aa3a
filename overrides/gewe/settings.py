"""What a client is configured with, checked once: token, base URL, headers, timeouts, limits.

Everything a user passes is checked here, and anything that cannot work is a `GeweConfigError`
naming the setting (`.setting`), never a raw TypeError, ValueError or httpx error later.

Timeouts (`timeout=` on a client, `with_options` or a call):

* a positive number of seconds bounds **each attempt as a whole**, from opening the connection to
  the reply's last byte (each phase — connect, write, each read — is bounded by it too);
* an `httpx.Timeout` sets the phases as httpx does, and the whole attempt is bounded by its
  largest value;
* `None` on a client means no limit (on a call, `None` means "the client's");
* 0, a negative number, NaN or infinity is refused with a `GeweConfigError` (`setting="timeout"`),
  in both clients alike.
"""

from __future__ import annotations

import base64
import copy
import json
import math
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from ._version import __version__
from .errors import GeweConfigError
from .pacing import Pacer, Pacing
from .tokens import Redactor, check_token, redactor_for

if TYPE_CHECKING:
    from .retry import RetryPolicy  # attrs: loaded when the first client is made

DEFAULT_BASE_URL = "http://api.geweapi.com"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_CONNECTIONS = 100
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
TOKEN_HEADER = "X-GEWE-TOKEN"
# Headers the client sets itself: a caller setting them would break the request or the token.
_RESERVED_HEADERS = {h.lower(): h for h in (TOKEN_HEADER, "Content-Length", "Transfer-Encoding", "Host")}
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
_URL_CACHE_SIZE = 256
# json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False), without making an
# encoder per call (json.dumps only reuses its own for default arguments).
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def check_retries(max_retries: object) -> int:
    if type(max_retries) is not int or max_retries < 0:
        raise GeweConfigError(
            f"max_retries must be an integer >= 0, got {max_retries!r}", setting="max_retries"
        )
    return max_retries


def _seconds(value: object, setting: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise GeweConfigError(
            f"{setting} must be a positive number of seconds (None: no limit), got {value!r}",
            setting=setting,
        )
    return float(value)


def check_max_bytes(value: object, setting: str = "max_response_bytes") -> int:
    if type(value) is not int or value < 1:
        raise GeweConfigError(f"{setting} must be an integer >= 1, got {value!r}", setting=setting)
    return value


class Timeouts:
    """The phases sent to the transport (`httpx.Timeout`) and the whole attempt's limit, in seconds
    (`deadline`, also what errors report as `.timeout`; None: no limit). Immutable.

    A plain class rather than attrs, so that `import gewe` does not load attrs (bench/: section 3).
    """

    __slots__ = ("deadline", "phases")
    phases: httpx.Timeout
    deadline: float | None

    def __init__(self, phases: httpx.Timeout, deadline: float | None) -> None:
        object.__setattr__(self, "phases", phases)
        object.__setattr__(self, "deadline", deadline)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Timeouts is immutable: cannot set {name}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Timeouts):
            return NotImplemented
        return (self.phases, self.deadline) == (other.phases, other.deadline)

    def __hash__(self) -> int:
        return hash((tuple(self.phases.as_dict().items()), self.deadline))

    def __repr__(self) -> str:
        return f"Timeouts(phases={self.phases!r}, deadline={self.deadline!r})"

    @classmethod
    def of(cls, timeout: object) -> Timeouts:
        if timeout is None:
            return cls(httpx.Timeout(None), None)
        if isinstance(timeout, httpx.Timeout):
            values = [v for v in timeout.as_dict().values() if v is not None]
            for value in values:
                _seconds(value, "timeout")
            return cls(timeout, max(values) if values else None)
        seconds = _seconds(timeout, "timeout")
        return cls(httpx.Timeout(seconds), seconds)

    def as_dict(self) -> dict[str, float | None]:
        return self.phases.as_dict()


def check_headers(headers: object, what: str) -> dict[str, str]:
    """Headers a caller adds: names and values HTTP can carry, never one the client sets itself."""
    if not isinstance(headers, Mapping):
        raise GeweConfigError(f"{what} must map header names to strings", setting=what)
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise GeweConfigError(f"{what} must map header names to strings", setting=what)
        reserved = _RESERVED_HEADERS.get(name.strip().lower())
        if reserved is not None:
            why = "the client's token is its only token" if reserved == TOKEN_HEADER else "the client sets it"
            raise GeweConfigError(f"{what} cannot set {reserved}: {why}", setting=what)
        if not _HEADER_NAME.fullmatch(name):
            raise GeweConfigError(f"{what}: {name!r} is not a valid header name", setting=what)
        if not _HEADER_VALUE.fullmatch(value):
            raise GeweConfigError(
                f"{what}: the value of {name} must be printable ASCII (no line breaks)", setting=what
            )
    return dict(headers)


def check_pool(http_client: object, transport: object, client_type: type, transport_type: type) -> None:
    """`http_client` and `transport` are either-or, and each of the type the client sends with."""
    if http_client is not None and transport is not None:
        raise GeweConfigError("pass either http_client or transport, not both", setting="transport")
    if http_client is not None and not isinstance(http_client, client_type):
        raise GeweConfigError(f"http_client must be an httpx.{client_type.__name__}", setting="http_client")
    if transport is not None and not isinstance(transport, transport_type):
        raise GeweConfigError(f"transport must be an httpx.{transport_type.__name__}", setting="transport")


def _parse_base_url(base_url: str) -> tuple[httpx.URL, str | None]:
    """The base URL without credentials, and `user:password` when it had some."""
    problem = None
    try:
        url = httpx.URL(base_url)
        url.port  # noqa: B018  (httpx checks the port when it is read)
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        url, problem = httpx.URL(), str(exc).split(":")[0] or "it cannot be parsed"
    if problem is None and url.scheme not in ("http", "https"):
        problem = "it must start with http:// or https://"
    elif problem is None and not url.host:
        problem = "it has no host"
    elif problem is None and url.port is not None and not 0 < url.port < 65536:
        problem = f"port {url.port} is out of range"
    elif problem is None and (url.query or url.fragment):
        problem = "it cannot have a query or a fragment"
    if problem is not None:
        shown = re.sub(r"//[^/@]*@", "//***@", base_url)
        raise GeweConfigError(f"base_url {shown!r} is not a valid URL: {problem}", setting="base_url")
    userinfo = url.userinfo.decode("latin-1") if url.userinfo else None
    clean = url.copy_with(username=None, password=None) if userinfo else url
    return clean, userinfo


class Settings:
    """What both clients are configured with; the token never leaves through repr or errors."""

    def __init__(
        self,
        token: str | None,
        app_id: str | None,
        base_url: str | None,
        timeout: object,
        max_retries: int,
        retry_policy: RetryPolicy | None,
        strict: bool = False,
        default_headers: Mapping[str, str] | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        send_interval: float | None = None,
        pacing: Pacing | None = None,
    ) -> None:
        if token is None:
            token = os.environ.get("GEWE_TOKEN")
            if token is None:
                raise GeweConfigError("no GeWe token: pass token=... or set GEWE_TOKEN", setting="token")
            token = check_token(token, "GEWE_TOKEN")
        else:
            token = check_token(token)
        if not isinstance(base_url, str | None):
            raise GeweConfigError("base_url must be a string", setting="base_url")
        base, userinfo = _parse_base_url(base_url or os.environ.get("GEWE_BASE_URL") or DEFAULT_BASE_URL)
        check_retries(max_retries)
        from .retry import RetryPolicy

        if retry_policy is not None and not isinstance(retry_policy, RetryPolicy):
            raise GeweConfigError("retry_policy must be a gewe.RetryPolicy", setting="retry_policy")
        secrets = [token]
        if userinfo:
            secrets += [userinfo, *[part for part in userinfo.split(":", 1)[1:] if len(part) >= 4]]
        self.token = token  # never in repr, logs or errors: see describe() and self.redactor
        self.redactor: Redactor = redactor_for(*secrets)
        self.app_id = app_id if app_id is not None else (os.environ.get("GEWE_APP_ID") or None)
        self.base_url = str(base).rstrip("/")  # no credentials: those go in an Authorization header
        self.shown_base_url = self.base_url.replace("://", "://***@", 1) if userinfo else self.base_url
        self.timeout = Timeouts.of(timeout)
        self.retry_policy = retry_policy or RetryPolicy(max_retries=max_retries)
        self.max_response_bytes = check_max_bytes(max_response_bytes)
        self.send_interval = None if send_interval is None else _seconds(send_interval, "send_interval")
        self.pacer = Pacer()  # shared by `with_options` copies
        if pacing is not None and not isinstance(pacing, Pacing):
            raise GeweConfigError("pacing must be a gewe.pacing.Pacing or RedisPacing", setting="pacing")
        self.pacing = pacing  # shared by `with_options` copies, and by any client given the same one
        extra = check_headers(default_headers or {}, "default_headers")
        if userinfo and not any(k.lower() == "authorization" for k in extra):
            extra["Authorization"] = "Basic " + base64.b64encode(userinfo.encode("latin-1")).decode()
        # What httpx would send, then ours; the same for both clients.
        self.headers: dict[str, str] = {
            "Accept": "*/*",
            "Accept-Encoding": "gzip, deflate",  # what gewe._body decodes
            "Connection": "keep-alive",
            "User-Agent": f"gewe-sdk/{__version__}",
            **extra,
            "Content-Type": "application/json",
            TOKEN_HEADER: token,
        }
        # The same, as httpx keeps them: a request copies this list instead of re-encoding each header.
        self.http_headers = httpx.Headers(self.headers)
        self.strict = bool(strict)  # see gewe.envelope: a reply that contradicts the spec
        self.reported: set[tuple[str, str]] = set()  # (operation, field) already logged
        self._urls: dict[str, httpx.URL] = {}

    def resolve_app_id(self, app_id: str | None) -> str:
        """The call's app id, else the client's. Only None is missing: an explicit "" is sent as
        "" (GeWe's first login asks for a QR code with an empty appId to create the device)."""
        resolved = app_id if app_id is not None else self.app_id
        if resolved is None:
            raise GeweConfigError(
                "no GeWe app id: pass app_id=... to the call or the client, or set GEWE_APP_ID",
                setting="app_id",
            )
        return resolved

    def evolve(self, **changes: Any) -> Settings:
        """A copy with the given settings changed (None keeps a setting as it is)."""
        import attrs

        from .retry import RetryPolicy

        new = copy.copy(self)
        if changes.get("timeout") is not None:
            new.timeout = Timeouts.of(changes["timeout"])
        if changes.get("retry_policy") is not None:
            if not isinstance(changes["retry_policy"], RetryPolicy):
                raise GeweConfigError("retry_policy must be a gewe.RetryPolicy", setting="retry_policy")
            new.retry_policy = changes["retry_policy"]
        if changes.get("max_retries") is not None:
            retries = check_retries(changes["max_retries"])
            new.retry_policy = attrs.evolve(new.retry_policy, max_retries=retries)
        if changes.get("app_id") is not None:
            new.app_id = changes["app_id"]
        if changes.get("strict") is not None:
            new.strict = bool(changes["strict"])
        if changes.get("max_response_bytes") is not None:
            new.max_response_bytes = check_max_bytes(changes["max_response_bytes"])
        if changes.get("send_interval") is not None:
            new.send_interval = _seconds(changes["send_interval"], "send_interval")
        return new

    def url(self, path: str) -> httpx.URL:
        """The URL for an operation's path (cached: the spec's paths are few)."""
        url = self._urls.get(path)
        if url is None:
            try:
                url = httpx.URL(self.base_url + path)
            except (httpx.InvalidURL, TypeError, ValueError):
                raise GeweConfigError(f"{path!r} is not a valid path", setting="path") from None
            if len(self._urls) >= _URL_CACHE_SIZE:
                self._urls.clear()
            self._urls[path] = url
        return url

    def encode(self, body: dict[str, Any], extra_body: object) -> tuple[bytes, dict[str, Any]]:
        """The request's JSON bytes (as httpx's `json=` makes them), with the caller's extra fields."""
        if extra_body:
            if not isinstance(extra_body, Mapping) or not all(isinstance(k, str) for k in extra_body):
                raise GeweConfigError("extra_body must map field names to values", setting="extra_body")
            body = {**body, **extra_body}
        try:
            content = _JSON.encode(body).encode()
        except (TypeError, ValueError, RecursionError) as exc:  # UnicodeEncodeError is a ValueError
            setting = "extra_body" if extra_body else "body"
            detail = self.redactor.text(str(exc))
            message = f"the request body cannot be sent as JSON: {detail}"
            raise GeweConfigError(message, setting=setting) from None
        return content, body

    def describe(self, cls: type) -> str:
        return f"{cls.__name__}(base_url={self.shown_base_url!r}, app_id={self.app_id!r}, token='***')"
