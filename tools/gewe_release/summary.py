"""`make spec` / `make generate` end with one line per module: operations added, removed and changed
since the committed spec (HEAD's openapi/gewe.yaml)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

import yaml

from .gitbase import GitError, NoBase, git, show
from .specdiff import changed_operations


def _names(names: list[str]) -> str:
    return f" ({', '.join(names)})" if names else ""


def summary_lines(spec: Path) -> list[str]:
    """The lines to print for `spec` (a file in a git work tree) against its version at HEAD."""
    spec = spec.resolve()
    try:
        top = Path(git(spec.parent, "rev-parse", "--show-toplevel").strip())
        rel = spec.relative_to(top).as_posix()
        committed = show(top, "HEAD", rel)
    except (GitError, NoBase, ValueError, OSError):
        return [f"{spec.name}: not in a git work tree, so there is no committed spec to compare with"]
    new = yaml.safe_load(spec.read_text(encoding="utf-8")) or {}
    old = yaml.safe_load(committed) if committed is not None else {}
    per_module = changed_operations(old or {}, new)
    where = f"HEAD:{rel}" if committed is not None else f"{rel} (not committed yet)"
    lines = [f"since the committed spec ({where}):"]
    if not per_module:
        lines.append("  no operations")
    for module in sorted(per_module):
        found = per_module[module]
        lines.append(
            f"  {module}: {len(found['added'])} added{_names(found['added'])}, "
            f"{len(found['removed'])} removed{_names(found['removed'])}, "
            f"{len(found['changed'])} changed{_names(found['changed'])}"
        )
    return lines


def print_summary(spec: Path, out: TextIO | None = None) -> None:
    """Print the summary; never fails the command that calls it (a problem is one line instead)."""
    stream = out or sys.stderr
    try:
        lines = summary_lines(spec)
    except Exception as exc:  # a summary must never break `make spec` / `make generate`
        lines = [
            f"(could not compare with the committed spec: {type(exc).__name__}: {' '.join(str(exc).split())})"
        ]
    for line in lines:
        print(line, file=stream)
