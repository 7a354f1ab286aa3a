"""Is this tree's version ready to be built? (`make wheel` and `make publish` ask before building.)

A version number must name one build. The version committed at HEAD was described by its
CHANGELOG.md entry in the commit that last changed that entry; any change of the spec or the Python
API since that commit (compared as `make diff` compares) needs a new version and its entry first:
`make bump`. That bump is the patch or minor one `make diff` asks for, counted from HEAD's version.

Without the history to find that commit (no git, a shallow clone), the entry's recorded spec sha256
is compared with the spec instead: a spec change without a new entry still stops the build.

The rule is not part of `make check`: between releases, main collects changes that no version
describes yet, and `make test` must still pass on it. It applies when a version is put on an artifact.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from . import changelog
from .compare import compare, sha256
from .gitbase import SPEC_PATH, Base, GitError, NoBase, git, show
from .report import Report
from .version import VERSION_FILE, bumped, parse_version, read_version


@dataclass(frozen=True)
class Released:
    """The version committed at HEAD and the commit that last changed its CHANGELOG.md entry."""

    version: Version
    base: Base


def _entry_at(root: Path, rev: str, version: Version) -> str | None:
    text = show(root, rev, changelog.CHANGELOG.as_posix())
    return changelog.section(text.decode("utf-8", "replace"), version) if text is not None else None


def entry_commit(root: Path, version: Version) -> str | None:
    """The newest commit that changed CHANGELOG.md's entry for `version` (added or edited it)."""
    for line in git(root, "log", "--format=%H %P", "HEAD", "--", changelog.CHANGELOG.as_posix()).splitlines():
        sha, *parents = line.split()
        here = _entry_at(root, sha, version)
        if here is not None and (not parents or here != _entry_at(root, parents[0], version)):
            return sha
    return None


def released(root: Path) -> Released | None:
    """HEAD's version and its entry's commit; None when HEAD's CHANGELOG.md has no entry for it.

    NoBase when there is no history to read (not a git work tree, no commit, a shallow clone).
    """
    text = show(root, "HEAD", VERSION_FILE.as_posix())
    if text is None:
        raise NoBase(f"HEAD has no {VERSION_FILE} (not a git work tree, or no commit yet)")
    version = parse_version(text.decode("utf-8", "replace"), f"HEAD:{VERSION_FILE}")
    if _entry_at(root, "HEAD", version) is None:
        return None
    sha = entry_commit(root, version)
    if sha is None:
        raise NoBase(f"the commit that wrote CHANGELOG.md's entry for {version} is not in this clone")
    why = f"the commit that last changed CHANGELOG.md's entry for {version}"
    return Released(version, Base(sha[:7], sha, why))


@dataclass(frozen=True)
class Ready:
    released: Released
    report: Report
    current: Version
    entry: str | None  # the working tree's CHANGELOG.md entry for `current`
    spec_sha256: str

    @property
    def required(self) -> Version:
        if not self.report.changes:
            return self.released.version
        return bumped(self.released.version, self.report.breaking)

    def problems(self) -> list[str]:
        found = []
        if self.current < self.required:
            found.append(
                f"the version is still {self.current}; these changes need {self.required}"
                + (f" (built now, it would be a different {self.current})" if self.report.changes else "")
            )
        if self.entry is None:
            found.append(f"CHANGELOG.md has no entry for {self.current}")
        elif self.current != self.released.version:  # a new entry, not committed: is it still current?
            found += stale_entry(self.entry, self.current, self.spec_sha256)
        return found


def stale_entry(entry: str, version: Version, spec_sha256: str) -> list[str]:
    recorded = changelog.recorded_spec_sha256(entry)
    if recorded and spec_sha256 and recorded != spec_sha256:
        return [
            f"CHANGELOG.md's entry for {version} records {SPEC_PATH} sha256 {recorded[:12]}…, "
            f"but the spec is now {spec_sha256[:12]}…: it changed after the entry was written"
        ]
    return []


def ready_status(root: Path, rel: Released) -> Ready:
    text = (
        (root / changelog.CHANGELOG).read_text(encoding="utf-8")
        if (root / changelog.CHANGELOG).is_file()
        else ""
    )
    current = read_version(root)
    return Ready(
        rel, compare(root, rel.base), current, changelog.section(text, current), sha256(root / SPEC_PATH)
    )


def _counts(report: Report) -> str:
    if not report.changes:
        return f"no changes to {SPEC_PATH} or the Python API"
    n = len(report.breaking_changes)
    return f"{n} breaking and {len(report.changes) - n} compatible changes"


def run_ready(root: Path) -> tuple[int, list[str]]:
    """(exit status, lines to print) for `python -m tools.gewe_release ready`."""
    try:
        rel = released(root)
    except (NoBase, GitError) as exc:
        return _without_history(root, str(exc))
    if rel is None:
        version = read_version(root)
        return 1, [
            f"release ready: FAILED: CHANGELOG.md at HEAD has no entry for the committed version {version}, "
            "so nothing says what this build contains.",
            "Run `make bump` (it writes the entry), commit, then build.",
        ]
    st = ready_status(root, rel)
    compared = f"compared the working tree with {rel.base.label}, {rel.base.why}: {_counts(st.report)}"
    problems = st.problems()
    if not problems:
        return 0, [
            f"release ready: {compared}; version {st.current} and its CHANGELOG.md entry describe this build."
        ]
    lines = [f"release ready: FAILED: {compared}."]
    lines += [c.line() for c in st.report.changes]
    lines += [f"- {p}" for p in problems]
    lines.append(
        f"Run `make bump` (it sets {max(st.current, st.required)} and writes its CHANGELOG.md entry), "
        "then build again."
    )
    return 1, lines


def _without_history(root: Path, why: str) -> tuple[int, list[str]]:
    current = read_version(root)
    path = root / changelog.CHANGELOG
    entry = changelog.section(path.read_text(encoding="utf-8"), current) if path.is_file() else None
    if entry is None:
        return 1, [f"release ready: FAILED: CHANGELOG.md has no entry for {current}. Run `make bump`."]
    stale = stale_entry(entry, current, sha256(root / SPEC_PATH))
    head = (
        f"release ready: no history to compare with ({why}); "
        f"compared the spec's sha256 with the entry for {current}"
    )
    if stale:
        return 1, [f"{head}: FAILED.", *(f"- {p}" for p in stale), "Run `make bump`, then build again."]
    return 0, [f"{head}: it matches (Python API changes cannot be checked without history)."]
