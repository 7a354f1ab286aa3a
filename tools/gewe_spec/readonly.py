"""Which operations only read, decided once per operation and written into the spec.

Every GeWe call is a POST, so the SDK cannot tell a read from a write by its HTTP method; after a
timeout it may only retry a call that reads (see `gewe.retry`). The answer is decided here, at
`make spec`, and nowhere else:

1. the reviewed exceptions in `openapi/read-only.yml` (EXCEPTIONS), an entry per operation with
   the reason, win;
2. otherwise the name rule: an operation is read-only when its name starts with one of
   NAME_PREFIXES followed by an upper-case letter, a digit or the end (`getChatroomQrCode`,
   `fetchContactsList`, `checkOnline`, `search`; never `getter`).

Each operation of the bundled spec carries the answer as `x-gewe-read-only: true|false`, and the
spec's top level the reviewed exceptions (for operations it may have no page for);
`make generate` writes the table into the package (`gewe_api/_read_only.py`), and the runtime
retry rule (`gewe.retry.is_read_only`) takes it from there. `make spec` lists the operations
that will be retried after a timeout, so a reviewer sees the list change when pages change.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import yamlio
from .errors import SpecError

EXTENSION = "x-gewe-read-only"
EXCEPTIONS = Path(__file__).resolve().parents[2] / "openapi" / "read-only.yml"
NAME_PREFIXES = ("get", "fetch", "check", "search", "query", "list", "find", "download")
_BY_NAME = re.compile(rf"^(?:{'|'.join(NAME_PREFIXES)})(?:[A-Z0-9]|$)")
_OPERATION = re.compile(r"^[a-z][a-z0-9]*\.[A-Za-z][A-Za-z0-9]*$")


def read_only_by_name(operation: str) -> bool:
    """The name rule, for an operation's last path segment (or "module.operation")."""
    return _BY_NAME.match(operation.rpartition(".")[2]) is not None


@dataclass(frozen=True)
class Reviewed:
    """One reviewed exception: the operation's answer and why it is not the name rule's."""

    read_only: bool
    why: str


def load_reviewed(path: Path, shape: str) -> dict[Any, Any]:
    """A reviewed YAML file's top-level mapping ({} when the file is missing or empty); a SpecError
    naming the file when it does not parse or is not a mapping (`shape` says what is expected)."""
    if not path.is_file():
        return {}
    try:
        table = yamlio.load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SpecError(str(path), f"does not parse: {' '.join(str(exc).split())}") from None
    if table is None:
        return {}
    if not isinstance(table, dict):
        raise SpecError(str(path), f"expected a mapping of {shape}")
    return table


def load_exceptions(path: Path | None = None) -> dict[str, Reviewed]:
    """The reviewed exceptions ("module.operation" -> answer); a SpecError naming the file if malformed.

    A missing file means no exceptions.
    """
    path = path or EXCEPTIONS
    table = load_reviewed(path, "module.operation to {read-only, why}")
    out = {}
    for operation, entry in table.items():
        if not _OPERATION.match(str(operation)):
            raise SpecError(str(path), f"{operation!r} is not of the form module.operation (group.getX)")
        if (
            not isinstance(entry, dict)
            or set(entry) != {"read-only", "why"}
            or not isinstance(entry["read-only"], bool)
            or not isinstance(entry["why"], str)
            or not entry["why"].strip()
        ):
            raise SpecError(
                str(path),
                f"{operation}: expected `read-only: true|false` and a non-empty `why`, got {entry!r}",
            )
        out[str(operation)] = Reviewed(entry["read-only"], " ".join(entry["why"].split()))
    return out


def decide(operation: str, exceptions: dict[str, Reviewed]) -> bool:
    """Whether "module.operation" is read-only: its reviewed exception, else the name rule."""
    found = exceptions.get(operation)
    return found.read_only if found is not None else read_only_by_name(operation)


def table(spec: dict[str, Any]) -> dict[str, bool]:
    """ "module.operation" -> read-only: the spec's reviewed exceptions (its top-level EXTENSION),
    then every operation of the spec that says."""
    reviewed = spec.get(EXTENSION)
    out = (
        {str(k): v for k, v in reviewed.items() if isinstance(v, bool)} if isinstance(reviewed, dict) else {}
    )
    for path, item in (spec.get("paths") or {}).items():
        for op in item.values() if isinstance(item, dict) else ():
            if isinstance(op, dict) and isinstance(op.get(EXTENSION), bool) and op.get("tags"):
                out[f"{op['tags'][0]}.{str(path).rsplit('/', 1)[-1]}"] = op[EXTENSION]
    return dict(sorted(out.items()))


def render_module(spec: dict[str, Any]) -> str:
    """The source of `gewe_api/_read_only.py` for a bundled spec (without the generated-code mark)."""
    rows = "".join(f"    {json.dumps(name)}: {value},\n" for name, value in table(spec).items())
    prefixes = ", ".join(json.dumps(p) for p in NAME_PREFIXES)
    return (
        '"""Which operations only read (the spec\'s x-gewe-read-only): `gewe.retry` retries these after a\n'
        'timeout. Decided at `make spec` (tools/gewe_spec/readonly.py, openapi/read-only.yml)."""\n\n'
        f"NAME_PREFIXES: tuple[str, ...] = ({prefixes})\n\n"
        f"READ_ONLY: dict[str, bool] = {{\n{rows}}}\n"
    )
