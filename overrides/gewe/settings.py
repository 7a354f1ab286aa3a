"""What a client is configured with, checked once: token, base URL, headers, timeouts, limits.

`Settings` is frozen and keyword-only. `Settings.create` reads a client's constructor arguments
(and the environment); `Settings.resolve` is the one place options change, shared by `with_options`
and per-call options (gewe.call). There `UNSET` (the default) keeps a setting, and `None` means
what it says: no limit for `timeout`, no pacing for `send_interval`, no default for `app_id`; for
the settings that have no "none" (`max_retries`, `retry_policy`, `strict`, `max_response_bytes`)
it keeps them. (The generated methods pass None for a per-call option not given, so on a call None
keeps the client's setting.)

Everything a user passes is checked here, and anything that cannot work is a `GeweConfigError`
naming the setting (`.setting`), never a raw TypeError, ValueError or httpx error later.

Timeouts (`timeout=` on a client, `with_options` or a call):

* a positive number of seconds bounds **each attempt as a whole**, from opening the connection to
  the reply's last byte (each phase — connect, write, each read — is bounded by it too);
* an `httpx.Timeout` sets the phases as httpx does, and the whole attempt is bounded by its
  largest value;
* `None` on a client or in `with_options` means no limit (on a call: the client's);
* 0, a negative number, NaN or infinity is refused with a `GeweConfigError` (`setting="timeout"`),
  in both clients alike.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import json
import math
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeAlias, TypeVar

import httpx

from ._version import __version__
from .errors import GeweConfigError
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


class _Unset(enum.Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


#: "Not given": keeps a setting as it is (`None` is a value: see the module docstring).
UNSET: Final = _Unset.UNSET
V = TypeVar("V")
Maybe: TypeAlias = V | _Unset


class Timeouts(NamedTuple):
    """The phase limits (`httpx.Timeout`) and the whole attempt's limit in seconds (`total`, also
    what errors report as `.timeout`; None: no limit). Immutable."""

    phases: httpx.Timeout
    total: float | None

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


NO_LIMIT = Timeouts(httpx.Timeout(None), None)


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


#: The path every operation's path starts with; GeWe's docs write it as part of the API root.
_API_ROOT_PATH = "/gewe/v2/api"


def _base_url_from(base_url: str | None) -> str:
    """The base URL a client uses: the argument, else GEWE_BASE_URL, else the public cloud; stripped
    of surrounding whitespace. An explicit empty argument is a GeweConfigError (it would otherwise
    send the token to the public cloud); an empty variable means it is not set."""
    if base_url is not None:
        if not base_url.strip():
            raise GeweConfigError(
                f"base_url is empty: pass the API's root URL (e.g. {DEFAULT_BASE_URL}), or leave base_url "
                "out to use GEWE_BASE_URL or the default",
                setting="base_url",
            )
        return base_url.strip()
    return (os.environ.get("GEWE_BASE_URL") or "").strip() or DEFAULT_BASE_URL


def _parse_base_url(base_url: str) -> tuple[httpx.URL, str | None]:
    """The base URL without credentials (and without a trailing `/gewe/v2/api`, which every
    operation's path starts with), and `user:password` when it had some."""
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
    path = clean.path.rstrip("/")
    if path.endswith(_API_ROOT_PATH):  # as GeWe's docs write the root: each path adds it again
        clean = clean.copy_with(path=path.removesuffix(_API_ROOT_PATH) or "/")
    return clean, userinfo


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Settings:
    """What a client is configured with; the token never leaves through repr or errors."""

    token: str = dataclasses.field(repr=False)  # never in repr, logs or errors: see describe()
    redactor: Redactor = dataclasses.field(repr=False)
    base_url: str  # no credentials: those go in an Authorization header
    shown_base_url: str
    headers: Mapping[str, str] = dataclasses.field(repr=False)  # what httpx would send, then ours
    http_headers: httpx.Headers = dataclasses.field(repr=False)  # the same, as httpx keeps them
    app_id: str | None = None
    timeout: Timeouts = NO_LIMIT
    retry_policy: RetryPolicy
    strict: bool = False  # see gewe.envelope: a reply that contradicts the spec
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    send_interval: float | None = None

    @classmethod
    def create(
        cls,
        *,
        token: str | None,
        app_id: str | None,
        base_url: str | None,
        timeout: object,
        max_retries: int,
        retry_policy: RetryPolicy | None,
        strict: bool,
        default_headers: Mapping[str, str] | None,
        max_response_bytes: int,
        send_interval: float | None,
    ) -> Settings:
        """A client's settings from its constructor's arguments and the environment (GEWE_TOKEN,
        GEWE_APP_ID, GEWE_BASE_URL).

        The base URL is stripped of surrounding whitespace, and of a trailing `/gewe/v2/api` (GeWe's
        docs write the API root so; every operation's path starts with it): `http://host/gewe/v2/api/`
        is `http://host`. `base_url=""` is a GeweConfigError; an empty GEWE_BASE_URL means unset.
        """
        if token is None:
            token = os.environ.get("GEWE_TOKEN")
            if token is None:
                raise GeweConfigError("no GeWe token: pass token=... or set GEWE_TOKEN", setting="token")
            token = check_token(token, "GEWE_TOKEN")
        else:
            token = check_token(token)
        if not isinstance(base_url, str | None):
            raise GeweConfigError("base_url must be a string", setting="base_url")
        base, userinfo = _parse_base_url(_base_url_from(base_url))
        from .retry import RetryPolicy

        secrets = [token]
        if userinfo:
            secrets += [userinfo, *[part for part in userinfo.split(":", 1)[1:] if len(part) >= 4]]
        extra = check_headers(default_headers or {}, "default_headers")
        if userinfo and not any(k.lower() == "authorization" for k in extra):
            extra["Authorization"] = "Basic " + base64.b64encode(userinfo.encode("latin-1")).decode()
        headers = {
            "Accept": "*/*",
            "Accept-Encoding": "gzip, deflate",  # what gewe.transport.body decodes
            "Connection": "keep-alive",
            "User-Agent": f"gewe-sdk/{__version__}",
            **extra,
            "Content-Type": "application/json",
            TOKEN_HEADER: token,
        }
        clean = str(base).rstrip("/")
        check_retries(max_retries)
        settings = cls(
            token=token,
            redactor=redactor_for(*secrets),
            base_url=clean,
            shown_base_url=clean.replace("://", "://***@", 1) if userinfo else clean,
            headers=headers,
            http_headers=httpx.Headers(headers),
            retry_policy=RetryPolicy(),
        )
        return settings.resolve(
            app_id=app_id if app_id is not None else (os.environ.get("GEWE_APP_ID") or None),
            timeout=timeout,
            retry_policy=UNSET if retry_policy is None else retry_policy,
            max_retries=max_retries if retry_policy is None else UNSET,
            strict=strict,
            max_response_bytes=max_response_bytes,
            send_interval=send_interval,
        )

    def resolve(
        self,
        *,
        app_id: Maybe[str | None] = UNSET,
        timeout: Maybe[object] = UNSET,
        max_retries: Maybe[int | None] = UNSET,
        retry_policy: Maybe[RetryPolicy | None] = UNSET,
        strict: Maybe[bool | None] = UNSET,
        max_response_bytes: Maybe[int | None] = UNSET,
        send_interval: Maybe[float | None] = UNSET,
    ) -> Settings:
        """These settings with the given ones changed, each checked (see the module docstring for
        `UNSET` and `None`); the same object when nothing changes."""
        changes: dict[str, Any] = {}
        if app_id is not UNSET:
            if app_id is not None and not isinstance(app_id, str):
                raise GeweConfigError(
                    f"app_id must be a string, got {type(app_id).__name__}", setting="app_id"
                )
            changes["app_id"] = app_id
        if timeout is not UNSET:
            changes["timeout"] = Timeouts.of(timeout)
        policy = self.retry_policy
        if retry_policy is not UNSET and retry_policy is not None:
            from .retry import RetryPolicy

            if not isinstance(retry_policy, RetryPolicy):
                raise GeweConfigError("retry_policy must be a gewe.RetryPolicy", setting="retry_policy")
            policy = retry_policy
        if max_retries is not UNSET and max_retries is not None:
            import attrs  # RetryPolicy is an attrs class (loaded with the client's settings)

            policy = attrs.evolve(policy, max_retries=check_retries(max_retries))
        if policy is not self.retry_policy:
            changes["retry_policy"] = policy
        if strict is not UNSET and strict is not None:
            changes["strict"] = bool(strict)
        if max_response_bytes is not UNSET and max_response_bytes is not None:
            changes["max_response_bytes"] = check_max_bytes(max_response_bytes)
        if send_interval is not UNSET:
            changes["send_interval"] = (
                None if send_interval is None else _seconds(send_interval, "send_interval")
            )
        return dataclasses.replace(self, **changes) if changes else self

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
