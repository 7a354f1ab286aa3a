"""The SDK's errors. Catch `GeweError` to catch them all.

    GeweError
    ├── GeweConfigError        the client is missing something it needs (token, app id)
    ├── GeweAPIError           GeWe answered, with ret != 200 (a business answer; never retried)
    │   ├── GeweAuthError      ... the token was refused or is missing (also a GeweHTTPError)
    │   ├── GeweOfflineError   ... the WeChat account is logged out ("微信已离线")
    │   ├── GeweDeviceNotFoundError        ... unknown or expired appId ("设备不存在")
    │   ├── GeweVerificationRequiredError  ... login needs a security code ("安全验证码")
    │   ├── GeweAlreadyLoggedInError       ... "微信已登录，请勿重复登录"
    │   └── GeweDeviceLimitError           ... the token holds its maximum of devices
    ├── GeweHTTPError          a non-2xx reply, or a body that is not GeWe's {ret, msg, data}
    │   └── GeweAuthError      ... HTTP 401 or 403
    ├── GeweResponseError      a 2xx reply that contradicts the spec (any value with strict=True;
    │                          a missing or mistyped `data` always)
    ├── GeweConnectionError    the request did not get a reply (refused, reset, DNS, ...)
    │   └── GeweTimeoutError   ... because a timeout ran out
    ├── GeweImageError         a base64 image field that is not a valid image
    ├── GeweDependencyError    an optional extra is not installed
    ├── GeweMediaError         media to send, or a download or its target path, that cannot be used
    └── GeweEventError         a callback body that is not a JSON object, or a callback URL that fails

Which `msg` makes which `GeweAPIError` subclass is one table, `gewe.failures.KNOWN_FAILURES`;
`gewe.register_failure(pattern, cls)` adds to it.

Every error pickles (`pickle.loads(pickle.dumps(err))` keeps its class and attributes), so one
raised in a `ProcessPoolExecutor` worker reaches the parent as it was.

Every error raised by a call carries the call's context: `.operation`, `.attempts`, `.elapsed`
(seconds, all attempts), `.timeout` (seconds each attempt may take in all), `.url` (scheme,
host, port and path: no token, no credentials, no query) and, when a reply came,
`.status_code`; its message ends with them, e.g.
"(POST http://api.geweapi.com/gewe/v2/api/group/getChatroomQrCode after 3 attempts over 4.1 s,
timeout 1.0 s)". Messages never contain the API token: the client redacts it before an error is
built.
"""

from __future__ import annotations

from typing import Any


class GeweError(Exception):
    """Base of every error the SDK raises.

    Attributes (None where unknown, e.g. for an error raised before any call):
        operation: the operation called, as "module.operation" (e.g. "group.getChatroomQrCode").
        attempts: how many times the request was tried.
        elapsed: seconds from the first attempt to the error.
        timeout: the per-attempt timeout in seconds (the read timeout), if any.
        url: the URL called, without the token (which travels in a header) or any query.
        status_code: the HTTP status of the last reply, if one came.
    """

    operation: str | None = None
    attempts: int | None = None
    elapsed: float | None = None
    timeout: float | None = None
    url: str | None = None
    status_code: int | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's own reduce calls cls(*args), which keyword-only constructors refuse.
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))

    def add_call_context(
        self,
        *,
        operation: str,
        attempts: int,
        elapsed: float,
        timeout: float | None,
        url: str,
        status_code: int | None = None,
    ) -> None:
        """Record where the error happened; the message ends with it from then on."""
        self.operation = operation
        self.attempts = attempts
        self.elapsed = elapsed
        self.timeout = timeout
        self.url = url
        if status_code is not None:
            self.status_code = status_code

    def __str__(self) -> str:
        text = super().__str__()
        if self.attempts is None:
            return text
        where = f"POST {self.url} " if self.url else ""
        tries = {0: "no attempt", 1: "1 attempt"}.get(self.attempts, f"{self.attempts} attempts")
        timeout = "" if self.timeout is None else f", timeout {self.timeout:g} s"
        return f"{text} ({where}after {tries} over {self.elapsed or 0.0:.1f} s{timeout})"


def _rebuild(cls: type[GeweError], args: tuple[Any, ...], state: dict[str, Any]) -> GeweError:
    """An unpickled error: its class, its args (its message) and its attributes, no __init__."""
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


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
        shown = msg if msg is None or len(msg) <= 500 else msg[:499] + "…"  # `.msg` keeps it whole
        super().__init__(f"{operation} failed: {shown or 'no message'} ({detail})")


class GeweHTTPError(GeweError):
    """The reply was not a 2xx, or its body was not GeWe's `{ret, msg, data}` envelope.

    Attributes:
        status_code: the HTTP status.
        body_excerpt: the body's start and end, at most 400 characters, token redacted.
        body: the whole body as text, token redacted (`gewe -v` prints it).
        operation: the operation called.
    """

    def __init__(
        self, message: str, *, status_code: int, body_excerpt: str, operation: str, body: str = ""
    ) -> None:
        self.status_code = status_code
        self.body_excerpt = body_excerpt
        self.body = body
        self.operation = operation
        text = f"{operation}: {message} (HTTP {status_code})"
        if body_excerpt:
            text += f": {body_excerpt!r}"
        super().__init__(text)


class GeweAuthError(GeweAPIError, GeweHTTPError):
    """The token was refused: HTTP 401 or 403, or a GeWe reply saying the token is missing, invalid,
    unusable or expired (see `gewe.failures`). Never retried; a bot gets a new token.

    Catch it as either parent: `.status_code` is the HTTP status (200 when GeWe said it in the
    envelope), `.ret`/`.msg`/`.code` are the envelope's when there was one (else None).
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        status_code: int,
        body_excerpt: str = "",
        body: str = "",
        ret: int | None = None,
        msg: str | None = None,
        code: str | None = None,
        data: Any = None,
    ) -> None:
        GeweHTTPError.__init__(
            self, message, status_code=status_code, body_excerpt=body_excerpt, operation=operation, body=body
        )
        self.ret: int | None = ret  # type: ignore[assignment]
        self.msg = msg
        self.code = code
        self.data = data


class GeweOfflineError(GeweAPIError):
    """The bot's WeChat account is logged out ("微信已离线"): log in again (scan the login QR)."""


class GeweDeviceNotFoundError(GeweAPIError):
    """GeWe does not know the `appId` ("设备不存在"): it is wrong, or expired; fix the configuration
    or create a new device."""


class GeweVerificationRequiredError(GeweAPIError):
    """The login needs a security code ("本次登录需要输入安全验证码"): a human has to enter it."""


class GeweAlreadyLoggedInError(GeweAPIError):
    """The account is already logged in on this device ("微信已登录，请勿重复登录")."""


class GeweDeviceLimitError(GeweAPIError):
    """The token already holds its maximum number of devices ("已达到最大客户端数量")."""


class GeweResponseError(GeweError):
    """A successful reply did not match the spec.

    Raised for any value whose type contradicts the spec when the client has `strict=True`, and in
    every mode when the reply's `data` (or a bare reply) is missing or of the wrong type as a whole,
    since there is then nothing of the promised type to return. Without `strict`, other mismatches are
    logged once at WARNING on the `gewe` logger and the value is kept as it came.

    Attributes:
        operation: the operation called, as "module.operation".
        field: where in the reply, e.g. "data.qrTips" or "data.memberList[].wxid".
        detail: what was wrong, e.g. "data.qrTips is a boolean, expected string".
    """

    def __init__(self, detail: str, *, operation: str, field: str) -> None:
        self.operation = operation
        self.field = field
        self.detail = detail
        super().__init__(f"{operation}: reply did not match the spec: {detail}")


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


class GeweMediaError(GeweError):
    """What the message helpers (`client.message.send_*`, `download`, `reply`) were given cannot be
    used: media too large for its kind, not an image, audio or video that decodes, a download GeWe
    has in no size or a `to=` path that cannot be written, no media host to publish local data, or
    a reply to something that is not a received message.

    Raised before anything is uploaded or sent.
    """


class GeweEventError(GeweError):
    """Receiving pushes went wrong: a body that is not a push, or a callback that does not work.

    `gewe.events.parse_event` raises it for a body that is not JSON or not a JSON object (any JSON
    object, however foreign, is an event instead); the message says what the body was (its type and
    length), never its content. `gewe.events.set_callback` raises it when GeWe's test message does
    not reach the receiver.
    """
