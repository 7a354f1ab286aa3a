"""What `GeweClient` and `AsyncGeweClient` share: settings, runtime state, `with_options`, the
generated client's configuration and a safe repr. Neither client imports the other."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self

import httpx

from gewe_api.api import MODULES

from .runtime import Shared
from .settings import TOKEN_HEADER, UNSET, Maybe, Settings, check_pool

if TYPE_CHECKING:
    from gewe_api import AuthenticatedClient

    from .retry import RetryPolicy


# The constructor arguments both clients read into their `Settings`.
SETTINGS = (
    "token",
    "app_id",
    "base_url",
    "timeout",
    "max_retries",
    "retry_policy",
    "strict",
    "default_headers",
    "max_response_bytes",
    "send_interval",
)


class ClientBase:
    """The settings (frozen), the runtime state shared with `with_options` copies, and the API."""

    _settings: Settings
    _shared: Shared
    _owns_pool: bool
    _transport: Any

    def _configure(self, args: dict[str, Any], client_type: type, transport_type: type) -> None:
        """A constructor's common part, from its arguments (`locals()`): settings checked, the
        user's `http_client`/`transport` checked, the state shared with `with_options` copies."""
        self._settings = Settings.create(**{name: args[name] for name in SETTINGS})
        check_pool(args["http_client"], args["transport"], client_type, transport_type)
        self._shared = Shared(self._settings.base_url, args.get("pacing"))
        self._owns_pool = args["http_client"] is None
        self._transport = args["transport"]

    @property
    def app_id(self) -> str | None:
        return self._settings.app_id

    @property
    def base_url(self) -> str:
        """The API root (credentials in it shown as `***`)."""
        return self._settings.shown_base_url

    def resolve_app_id(self, app_id: str | None) -> str:
        return self._settings.resolve_app_id(app_id)

    def with_options(
        self,
        *,
        timeout: Maybe[float | httpx.Timeout | None] = UNSET,
        max_retries: Maybe[int | None] = UNSET,
        app_id: Maybe[str | None] = UNSET,
        strict: Maybe[bool | None] = UNSET,
        retry_policy: Maybe[RetryPolicy | None] = UNSET,
        max_response_bytes: Maybe[int | None] = UNSET,
        send_interval: Maybe[float | None] = UNSET,
    ) -> Self:
        """A copy of this client with the given settings changed, sharing its connection pool and
        its send pacing (see `gewe.pacing`). A setting not given is kept; `None` removes a limit
        (`timeout=None`, `send_interval=None`) or the default app id (see `gewe.settings`).

        Cheap: no connection is opened. The copy's `close()` leaves the shared pool open; close
        the client it came from.
        """
        changes = {name: value for name, value in locals().items() if name != "self"}
        clone = copy.copy(self)
        for name in [n for n in clone.__dict__ if n in MODULES or n == "generated"]:
            del clone.__dict__[name]  # resources and the generated client belong to one client
        clone._settings = self._settings.resolve(**changes)  # each checked there, as for a call
        clone._owns_pool = False
        return clone

    def _generated_client(self) -> AuthenticatedClient:
        from gewe_api import AuthenticatedClient  # the generated client module: loaded when asked for

        settings = self._settings
        return AuthenticatedClient(
            base_url=settings.base_url,
            token=settings.token,
            prefix="",
            auth_header_name=TOKEN_HEADER,
            timeout=settings.timeout.phases,
            headers={k: v for k, v in settings.headers.items() if k != TOKEN_HEADER},
        )

    def _generated_http(self, loan: Callable[[Any], Any]) -> dict[str, Any]:
        """The arguments of `client.generated`'s httpx client: this client's base URL, headers and
        timeout, and its `transport` lent through `loan` (closing the loan leaves it open)."""
        settings = self._settings
        return {
            "base_url": settings.base_url,
            "headers": settings.headers,
            "timeout": settings.timeout.phases,
            "transport": None if self._transport is None else loan(self._transport),
        }

    def __repr__(self) -> str:
        return self._settings.describe(type(self))
