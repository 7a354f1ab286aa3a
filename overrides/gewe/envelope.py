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
import re
from collections.abc import Callable
from typing import Any, TypeVar, cast

import httpx

from gewe_api.types import UNSET, Unset

from .errors import GeweAPIError, GeweAuthError, GeweHTTPError, GeweResponseError
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
AUTH_STATUSES = frozenset({401, 403})
AUTH_RETS = frozenset({401, 403})
# GeWe says a token is bad in `msg`: "token无效", "token已过期", "invalid token", ...
_TOKEN_REFUSAL = re.compile(
    r"token.{0,12}(无效|失效|过期|错误|不存在|invalid|expired)|invalid.{0,8}token", re.IGNORECASE
)


def is_token_refusal(ret: int, msg: str | None) -> bool:
    """Whether a `ret != 200` reply says the token was refused (ret 401/403, or msg says so)."""
    return ret in AUTH_RETS or (msg is not None and _TOKEN_REFUSAL.search(msg) is not None)


def redact(value: Any, secret: str) -> Any:
    """`value` with `secret` (in all its spellings, see `gewe.tokens`) replaced, recursively."""
    return Redactor(secret).value(value)


def body_text(response: httpx.Response, secret: str) -> str:
    """The whole body as text, token redacted."""
    return Redactor(secret).text(response.content.decode("utf-8", errors="replace"))


def excerpt(response: httpx.Response, secret: str) -> str:
    """The body as text, token redacted; a long one keeps its start and its end (where a
    validation error usually says what was wrong), joined by " … "."""
    return _shorten(body_text(response, secret))


def _shorten(text: str) -> str:
    if len(text) <= EXCERPT_CHARS:
        return text
    return f"{text[:EXCERPT_HEAD]} … {text[-(EXCERPT_CHARS - EXCERPT_HEAD) :]}"


def mismatch(path: str, value: Any, expected: str, secret: str) -> str:
    """`data.qrTips is a boolean, expected string`: what a report says, without the value itself
    (only an enum's wrong value is shown, shortened and with the token redacted)."""
    if isinstance(value, Unset):
        got = "missing"
    elif expected.startswith("one of ") and type(value) in (str, int):
        shown = repr(value)
        got = redact(shown if len(shown) <= 40 else shown[:39] + "…", secret)
    else:
        got = _JSON_TYPES.get(type(value), type(value).__name__)
    return f"{path} is {got}, expected {expected}"


def reporter(
    operation: str, secret: str, *, strict: bool, reported: set[tuple[str, str]] | None
) -> Callable[[str, Any, str], None]:
    """The `report` a generated parser gets for one reply (see the module docstring)."""

    def report(path: str, value: Any, expected: str) -> None:
        detail = mismatch(path, value, expected, secret)
        if strict or path in ROOTS:
            raise GeweResponseError(detail, operation=operation, field=path)
        key = (operation, path)
        if reported is None or key not in reported:
            if reported is not None:
                reported.add(key)
            logger.warning("%s: reply did not match the spec: %s", operation, detail)

    return report


def unwrap(
    response: httpx.Response,
    operation: str,
    parse: Callable[[Any, Callable[[str, Any, str], None]], T] | None,
    secret: str,
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
        text = body_text(response, secret)
        return kind(
            message,
            status_code=response.status_code,
            body_excerpt=_shorten(text),
            operation=operation,
            body=text,
        )

    if response.status_code in AUTH_STATUSES:
        raise bad("the token was refused", GeweAuthError)
    if not 200 <= response.status_code < 300:
        raise bad("unexpected HTTP status")
    try:
        payload = response.json()
    except (ValueError, UnicodeDecodeError):
        raise bad("reply is not JSON") from None
    if not envelope and parse is not None:
        if isinstance(payload, dict) and type(payload.get("ret")) is int and "msg" in payload:
            # GeWe answered with its own error envelope
            _check_ret(payload, operation, secret, response.status_code)
        return _parsed(parse, payload, operation, secret, strict, reported)
    if not isinstance(payload, dict) or "ret" not in payload:
        raise bad("reply is not GeWe's {ret, msg, data} envelope")
    ret, msg, data = payload["ret"], payload.get("msg"), payload.get("data")
    if type(ret) is not int:
        raise bad(f"reply's 'ret' is {type(ret).__name__}, not an integer")
    if msg is not None and not isinstance(msg, str):
        raise bad(f"reply's 'msg' is {type(msg).__name__}, not a string")
    _check_ret(payload, operation, secret, response.status_code)
    if parse is None:
        return cast(T, data)
    return _parsed(parse, payload.get("data", UNSET), operation, secret, strict, reported)


def _check_ret(payload: dict[str, Any], operation: str, secret: str, status_code: int) -> None:
    """Raise GeweAPIError when an envelope's `ret` (an int) is not 200."""
    ret, msg, data = payload["ret"], payload.get("msg"), payload.get("data")
    if ret != 200:
        code = data.get("code") if isinstance(data, dict) else None
        msg, data = redact(msg if isinstance(msg, str) else None, secret), redact(data, secret)
        if is_token_refusal(ret, msg):
            raise GeweAuthError(
                f"the token was refused: {msg or 'no message'} (ret={ret})",
                operation=operation,
                status_code=status_code,
                ret=ret,
                msg=msg,
                code=None if code is None else str(code),
                data=data,
            )
        raise GeweAPIError(
            ret=ret, msg=msg, code=None if code is None else str(code), operation=operation, data=data
        )


def _parsed(
    parse: Callable[[Any, Callable[[str, Any, str], None]], T],
    value: Any,
    operation: str,
    secret: str,
    strict: bool,
    reported: set[tuple[str, str]] | None,
) -> T:
    try:
        return parse(value, reporter(operation, secret, strict=strict, reported=reported))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a parser's bug, never a reply's
        detail = f"data could not be read ({type(exc).__name__}: {redact(str(exc), secret)})"
        raise GeweResponseError(detail, operation=operation, field="data") from None
