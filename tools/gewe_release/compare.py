"""The whole comparison: the base's files from git, the working tree's from disk, both levels."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .apidiff import diff_apis, wire_names
from .gitbase import SPEC_PATH, Base, export
from .report import Report
from .specdiff import diff_specs


def load_spec(path: Path, label: str, notes: list[str]) -> Mapping[str, Any] | None:
    """The spec at `path` as a dict, or None with a note saying why not."""
    if not path.is_file():
        notes.append(f"the {label} has no {SPEC_PATH}")
        return None
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        notes.append(
            f"spec level skipped: the {label}'s {SPEC_PATH} is not valid YAML ({' '.join(str(exc).split())})"
        )
        return None
    if not isinstance(loaded, Mapping):
        notes.append(f"spec level skipped: the {label}'s {SPEC_PATH} is not a mapping")
        return None
    return loaded


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def compare(root: Path, base: Base) -> Report:
    """The report of the working tree in `root` against `base`."""
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gewe-base-") as tmp:
        base_root = Path(tmp)
        export(root, base.sha, base_root)
        old = load_spec(base_root / SPEC_PATH, "base", notes)
        new = load_spec(root / SPEC_PATH, "working tree", notes)
        spec_changes = diff_specs(old, new) if old is not None and new is not None else []
        wire = wire_names(*(s for s in (old, new) if s is not None))
        api_changes, api_notes = diff_apis(base_root, root, wire)
        notes += api_notes
        base_sha = sha256(base_root / SPEC_PATH)
    now_sha = sha256(root / SPEC_PATH)
    stamp = root / "generated" / "gewe_api" / "_spec.py"
    if now_sha and stamp.is_file() and now_sha not in stamp.read_text(encoding="utf-8"):
        notes.append(
            f"generated/gewe_api was not generated from the working tree's {SPEC_PATH}: run `make generate`"
        )
    return Report(
        base=base.label,
        spec_changes=spec_changes,
        api_changes=api_changes,
        notes=notes,
        base_sha256=base_sha,
        now_sha256=now_sha,
    )
