"""`make pull`: GeWe's doc pages, from the doc site's llms.txt index into openapi/exports/, all or nothing."""

from .errors import PullError

__all__ = ["PullError"]
