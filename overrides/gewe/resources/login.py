"""The `login` module, with the whole login as one flow of states (`login_flow`)."""

from __future__ import annotations

from gewe_api.api import login as generated

from ..login_flow import (
    DEFAULT_INTERVAL,
    DEFAULT_MAX_WAIT,
    DEFAULT_REGION,
    AsyncLoginFlow,
    LoginFlow,
    make_steps,
)


def _first_app_id(invoker: object, app_id: str | None) -> str:
    """The app id to log in: the one given, else the client's, else "" (the very first login,
    which creates a device at GeWe)."""
    if app_id is not None:
        return app_id
    found = getattr(invoker, "app_id", None)
    return found if isinstance(found, str) else ""


class LoginResource(generated.LoginResource):
    __slots__ = ()

    def login_flow(
        self,
        *,
        app_id: str | None = None,
        region_id: str = DEFAULT_REGION,
        device_type: str = "ipad",
        proxy_ip: str | None = None,
        interval: float = DEFAULT_INTERVAL,
        max_wait: float = DEFAULT_MAX_WAIT,
    ) -> LoginFlow:
        """Log an account in: iterate the returned `LoginFlow` for its `LoginState`s (`qr`, then
        `waiting` / `scanned` / `captcha` on each `checkLogin` every `interval` seconds, ending
        with `logged_in` or `expired`); answer `captcha` with `flow.captcha(code)`.

        `app_id`: the device to log in (default: the client's; "" or none on the very first
        login, when GeWe creates a device: sent once, never retried). `region_id`: a six-digit
        province code (110000 Beijing, 310000 Shanghai, 440000 Guangdong, ...). `max_wait`: seconds
        before the flow ends as `expired` when GeWe gives no expiry.
        """
        steps = make_steps(
            _first_app_id(self._invoker, app_id), device_type, region_id, proxy_ip, interval, max_wait
        )
        return LoginFlow(self, steps)


class AsyncLoginResource(generated.AsyncLoginResource):
    __slots__ = ()

    def login_flow(
        self,
        *,
        app_id: str | None = None,
        region_id: str = DEFAULT_REGION,
        device_type: str = "ipad",
        proxy_ip: str | None = None,
        interval: float = DEFAULT_INTERVAL,
        max_wait: float = DEFAULT_MAX_WAIT,
    ) -> AsyncLoginFlow:
        """`LoginResource.login_flow` for `AsyncGeweClient`: `async for state in flow`."""
        steps = make_steps(
            _first_app_id(self._invoker, app_id), device_type, region_id, proxy_ip, interval, max_wait
        )
        return AsyncLoginFlow(self, steps)
