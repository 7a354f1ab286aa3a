"""api.md: the API reference, written by `make generate` beside the generated package and kept
current by `make check` (tools/generate.py calls `reference` and `stale`/`write`).

It is read from the generated package's source (tools/apidoc/read.py), plus the hand-written
`gewe/errors.py` (the error table), `gewe/retry.py` (which operations are read-only) and
`gewe/resources/<module>.py` (methods that return a richer type), and rendered by render.py.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

from tools.gewe_spec.bundle import write_atomically
from tools.gewe_spec.readonly import read_only_by_name

from .handwritten import render_handwritten
from .read import ApiDocError, read_errors, read_package
from .render import render

__all__ = ["ApiDocError", "reference", "stale", "write"]

ROOT = Path(__file__).resolve().parents[2]
OVERRIDES = ROOT / "overrides" / "gewe"


def _read_only_rule(package: Path) -> Callable[[str], bool]:
    """What `gewe.retry.is_read_only` will answer with this package: the table the package carries
    (`_read_only.py`, the spec's x-gewe-read-only), else the name rule (tools/gewe_spec/readonly.py).
    Read from the package being written, never from an installed `gewe_api` it may be replacing."""
    path = package / "_read_only.py"
    table: dict[str, bool] = {}
    if path.is_file():
        namespace: dict[str, object] = {}
        exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)  # plain data
        found = namespace.get("READ_ONLY")
        if not isinstance(found, dict):
            raise ApiDocError(f"{path}: no READ_ONLY table")
        table = found

    def rule(operation: str) -> bool:
        known = table.get(operation)
        return read_only_by_name(operation) if known is None else known

    return rule


def _spec_sha256(package: Path) -> str:
    path = package / "_spec.py"
    if not path.is_file():
        return ""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and any(isinstance(t, ast.Name) and t.id == "SPEC_SHA256" for t in node.targets)
        ):
            return str(node.value.value)
    return ""


def reference(package: Path, overrides: Path = OVERRIDES) -> str:
    """The api.md text for the generated package at `package` (ApiDocError if it cannot be read)."""
    api = read_package(package, overrides)
    errors = read_errors(overrides / "errors.py")
    extra = render_handwritten(overrides)
    return render(api, errors, _read_only_rule(package), _spec_sha256(package), extra)


def stale(text: str, target: Path) -> bool:
    """Whether `target` differs from `text` (or is missing)."""
    try:
        return target.read_text(encoding="utf-8") != text
    except OSError:
        return True


def write(text: str, target: Path) -> None:
    """Write `target` whole or not at all."""
    write_atomically(target, text)
