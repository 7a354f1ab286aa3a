"""`python -m tools.gewe_release diff|check|bump|answer [--base REF] [--root DIR]`.

- diff: print the Markdown report of the working tree against the base; always exits 0.
- check: exit 1 when the report has a breaking change and the version was not bumped to match
  (or CHANGELOG.md has no entry for it), printing the breaking lines and saying to run `make bump`.
  No history to compare with is said, never a failure.
- bump: apply the bump the report requires and prepend the CHANGELOG.md entry. When HEAD's version has
  a CHANGELOG.md entry, the report counts from the commit that last changed that entry (ready.py), so
  any change since the version was described gets a new version; an entry `bump` wrote that is not
  committed yet is rewritten when run again.
- ready: exit 1 unless the version and CHANGELOG.md describe this build (ready.py); `make wheel` and
  `make publish` run it before building. Not part of `make check`.
- answer: one line saying what the changes ask of the version (`make update` ends with it).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from . import changelog
from .compare import compare, sha256
from .gitbase import SPEC_PATH, Base, GitError, NoBase, resolve_base, show
from .ready import Released, ready_status, released, run_ready
from .report import Report
from .version import VERSION_FILE, VersionError, bumped, parse_version, read_version, write_version


@dataclass(frozen=True)
class Status:
    """The report and what it asks of the version and the changelog."""

    report: Report
    base_version: Version | None
    current: Version
    required: Version | None  # None: no bump needed (no change) or not known
    has_entry: bool

    @property
    def bumped_enough(self) -> bool:
        return self.required is None or self.current >= self.required

    @property
    def ok(self) -> bool:
        """What `make check` asks: a breaking change needs its bump and its changelog entry."""
        return not self.report.breaking or (self.bumped_enough and self.has_entry)

    def version_line(self) -> str:
        if self.required is None:
            return f"Version: {self.current}" + ("" if self.report.changes else " (no bump needed)")
        kind = "breaking" if self.report.breaking else "compatible"
        base = f"base {self.base_version}, " if self.base_version else ""
        if self.bumped_enough:
            entry = (
                "" if self.has_entry else f"; CHANGELOG.md has no entry for {self.current}: run `make bump`"
            )
            return f"Version: {base}now {self.current}: a {kind} change needs {self.required}, done{entry}"
        return f"Version: {base}now {self.current}: a {kind} change needs {self.required}: run `make bump`"


def _base_version(root: Path, base: Base) -> Version | None:
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
    report = compare(root, base)
    current = read_version(root)
    base_version = _base_version(root, base)
    required = bumped(base_version, report.breaking) if base_version and report.changes else None
    path = root / changelog.CHANGELOG
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    return Status(report, base_version, current, required, changelog.has_entry(text, current))


def cmd_diff(root: Path, base: Base) -> int:
    st = status(root, base)
    print(st.report.markdown(st.version_line()), end="")
    return 0


def _found(report: Report) -> str:
    if not report.changes:
        return "no changes"
    n = len(report.breaking_changes)
    return f"{n} breaking and {len(report.changes) - n} compatible changes"


def cmd_check(root: Path, base: Base) -> int:
    st = status(root, base)
    compared = f"compared the working tree with {base.described()}: {_found(st.report)}"
    if st.ok:
        if st.report.breaking:
            verdict = (
                f"version {st.current} has the bump they need ({st.required}) and its CHANGELOG.md entry"
            )
        else:
            verdict = f"nothing breaking, so no bump is required here (version {st.current})"
        print(f"release check: passed: {compared}; {verdict}.", file=sys.stderr)
        return 0
    print(f"release check: FAILED: {compared}, and the version does not follow:", file=sys.stderr)
    for change in st.report.breaking_changes:
        print(change.line(), file=sys.stderr)
    print(st.version_line(), file=sys.stderr)
    print(
        "Run `make bump` (it sets the version and writes the CHANGELOG.md entry), then commit.",
        file=sys.stderr,
    )
    return 1


def _bump_from_entry(root: Path, rel: Released) -> int:
    """`make bump` counted from HEAD's version and the commit of its CHANGELOG.md entry."""
    st = ready_status(root, rel)
    if not st.report.changes and st.entry is not None:
        print(f"no changes since {rel.base.label} ({rel.base.why}): nothing to bump (version {st.current})")
        return 0
    target = max(st.current, st.required)
    if target != st.current:
        write_version(root, target)
        print(f"version {st.current} -> {target} ({_found(st.report)} since {rel.base.label})")
    entry = changelog.entry(target, st.report, st.spec_sha256)
    if changelog.section(_changelog_text(root), target) is None:
        changelog.prepend(root, entry)
        print(f"{changelog.CHANGELOG}: added the entry for {target}")
    elif target != rel.version:  # written by an earlier bump and not committed: it may be out of date
        changelog.replace_entry(root, target, entry)
        print(f"{changelog.CHANGELOG}: rewrote the entry for {target} (not committed yet)")
    return 0


def _changelog_text(root: Path) -> str:
    path = root / changelog.CHANGELOG
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def cmd_bump(root: Path, base: Base) -> int:
    try:
        rel = released(root)
    except (NoBase, GitError):
        rel = None
    if rel is not None:
        return _bump_from_entry(root, rel)
    st = status(root, base)
    if not st.report.changes:
        print(f"no changes since {base.label}: nothing to bump (version {st.current})")
        return 0
    if st.base_version is None or st.required is None:
        print(
            f"bump: error: cannot read the version at {base.label}; set it in {VERSION_FILE}", file=sys.stderr
        )
        return 1
    target = st.current if st.current >= st.required else st.required
    if target != st.current:
        write_version(root, target)
        print(f"version {st.current} -> {target}")
    else:
        print(f"version {st.current} already covers the changes since {base.label} (needs {st.required})")
    path = root / changelog.CHANGELOG
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if changelog.has_entry(text, target):
        print(f"{changelog.CHANGELOG} already has an entry for {target}")
    else:
        changelog.prepend(root, changelog.entry(target, st.report, sha256(root / SPEC_PATH)))
        print(f"{changelog.CHANGELOG}: added the entry for {target}")
    return 0


def cmd_answer(root: Path, base: Base) -> int:
    """One line for `make update`: what the changes ask of the version (never bumps).

    Counted as `make bump` and `make wheel` count (from the commit of the version's CHANGELOG.md
    entry, ready.py) where the history allows, else from `base`.
    """
    try:
        rel = released(root)
    except (NoBase, GitError):
        rel = None
    if rel is not None:
        ready = ready_status(root, rel)
        report, required = ready.report, ready.required
        label = f"{rel.version}'s CHANGELOG.md entry ({rel.base.label})"
        covered = not ready.problems()
    else:
        st = status(root, base)
        report, label, required = st.report, base.label, st.required
        covered = st.required is not None and st.bumped_enough and st.has_entry
    if not report.changes:
        print(f"release: no changes since {label}")
        return 0
    kind = "breaking" if report.breaking else "compatible"
    if covered:
        print(f"release: {kind} changes since {label}; version {read_version(root)} already covers them")
    else:
        needs = f" (needs {required})" if required is not None else ""
        print(f"release: {kind} changes since {label}: run `make bump`{needs}")
    return 0


COMMANDS = {"diff": cmd_diff, "check": cmd_check, "bump": cmd_bump, "answer": cmd_answer}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="gewe-release", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=sorted([*COMMANDS, "ready"]))
    parser.add_argument(
        "--base",
        default=None,
        help="git ref to compare with (default: latest v* tag, else the spec before the current one)",
    )
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the project folder (default: .)")
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    if args.command == "ready":
        try:
            code, lines = run_ready(root)
        except (VersionError, GitError, OSError) as exc:
            code, lines = 1, [f"ready: error: {exc}"]
        print("\n".join(lines), file=sys.stderr)
        return code
    try:
        base = resolve_base(root, args.base)
    except (NoBase, GitError) as exc:
        if args.command == "bump":
            print(
                f"bump: error: nothing to compare with: {exc}; set the version in {VERSION_FILE} by hand",
                file=sys.stderr,
            )
            return 1
        if args.command == "check":
            print(f"release check: skipped: {exc}", file=sys.stderr)
        elif args.command == "answer":
            print(f"release: nothing to compare with ({exc}); the version is yours to set")
        else:
            print(f"# Changes\n\nnothing to compare with: {exc}")
        return 0
    try:
        return COMMANDS[args.command](root, base)
    except (VersionError, GitError, OSError) as exc:
        print(f"{args.command}: error: {exc}", file=sys.stderr)
        return 0 if args.command in ("diff", "answer") else 1
    except Exception as exc:  # a bug here: one line, and `make check` must not pass on it unseen
        print(f"{args.command}: error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        return 0 if args.command in ("diff", "answer") else 1


if __name__ == "__main__":
    sys.exit(main())
