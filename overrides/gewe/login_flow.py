"""Logging an account in: the QR code, then `checkLogin` polled until the account is in.

    flow = client.login.login_flow(region_id="320000")
    for state in flow:                       # `async for` with AsyncGeweClient
        if state.kind == "qr":
            show(state.qr_image)             # or state.qr_data, the text inside the code
        elif state.kind == "captcha":
            flow.captcha(input("code: "))    # the phone asks for a verification code
    print(state.wxid, state.nickname, state.app_id)   # the last state: logged_in (or expired)

The states, in order: `qr` (once), then on every poll `waiting` (not scanned, status 0),
`scanned` (scanned, not yet confirmed on the phone, status 1) or `captcha` (GeWe answered that a
verification code is needed); the flow ends with `logged_in` (status 2, or the account's wxid
present) or `expired` (the QR code's `expiredTime` ran out, or `max_wait` seconds passed).

getLoginQrCode with an empty `appId` creates a device at GeWe: it is sent once, never retried
(`max_retries=0`), whatever the client's retry settings.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .errors import GeweConfigError, GeweVerificationRequiredError
from .images import Image, decode_image

if TYPE_CHECKING:
    from gewe_api.api.login import AsyncLoginResource, LoginResource

LoginKind = Literal["qr", "waiting", "scanned", "captcha", "logged_in", "expired"]
FINAL: frozenset[str] = frozenset({"logged_in", "expired"})
DEFAULT_REGION = "110000"  # Beijing; pass the province nearest to the account's usual place
DEFAULT_INTERVAL = 5.0
DEFAULT_MAX_WAIT = 300.0  # QR codes live about 4-5 minutes; a bound when GeWe sends no expiredTime


@dataclass(frozen=True)
class LoginState:
    """One step of a login. `kind` says which; the other fields are filled when GeWe sent them."""

    kind: LoginKind
    app_id: str
    uuid: str
    qr_data: str | None = None  # the text inside the QR code (a weixin.qq.com link)
    qr_image_base64: str | None = field(default=None, repr=False)
    expires_in: int | None = None  # seconds the QR code stays valid, as GeWe last said
    wxid: str | None = None  # logged_in: the account's wxid
    nickname: str | None = None  # the nickname of the account that scanned / logged in
    alias: str | None = None
    head_img_url: str | None = None
    captcha_message: str | None = None  # captcha: what GeWe said

    @property
    def final(self) -> bool:
        return self.kind in FINAL

    @property
    def qr_image(self) -> Image | None:
        """The QR code as an `Image` (`.save(path)`, `.data_uri`), when this state carries it."""
        return decode_image(self.qr_image_base64) if self.qr_image_base64 else None

    def to_dict(self) -> dict[str, Any]:
        """The state as JSON-ready values (for `gewe login --json` or a web page)."""
        out: dict[str, Any] = {"kind": self.kind, "app_id": self.app_id, "uuid": self.uuid}
        for name in ("qr_data", "expires_in", "wxid", "nickname", "alias", "head_img_url", "captcha_message"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class _Steps:
    """The flow's state machine, shared by the sync and async drivers (which make the calls)."""

    def __init__(
        self,
        app_id: str,
        device_type: str,
        region_id: str,
        proxy_ip: str | None,
        interval: float,
        max_wait: float,
    ) -> None:
        if not (isinstance(interval, int | float) and math.isfinite(interval) and interval >= 0):
            raise GeweConfigError(f"interval must be 0 or more seconds, got {interval!r}", setting="interval")
        if not (isinstance(max_wait, int | float) and math.isfinite(max_wait) and max_wait > 0):
            raise GeweConfigError(
                f"max_wait must be a positive number of seconds, got {max_wait!r}", setting="max_wait"
            )
        if not isinstance(region_id, str) or not region_id.strip():
            raise GeweConfigError("region_id must be a province code such as '320000'", setting="region_id")
        self.app_id = app_id
        self.device_type = device_type
        self.region_id = region_id
        self.proxy_ip = proxy_ip
        self.interval = float(interval)
        self.max_wait = float(max_wait)
        self.uuid = ""
        self.started = 0.0
        self.pending_captcha: str | None = None
        self.last: LoginState | None = None

    def qr_request(self) -> dict[str, Any]:
        body: dict[str, Any] = {"app_id": self.app_id, "type_": self.device_type, "region_id": self.region_id}
        if self.proxy_ip:
            body["proxy_ip"] = self.proxy_ip
        if self.app_id == "":  # creates a device: sent once, never retried
            body["max_retries"] = 0
        return body

    def after_qr(self, data: Any) -> LoginState:
        app_id = _text(getattr(data, "app_id", None)) or self.app_id
        uuid = _text(getattr(data, "uuid", None))
        if not app_id or not uuid:
            from .errors import GeweResponseError

            missing = "appId" if not app_id else "uuid"
            raise GeweResponseError(
                f"data.{missing} is missing or empty",
                operation="login.getLoginQrCode",
                field=f"data.{missing}",
            )
        self.app_id, self.uuid = app_id, uuid
        self.started = time.monotonic()
        state = LoginState(
            "qr",
            app_id,
            uuid,
            qr_data=_text(getattr(data, "qr_data", None)),
            qr_image_base64=_text(getattr(data, "qr_img_base64", None)),
        )
        self.last = state
        return state

    def check_request(self) -> dict[str, Any]:
        body: dict[str, Any] = {"app_id": self.app_id, "uuid": self.uuid}
        if self.proxy_ip:
            body["proxy_ip"] = self.proxy_ip
        if self.pending_captcha:
            body["captch_code"], self.pending_captcha = self.pending_captcha, None
        return body

    def after_check(self, data: Any) -> LoginState:
        info = getattr(data, "login_info", None)
        wxid = _text(getattr(info, "wxid", None)) if info is not None else None
        status = _int(getattr(data, "status", None))
        expires = _int(getattr(data, "expired_time", None))
        nickname = _text(getattr(info, "nick_name", None)) if info is not None else None
        nickname = nickname or _text(getattr(data, "nick_name", None))
        head = _text(getattr(data, "head_img_url", None))
        kind: LoginKind
        if wxid or status == 2:
            kind = "logged_in"
        elif (expires is not None and expires <= 0) or self.timed_out():
            kind = "expired"
        else:
            kind = "scanned" if status == 1 else "waiting"
        alias = _text(getattr(info, "alias", None)) if info is not None and kind == "logged_in" else None
        state = LoginState(
            kind,
            self.app_id,
            self.uuid,
            expires_in=expires,
            wxid=wxid,
            nickname=nickname,
            alias=alias,
            head_img_url=head,
        )
        self.last = state
        return state

    def after_captcha(self, exc: GeweVerificationRequiredError) -> LoginState:
        kind: LoginKind = "expired" if self.timed_out() else "captcha"
        state = LoginState(kind, self.app_id, self.uuid, captcha_message=exc.msg or str(exc))
        self.last = state
        return state

    def timed_out(self) -> bool:
        return time.monotonic() - self.started >= self.max_wait


class LoginFlow:
    """A login, as an iterator of `LoginState`s (see the module docstring)."""

    def __init__(self, resource: LoginResource, steps: _Steps) -> None:
        self._resource = resource
        self._steps = steps

    def captcha(self, code: str) -> None:
        """The verification code the phone shows; sent with the next `checkLogin`."""
        self._steps.pending_captcha = _checked_code(code)

    @property
    def state(self) -> LoginState | None:
        """The last state yielded."""
        return self._steps.last

    def __iter__(self) -> Iterator[LoginState]:
        steps = self._steps
        resource = self._resource
        yield steps.after_qr(resource.get_login_qr_code(**steps.qr_request()))
        while True:
            time.sleep(steps.interval)
            try:
                state = steps.after_check(resource.check_login(**steps.check_request()))
            except GeweVerificationRequiredError as exc:
                state = steps.after_captcha(exc)
            yield state
            if state.final:
                return

    def run(self) -> LoginState:
        """Iterate to the end (no captcha answered) and return the final state."""
        for _ in self:
            pass
        assert self._steps.last is not None
        return self._steps.last


class AsyncLoginFlow:
    """`LoginFlow` for `AsyncGeweClient`: `async for state in flow`."""

    def __init__(self, resource: AsyncLoginResource, steps: _Steps) -> None:
        self._resource = resource
        self._steps = steps

    def captcha(self, code: str) -> None:
        """The verification code the phone shows; sent with the next `checkLogin`."""
        self._steps.pending_captcha = _checked_code(code)

    @property
    def state(self) -> LoginState | None:
        return self._steps.last

    async def __aiter__(self) -> AsyncIterator[LoginState]:
        steps = self._steps
        resource = self._resource
        yield steps.after_qr(await resource.get_login_qr_code(**steps.qr_request()))
        while True:
            await asyncio.sleep(steps.interval)
            try:
                state = steps.after_check(await resource.check_login(**steps.check_request()))
            except GeweVerificationRequiredError as exc:
                state = steps.after_captcha(exc)
            yield state
            if state.final:
                return

    async def run(self) -> LoginState:
        async for _ in self:
            pass
        assert self._steps.last is not None
        return self._steps.last


def _checked_code(code: str) -> str:
    if not isinstance(code, str) or not code.strip():
        raise GeweConfigError(
            "the verification code must be the non-empty text the phone shows", setting="captcha"
        )
    return code.strip()


def make_steps(
    app_id: str,
    device_type: str,
    region_id: str,
    proxy_ip: str | None,
    interval: float,
    max_wait: float,
) -> _Steps:
    return _Steps(app_id, device_type, region_id, proxy_ip, interval, max_wait)
