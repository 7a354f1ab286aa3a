"""gewe: the Python SDK for the GeWe WeChat-bot API.

    from gewe import GeweClient

    with GeweClient(token="...", app_id="...") as client:
        qr = client.group.get_chatroom_qr_code(chatroom_id="34757816141@chatroom")
        qr.image.save("group-qr")          # -> group-qr.jpg
        print(qr.expires_at, qr.url)

The typed operations are generated from GeWe's published API pages (package `gewe_api`); this
package adds the configured clients, typed errors, safe retries and image helpers. ARCHITECTURE.md
(at the repository's root) maps its modules: the clients, `settings` and `call` above one sending
seam, `transport/`, with one sender per HTTP stack.

What a call does not need loads on first use (PEP 562 module `__getattr__`): `RetryPolicy`,
`Image`, `decode_image` and `parse_qr_expiry` (attrs classes, dateutil), so that `import gewe` costs
little more than `import httpx` (bench/: section 3).
"""

from __future__ import annotations

import importlib
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
    GeweMediaError,
    GeweOfflineError,
    GeweResponseError,
    GeweTimeoutError,
    GeweVerificationRequiredError,
)
from .failures import register_failure

if TYPE_CHECKING:
    from .async_client import AsyncGeweClient
    from .expiry import parse_qr_expiry
    from .images import Image, decode_image
    from .retry import RetryPolicy

_LAZY = {
    # AsyncGeweClient loads aiohttp: sync users never pay for it.
    "AsyncGeweClient": ".async_client",
    "RetryPolicy": ".retry",
    "Image": ".images",
    "decode_image": ".images",
    "parse_qr_expiry": ".expiry",
}

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
    "GeweMediaError",
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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
