"""The one report against the one base (gitbase.resolve_base), and what it asks of the version."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from . import changelog
from .compare import compare, sha256
from .gitbase import SPEC_PATH, Base, show
from .report import Report
from .version import VERSION_FILE, VersionError, bumped, parse_version, read_version


@dataclass(frozen=True)
class Status:
    """The report against `base` and what it asks of the version and the changelog."""

    base: Base
    report: Report
    base_version: Version | None
    current: Version
    entry: str | None  # the working tree's CHANGELOG.md entry for `current`
    spec_sha256: str

    @property
    def required(self) -> Version | None:
        """The lowest version the changes allow; None: no change, or the base's version is not known."""
        if self.base_version is None or not self.report.changes:
            return None
        return bumped(self.base_version, self.report.breaking)

    @property
    def bumped_enough(self) -> bool:
        return self.required is None or self.current >= self.required

    @property
    def ok(self) -> bool:
        """What `make check` asks: a breaking change needs its bump and its changelog entry."""
        return not self.report.breaking or (self.bumped_enough and self.entry is not None)

    def problems(self) -> list[str]:
        """What `make wheel` (ready) and `make update` (answer) ask: any change needs its bump and entry."""
        found = []
        if not self.bumped_enough:
            found.append(
                f"the version is still {self.current}; these changes need {self.required}"
                f" (built now, it would be a different {self.current})"
            )
        if self.entry is None:
            found.append(f"CHANGELOG.md has no entry for {self.current}")
        elif self.current != self.base_version:  # a new entry, not released: is it still current?
            found += stale_entry(self.entry, self.current, self.spec_sha256)
        return found

    def version_line(self) -> str:
        if self.required is None:
            return f"Version: {self.current}" + ("" if self.report.changes else " (no bump needed)")
        kind = "breaking" if self.report.breaking else "compatible"
        base = f"base {self.base_version}, " if self.base_version else ""
        if self.bumped_enough:
            entry = (
                ""
                if self.entry is not None
                else f"; CHANGELOG.md has no entry for {self.current}: run `make bump`"
            )
            return f"Version: {base}now {self.current}: a {kind} change needs {self.required}, done{entry}"
        return f"Version: {base}now {self.current}: a {kind} change needs {self.required}: run `make bump`"


def stale_entry(entry: str, version: Version, spec_sha256: str) -> list[str]:
    recorded = changelog.recorded_spec_sha256(entry)
    if recorded and spec_sha256 and recorded != spec_sha256:
        return [
            f"CHANGELOG.md's entry for {version} records {SPEC_PATH} sha256 {recorded[:12]}…, "
            f"but the spec is now {spec_sha256[:12]}…: it changed after the entry was written"
        ]
    return []


def changelog_text(root: Path) -> str:
    path = root / changelog.CHANGELOG
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def base_version(root: Path, base: Base) -> Version | None:
    text = show(root, base.sha, VERSION_FILE.as_posix())
    if text is not None:
        try:
            return parse_version(text.decode("utf-8", "replace"), f"{base.label}:{VERSION_FILE}")
        except VersionError:
            pass
    if base.ref.startswith("v"):
        try:
            return Version(base.ref[1:])
        except ValueError:
            return None
    return None


def status(root: Path, base: Base) -> Status:
    current = read_version(root)
    return Status(
        base=base,
        report=compare(root, base),
        base_version=base_version(root, base),
        current=current,
        entry=changelog.section(changelog_text(root), current),
        spec_sha256=sha256(root / SPEC_PATH),
    )


def counts(report: Report) -> str:
    if not report.changes:
        return f"no changes to {SPEC_PATH} or the Python API"
    n = len(report.breaking_changes)
    return f"{n} breaking and {len(report.changes) - n} compatible changes"
