"""Which operations only read (see `gewe.retry`): here, apart from the attrs-based `RetryPolicy`,
so that a call can ask without `import gewe` loading attrs.

The answer is the spec's (`x-gewe-read-only`, carried into `gewe_api._read_only` by `make
generate`); an operation the spec does not know gets the name rule the spec starts from.
"""

from __future__ import annotations

import functools
import re

from gewe_api._read_only import NAME_PREFIXES as READ_ONLY_PREFIXES
from gewe_api._read_only import READ_ONLY

__all__ = ["READ_ONLY_PREFIXES", "is_read_only"]

_READ_ONLY = re.compile(rf"^(?:{'|'.join(READ_ONLY_PREFIXES)})(?:[A-Z0-9]|$)")


@functools.lru_cache(maxsize=1024)
def is_read_only(operation: str) -> bool:
    """Whether an operation ("module.operation" or just "operation") only reads: the spec's answer,
    else (an operation the spec does not know) the name rule."""
    known = READ_ONLY.get(operation)
    if known is not None:
        return known
    return _READ_ONLY.match(operation.rpartition(".")[2]) is not None
