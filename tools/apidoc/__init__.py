"""api.md: the API reference, written by `make generate` beside the generated package and kept
current by `make check` (tools/generate.py calls `reference` and `stale`/`write`).

It is read from the generated package's source (tools/apidoc/read.py), plus the hand-written
`gewe/errors.py` (the error table), `gewe/retry.py` (which operations are read-only) and
`gewe/resources/<module>.py` (methods that return a richer type), and rendered by render.py.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Callable
from functools import cache
from pathlib import Path

from tools.gewe_spec.bundle import write_atomically

from .read import ApiDocError, read_errors, read_package
from .render import render

__all__ = ["ApiDocError", "reference", "stale", "write"]

ROOT = Path(__file__).resolve().parents[2]
OVERRIDES = ROOT / "overrides" / "gewe"


@cache
def _read_only_rule(retry_py: Path) -> Callable[[str], bool]:
    """`gewe.retry.is_read_only`, loaded from its file (not through `gewe`, which imports the
    generated package this reference may be replacing)."""
    spec = importlib.util.spec_from_file_location("_gewe_retry_for_apidoc", retry_py)
    if spec is None or spec.loader is None:
        raise ApiDocError(f"{retry_py}: cannot load it")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rule: Callable[[str], bool] = module.is_read_only
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
    return render(api, errors, _read_only_rule(overrides / "retry.py"), _spec_sha256(package))


def stale(text: str, target: Path) -> bool:
    """Whether `target` differs from `text` (or is missing)."""
    try:
        return target.read_text(encoding="utf-8") != text
    except OSError:
        return True


def write(text: str, target: Path) -> None:
    """Write `target` whole or not at all."""
    write_atomically(target, text)
