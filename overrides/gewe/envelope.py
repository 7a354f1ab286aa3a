"""GeWe's reply envelope `{ret, msg, data}`: from an HTTP reply to typed data or a typed error.

Nothing a server sends can escape from here as KeyError, TypeError, ValueError or
AttributeError: every shape that is not a successful envelope becomes a GeweError subclass.

A reply that contradicts the spec: the generated parsers keep a value of the wrong type as it came
and report it (`report(path, value, expected)`). Here a report becomes a `GeweResponseError` when
the client is strict, or when it is about the reply's `data` as a whole (nothing of the promised
type to return); otherwise a WARNING on the `gewe` logger, once per client, operation and field.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

from .errors import GeweAuthError, GeweHTTPError, GeweResponseError
from .failures import api_error
from .tokens import Redactor

T = TypeVar("T")
logger = logging.getLogger("gewe")
#: Where a parser reports the reply's data as a whole: the envelope's `data`, or a bare reply.
ROOTS = frozenset({"data", "reply"})
_JSON_TYPES = {
    type(None): "null",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "an array",
    dict: "an object",
}
EXCERPT_CHARS = 400  # at most this many characters of the body, ...
EXCERPT_HEAD = 240  # ... of which this many from its start, the rest from its end
BODY_CHARS = 64 * 1024  # an error's `.body` keeps at most this many characters of the reply
AUTH_STATUSES = frozenset({401, 403})
DATA_DEPTH = 64  # an error's `.data` keeps this many levels; deeper ones become a placeholder


def _shorten(text: str) -> str:
    """A long text keeps its start and its end (where a validation error usually says what was
    wrong), joined by " … "."""
    if len(text) <= EXCERPT_CHARS:
        return text
    return f"{text[:EXCERPT_HEAD]} … {text[-(EXCERPT_CHARS - EXCERPT_HEAD) :]}"


class HTTPReply(Protocol):
    """What the checks here read from a reply (`gewe.transport.Reply`)."""

    @property
    def status_code(self) -> int: ...

    @property
    def content(self) -> bytes: ...

    def json(self) -> Any: ...


def http_error(
    message: str,
    response: HTTPReply,
    operation: str,
    redactor: Redactor,
    kind: type[GeweHTTPError] = GeweHTTPError,
    content: bytes | None = None,
) -> GeweHTTPError:
    """A `GeweHTTPError` (or `kind`) for this reply: `.body` its first `BODY_CHARS` characters and
    `.body_excerpt` its start and end, each redacted before it is cut (so a 16 MiB reply costs the
    redaction of what is kept, not of all of it)."""
    text = (response.content if content is None else content).decode("utf-8", errors="replace")
    body = redactor.head(text, BODY_CHARS)
    if len(body) < BODY_CHARS:  # the whole body
        excerpt = _shorten(body)
    else:
        tail = EXCERPT_CHARS - EXCERPT_HEAD
        excerpt = f"{body[:EXCERPT_HEAD]} … {redactor.tail(text, tail)}"
    return kind(
        message, status_code=response.status_code, body_excerpt=excerpt, operation=operation, body=body
    )


def mismatch(path: str, value: Any, expected: str, redactor: Redactor) -> str:
    """`data.qrTips is a boolean, expected string`: what a report says, without the value itself
    (only an enum's wrong value is shown, redacted, then shortened)."""
    if isinstance(value, _types("Unset")):
        got = "missing"
    elif expected.startswith("one of ") and type(value) in (str, int):
        shown = redactor.text(repr(value))
        got = shown if len(shown) <= 40 else shown[:39] + "…"
    else:
        got = _JSON_TYPES.get(type(value), type(value).__name__)
    return f"{path} is {got}, expected {expected}"


def reporter(
    operation: str, redactor: Redactor, *, strict: bool, reported: set[tuple[str, str]] | None
) -> Callable[[str, Any, str], None]:
    """The `report` a generated parser gets for one reply (see the module docstring)."""

    def report(path: str, value: Any, expected: str) -> None:
        detail = mismatch(path, value, expected, redactor)
        if strict or path in ROOTS:
            raise GeweResponseError(detail, operation=operation, field=path)
        key = (operation, path)
        if reported is None or key not in reported:
            if reported is not None:
                reported.add(key)
            logger.warning("%s: reply did not match the spec: %s", operation, detail)

    return report


def unwrap(
    response: HTTPReply,
    operation: str,
    parse: Callable[[Any, Callable[[str, Any, str], None]], T] | None,
    redactor: Redactor,
    *,
    strict: bool = False,
    reported: set[tuple[str, str]] | None = None,
    envelope: bool = True,
) -> T:
    """The reply's `data`, read by `parse` (or as it came when `parse` is None).

    With `envelope=False` the reply is not GeWe's envelope: `parse` reads the whole reply.
    `strict` and `reported` (the fields already logged) are the client's; see `reporter`.
    """

    def bad(message: str, kind: type[GeweHTTPError] = GeweHTTPError) -> GeweHTTPError:
        return http_error(message, response, operation, redactor, kind)

    if response.status_code in AUTH_STATUSES:
        raise bad("the token was refused", GeweAuthError)
    if not 200 <= response.status_code < 300:
        raise bad("unexpected HTTP status")
    try:
        payload = response.json()
    except (ValueError, UnicodeDecodeError):
        raise bad("reply is not JSON") from None
    except RecursionError:
        raise bad("reply is JSON nested too deeply to read") from None
    if not envelope and parse is not None:
        if isinstance(payload, dict) and type(payload.get("ret")) is int and "msg" in payload:
            # GeWe answered with its own error envelope
            _check_ret(payload, operation, redactor, response.status_code)
        return _parsed(parse, payload, operation, redactor, strict, reported)
    if not isinstance(payload, dict) or "ret" not in payload:
        raise bad("reply is not GeWe's {ret, msg, data} envelope")
    ret, msg, data = payload["ret"], payload.get("msg"), payload.get("data")
    if type(ret) is not int:
        raise bad(f"reply's 'ret' is {type(ret).__name__}, not an integer")
    if msg is not None and not isinstance(msg, str):
        raise bad(f"reply's 'msg' is {type(msg).__name__}, not a string")
    _check_ret(payload, operation, redactor, response.status_code)
    if parse is None:
        return cast(T, data)
    return _parsed(parse, payload.get("data", _types("UNSET")), operation, redactor, strict, reported)


def _check_ret(payload: dict[str, Any], operation: str, redactor: Redactor, status_code: int) -> None:
    """Raise the `GeweAPIError` (a subclass for GeWe's known failures) when `ret` (an int) is not 200."""
    ret, msg, data = payload["ret"], payload.get("msg"), payload.get("data")
    if ret != 200:
        code = data.get("code") if isinstance(data, dict) else None
        msg = redactor.value(msg if isinstance(msg, str) else None)
        data = redactor.value(data, max_depth=DATA_DEPTH)
        raise api_error(
            ret=ret,
            msg=msg,
            code=None if code is None else redactor.text(str(code)),
            operation=operation,
            data=data,
            status_code=status_code,
        )


def _parsed(
    parse: Callable[[Any, Callable[[str, Any, str], None]], T],
    value: Any,
    operation: str,
    redactor: Redactor,
    strict: bool,
    reported: set[tuple[str, str]] | None,
) -> T:
    try:
        return parse(value, reporter(operation, redactor, strict=strict, reported=reported))
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:  # a parser's bug
        detail = f"data could not be read ({type(exc).__name__}: {redactor.text(str(exc))})"
        raise GeweResponseError(detail, operation=operation, field="data") from None


def _types(name: str) -> Any:
    """`UNSET` or `Unset` of gewe_api.types, a module global once read (see `__getattr__`)."""
    value = globals().get(name)
    return __getattr__(name) if value is None else value


def __getattr__(name: str) -> Any:
    # gewe_api.types loads attrs (as the generated models do): on first use, not at `import gewe`.
    if name not in ("UNSET", "Unset"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from gewe_api import types

    value = getattr(types, name)
    globals()[name] = value
    return value
