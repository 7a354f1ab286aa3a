"""gewe: the GeWe WeChat-bot API SDK (placeholder while the client lands)."""

from gewe_api._spec import SPEC_SHA256

from ._version import __version__

__all__ = ["SPEC_SHA256", "__version__"]
