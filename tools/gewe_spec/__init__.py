"""GeWe's Apifox export pages -> one normalized OpenAPI spec (`make spec`)."""

from .bundle import bundle, dump, write_atomically
from .errors import SpecError

__all__ = ["SpecError", "bundle", "dump", "write_atomically"]
