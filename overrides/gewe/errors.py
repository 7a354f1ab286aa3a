"""The SDK's errors. Catch `GeweError` to catch them all.

    GeweError
    ├── GeweConfigError        the client is missing something it needs (token, app id)
    ├── GeweAPIError           GeWe answered, with ret != 200 (a business answer; never retried)
    ├── GeweHTTPError          a non-2xx reply, or a body that is not GeWe's {ret, msg, data}
    ├── GeweConnectionError    the request did not get a reply (refused, reset, DNS, ...)
    │   └── GeweTimeoutError   ... because a timeout ran out
    ├── GeweImageError         a base64 image field that is not a valid image
    └── GeweDependencyError    an optional extra is not installed

Messages never contain the API token: the client redacts it before an error is built.
"""

from __future__ import annotations

from typing import Any


class GeweError(Exception):
    """Base of every error the SDK raises."""


class GeweConfigError(GeweError):
    """The client is not configured well enough to make the call.

    Attributes:
        setting: the setting at fault ("token", "app_id", "base_url", ...), when it is one.
    """

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        self.setting = setting
        super().__init__(message)


class GeweAPIError(GeweError):
    """GeWe answered the call with `ret != 200`.

    Attributes:
        ret: the envelope's `ret` (500 for most failures).
        msg: the envelope's `msg`, which may be None.
        code: `data.code` when the server sent one (e.g. "-1"), else None.
        operation: the operation called, as "module.operation" (e.g. "group.getChatroomQrCode").
        data: the envelope's raw `data`, whatever it was.
    """

    def __init__(
        self, *, ret: int, msg: str | None, code: str | None, operation: str, data: Any = None
    ) -> None:
        self.ret = ret
        self.msg = msg
        self.code = code
        self.operation = operation
        self.data = data
        detail = f"ret={ret}"
        if code is not None:
            detail += f" code={code}"
        super().__init__(f"{operation} failed: {msg or 'no message'} ({detail})")


class GeweHTTPError(GeweError):
    """The reply was not a 2xx, or its body was not GeWe's `{ret, msg, data}` envelope.

    Attributes:
        status_code: the HTTP status.
        body_excerpt: the start of the body, at most 200 characters, token redacted.
        operation: the operation called.
    """

    def __init__(self, message: str, *, status_code: int, body_excerpt: str, operation: str) -> None:
        self.status_code = status_code
        self.body_excerpt = body_excerpt
        self.operation = operation
        text = f"{operation}: {message} (HTTP {status_code})"
        if body_excerpt:
            text += f": {body_excerpt!r}"
        super().__init__(text)


class GeweConnectionError(GeweError):
    """No reply came: the connection failed, was reset, or timed out."""

    def __init__(self, message: str, *, operation: str) -> None:
        self.operation = operation
        super().__init__(f"{operation}: {message}")


class GeweTimeoutError(GeweConnectionError):
    """A connect, read or write timeout ran out."""


class GeweImageError(GeweError):
    """A base64 image field did not hold a valid JPEG, PNG, GIF or WebP image."""


class GeweDependencyError(GeweError):
    """An optional extra is needed for this feature; the message says what to install."""
