"""The exports folder, replaced all at once: stage beside it, compare, swap.

Pages are fetched into a staging folder beside openapi/exports/ (same file system, so renames are
atomic). Only when every page arrived and parses is the old folder renamed aside, the staged one
renamed into its place, and the old one deleted; if the second rename fails (or the run is
interrupted between the two) the old folder is renamed back. A pull that changes nothing does not
touch the folder at all.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .errors import PullError


@dataclass
class Changes:
    """What a pull changes, by file name below the exports folder."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def line(self) -> str:
        total = len(self.added) + len(self.changed) + len(self.unchanged)
        return (
            f"{total} pages: {len(self.added)} added, {len(self.changed)} changed,"
            f" {len(self.removed)} removed, {len(self.unchanged)} unchanged"
        )


def _files(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


def compare(old: Path, new: Path) -> Changes:
    """The files of `new` against those of `old` (byte for byte)."""
    before, after = _files(old), _files(new)
    changes = Changes(removed=sorted(set(before) - set(after)))
    for name, path in sorted(after.items()):
        if name not in before:
            changes.added.append(name)
        elif before[name].read_bytes() == path.read_bytes():
            changes.unchanged.append(name)
        else:
            changes.changed.append(name)
    return changes


@contextlib.contextmanager
def staging(exports: Path) -> Iterator[Path]:
    """An empty folder beside `exports`, deleted on the way out unless it was swapped in."""
    exports.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{exports.name}.pull-", dir=exports.parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def stranded(exports: Path) -> list[Path]:
    """Old pages a killed pull left beside `exports` (killed between the two renames of `swap`)."""
    return sorted(p for p in exports.parent.glob(f".{exports.name}.old-*/exports") if p.is_dir())


def swap(exports: Path, staged: Path) -> None:
    """Put `staged` in the place of `exports` (see the module docstring); a PullError if it cannot."""
    mode = exports.stat().st_mode & 0o777 if exports.is_dir() else 0o755
    os.chmod(staged, mode)  # mkdtemp made it private
    aside = Path(tempfile.mkdtemp(prefix=f".{exports.name}.old-", dir=exports.parent)) / "exports"
    moved = False
    try:
        if exports.exists():
            os.rename(exports, aside)
            moved = True
        os.rename(staged, exports)
    except BaseException as exc:
        if moved and not exports.exists():
            os.rename(aside, exports)  # should this fail too, the old pages stay in `aside`
        with contextlib.suppress(OSError):
            aside.parent.rmdir()  # empty unless the old pages could not be put back
        if isinstance(exc, OSError):
            raise PullError(str(exports), f"cannot replace the folder: {exc.strerror or exc}") from None
        raise
    shutil.rmtree(aside.parent, ignore_errors=True)
