"""GeWe's reply envelope `{ret, msg, data}`: from an HTTP reply to typed data or a typed error.

Nothing a server sends can escape from here as KeyError, TypeError, ValueError or
AttributeError: every shape that is not a successful envelope becomes a GeweError subclass.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar, cast

import httpx

from .errors import GeweAPIError, GeweAuthError, GeweHTTPError
from .tokens import Redactor

T = TypeVar("T")
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


def excerpt(response: httpx.Response, secret: str) -> str:
    """The body as text, token redacted; a long one keeps its start and its end (where a
    validation error usually says what was wrong), joined by " … "."""
    text = Redactor(secret).text(response.content.decode("utf-8", errors="replace"))
    if len(text) <= EXCERPT_CHARS:
        return text
    return f"{text[:EXCERPT_HEAD]} … {text[-(EXCERPT_CHARS - EXCERPT_HEAD) :]}"


def unwrap(
    response: httpx.Response,
    operation: str,
    parse: Callable[[dict[str, Any]], T] | None,
    secret: str,
) -> T:
    """The reply's `data`, parsed by `parse` (or as is when `parse` is None)."""

    def bad(message: str) -> GeweHTTPError:
        return GeweHTTPError(
            message,
            status_code=response.status_code,
            body_excerpt=excerpt(response, secret),
            operation=operation,
        )

    if response.status_code in AUTH_STATUSES:
        raise GeweAuthError(
            "the token was refused",
            operation=operation,
            status_code=response.status_code,
            body_excerpt=excerpt(response, secret),
        )
    if not 200 <= response.status_code < 300:
        raise bad("unexpected HTTP status")
    try:
        payload = response.json()
    except (ValueError, UnicodeDecodeError):
        raise bad("reply is not JSON") from None
    if not isinstance(payload, dict) or "ret" not in payload:
        raise bad("reply is not GeWe's {ret, msg, data} envelope")
    ret, msg, data = payload["ret"], payload.get("msg"), payload.get("data")
    if type(ret) is not int:
        raise bad(f"reply's 'ret' is {type(ret).__name__}, not an integer")
    if msg is not None and not isinstance(msg, str):
        raise bad(f"reply's 'msg' is {type(msg).__name__}, not a string")
    if ret != 200:
        code = data.get("code") if isinstance(data, dict) else None
        msg, data = redact(msg, secret), redact(data, secret)
        if is_token_refusal(ret, msg):
            raise GeweAuthError(
                f"the token was refused: {msg or 'no message'} (ret={ret})",
                operation=operation,
                status_code=response.status_code,
                ret=ret,
                msg=msg,
                code=None if code is None else str(code),
                data=data,
            )
        raise GeweAPIError(
            ret=ret, msg=msg, code=None if code is None else str(code), operation=operation, data=data
        )
    if parse is None:
        return cast(T, data)
    if not isinstance(data, dict):
        raise bad("reply's 'data' is missing or not an object")
    try:
        return parse(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise bad(
            f"reply's 'data' does not match the spec ({type(exc).__name__}: {redact(str(exc), secret)})"
        ) from None
