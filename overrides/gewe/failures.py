"""GeWe's known failures: which `ret != 200` reply becomes which `GeweAPIError` subclass.

GeWe tells its everyday failures apart only by text, in the envelope's `msg` or in `data.msg`
(e.g. `{"ret":500,"msg":"发送消息失败","data":{"code":"-1","msg":"微信已离线"}}`). `KNOWN_FAILURES`
is the one table that maps that text to a class; the first row whose pattern is found in either
place wins. A pattern is a substring (compared case-insensitively) or a compiled regular expression.
A reply that no row matches stays a plain `GeweAPIError`. None of these is ever retried.

Add your own (they are tried before the built-in rows, newest first):

    import gewe

    class GeweRateLimitedError(gewe.GeweAPIError): ...

    gewe.register_failure("操作过于频繁", GeweRateLimitedError)

Rows seen in GeWe's public trackers:

| text (in `msg` or `data.msg`)                          | class                           |
| ------------------------------------------------------ | ------------------------------- |
| `header:X-GEWE-TOKEN 不可为空`, "token … 不可用或已过期"  | `GeweAuthError`                 |
| `token无效`, `token已过期`, `invalid token`, ...         | `GeweAuthError`                 |
| `微信已离线`                                             | `GeweOfflineError`              |
| `设备不存在`                                             | `GeweDeviceNotFoundError`       |
| `本次登录需要输入安全验证码`                                | `GeweVerificationRequiredError` |
| `微信已登录，请勿重复登录`                                 | `GeweAlreadyLoggedInError`      |
| `已达到最大客户端数量`                                     | `GeweDeviceLimitError`          |

`ret` 401 or 403 is always a `GeweAuthError`, whatever the text.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from .errors import (
    GeweAlreadyLoggedInError,
    GeweAPIError,
    GeweAuthError,
    GeweConfigError,
    GeweDeviceLimitError,
    GeweDeviceNotFoundError,
    GeweOfflineError,
    GeweVerificationRequiredError,
)

Pattern = str | re.Pattern[str]

AUTH_RETS = frozenset({401, 403})
#: (pattern, class), tried in order: the first found in `msg` or `data.msg` decides.
KNOWN_FAILURES: tuple[tuple[Pattern, type[GeweAPIError]], ...] = (
    ("X-GEWE-TOKEN", GeweAuthError),  # "header:X-GEWE-TOKEN 不可为空": no token sent
    ("不可用或已过期", GeweAuthError),  # the token is unusable or expired
    (
        re.compile(r"token.{0,12}(无效|失效|过期|错误|不存在|invalid|expired)|invalid.{0,8}token", re.I),
        GeweAuthError,
    ),
    ("已离线", GeweOfflineError),
    ("设备不存在", GeweDeviceNotFoundError),
    ("安全验证码", GeweVerificationRequiredError),
    ("请勿重复登录", GeweAlreadyLoggedInError),
    ("最大客户端数量", GeweDeviceLimitError),
)
_registered: tuple[tuple[Pattern, type[GeweAPIError]], ...] = ()
_lock = threading.Lock()


def register_failure(pattern: Pattern, error_class: type[GeweAPIError]) -> None:
    """Make GeWe replies whose `msg` or `data.msg` contains `pattern` raise `error_class`.

    `pattern` is a substring (case-insensitive) or a compiled regular expression; `error_class` a
    subclass of `GeweAPIError`. Rows registered later are tried first, all before the built-in ones.
    """
    if not isinstance(pattern, str | re.Pattern) or not pattern:
        raise GeweConfigError("register_failure: pattern must be a non-empty string or a compiled regex")
    if not (isinstance(error_class, type) and issubclass(error_class, GeweAPIError)):
        raise GeweConfigError("register_failure: error_class must be a subclass of gewe.GeweAPIError")
    global _registered
    with _lock:
        _registered = ((pattern, error_class), *_registered)


def _found(pattern: Pattern, text: str) -> bool:
    if isinstance(pattern, str):
        return pattern.casefold() in text.casefold()
    return pattern.search(text) is not None


def classify(ret: int, msg: str | None, data: Any) -> type[GeweAPIError]:
    """The class for a `ret != 200` reply with this `msg` and `data`."""
    if ret in AUTH_RETS:
        return GeweAuthError
    texts = [t for t in (msg, data.get("msg") if isinstance(data, dict) else None) if isinstance(t, str)]
    if texts:
        for pattern, error_class in (*_registered, *KNOWN_FAILURES):
            if any(_found(pattern, text) for text in texts):
                return error_class
    return GeweAPIError


def api_error(
    *, ret: int, msg: str | None, code: str | None, operation: str, data: Any, status_code: int
) -> GeweAPIError:
    """The error for GeWe's `ret != 200` reply (`msg` and `data` already redacted)."""
    error_class = classify(ret, msg, data)
    if issubclass(error_class, GeweAuthError):
        return error_class(
            f"the token was refused: {(msg or 'no message')[:500]} (ret={ret})",
            operation=operation,
            status_code=status_code,
            ret=ret,
            msg=msg,
            code=code,
            data=data,
        )
    error = error_class(ret=ret, msg=msg, code=code, operation=operation, data=data)
    error.status_code = status_code
    return error
