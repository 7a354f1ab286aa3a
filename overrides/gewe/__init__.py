"""gewe: the Python SDK for the GeWe WeChat-bot API.

    from gewe import GeweClient

    with GeweClient(token="...", app_id="...") as client:
        qr = client.group.get_chatroom_qr_code(chatroom_id="34757816141@chatroom")
        qr.image.save("group-qr")          # -> group-qr.jpg
        print(qr.expires_at, qr.url)

The typed operations are generated from GeWe's published API pages (package `gewe_api`); this
package adds the configured clients, typed errors, safe retries and image helpers.
"""

from typing import TYPE_CHECKING, Any

from gewe_api._spec import SPEC_SHA256

from ._version import __version__
from .client import GeweClient
from .errors import (
    GeweAlreadyLoggedInError,
    GeweAPIError,
    GeweAuthError,
    GeweConfigError,
    GeweConnectionError,
    GeweDependencyError,
    GeweDeviceLimitError,
    GeweDeviceNotFoundError,
    GeweError,
    GeweEventError,
    GeweHTTPError,
    GeweImageError,
    GeweOfflineError,
    GeweResponseError,
    GeweTimeoutError,
    GeweVerificationRequiredError,
)
from .expiry import parse_qr_expiry
from .failures import register_failure
from .images import Image, decode_image
from .retry import RetryPolicy

if TYPE_CHECKING:
    from .async_client import AsyncGeweClient


def __getattr__(name: str) -> Any:
    # AsyncGeweClient loads aiohttp: imported on first use, so sync users never pay for it.
    if name == "AsyncGeweClient":
        from .async_client import AsyncGeweClient

        return AsyncGeweClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "SPEC_SHA256",
    "AsyncGeweClient",
    "GeweAPIError",
    "GeweAlreadyLoggedInError",
    "GeweAuthError",
    "GeweClient",
    "GeweConfigError",
    "GeweConnectionError",
    "GeweDependencyError",
    "GeweDeviceLimitError",
    "GeweDeviceNotFoundError",
    "GeweError",
    "GeweEventError",
    "GeweHTTPError",
    "GeweImageError",
    "GeweOfflineError",
    "GeweResponseError",
    "GeweTimeoutError",
    "GeweVerificationRequiredError",
    "Image",
    "RetryPolicy",
    "__version__",
    "decode_image",
    "parse_qr_expiry",
    "register_failure",
]
