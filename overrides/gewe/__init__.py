"""gewe: the Python SDK for the GeWe WeChat-bot API.

    from gewe import GeweClient

    with GeweClient(token="...", app_id="...") as client:
        qr = client.group.get_chatroom_qr_code(chatroom_id="34757816141@chatroom")
        qr.image.save("group-qr")          # -> group-qr.jpg
        print(qr.expires_at, qr.url)

The typed operations are generated from GeWe's published API pages (package `gewe_api`); this
package adds the configured clients, typed errors, safe retries and image helpers.
"""

from gewe_api._spec import SPEC_SHA256

from ._version import __version__
from .client import AsyncGeweClient, GeweClient
from .errors import (
    GeweAPIError,
    GeweAuthError,
    GeweConfigError,
    GeweConnectionError,
    GeweDependencyError,
    GeweError,
    GeweEventError,
    GeweHTTPError,
    GeweImageError,
    GeweResponseError,
    GeweTimeoutError,
)
from .expiry import parse_qr_expiry
from .images import Image, decode_image
from .retry import RetryPolicy

__all__ = [
    "SPEC_SHA256",
    "AsyncGeweClient",
    "GeweAPIError",
    "GeweAuthError",
    "GeweClient",
    "GeweConfigError",
    "GeweConnectionError",
    "GeweDependencyError",
    "GeweError",
    "GeweEventError",
    "GeweHTTPError",
    "GeweImageError",
    "GeweResponseError",
    "GeweTimeoutError",
    "Image",
    "RetryPolicy",
    "__version__",
    "decode_image",
    "parse_qr_expiry",
]
