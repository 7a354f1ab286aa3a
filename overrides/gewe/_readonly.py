"""Which operations only read (see `gewe.retry`): here, apart from the attrs-based `RetryPolicy`,
so that a call can ask without `import gewe` loading attrs."""

from __future__ import annotations

import functools
import re

READ_ONLY_PREFIXES = ("get", "fetch", "check", "search", "query", "list", "find", "download")
_READ_ONLY = re.compile(rf"^(?:{'|'.join(READ_ONLY_PREFIXES)})(?:[A-Z0-9]|$)")


@functools.lru_cache(maxsize=1024)
def is_read_only(operation: str) -> bool:
    """Whether an operation ("module.operation" or just "operation") only reads."""
    return _READ_ONLY.match(operation.rpartition(".")[2]) is not None
