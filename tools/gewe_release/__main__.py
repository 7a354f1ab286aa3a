"""`python -m tools.gewe_release diff|check|bump|ready|answer [--base REF] [--root DIR]`.

Every command compares the working tree with the same base, chosen by the one rule in gitbase.py
(BASE=, else the commit of the CHANGELOG.md entry of HEAD's version, else the latest v* tag, else
the spec before the current one), and reads the same report (status.py):

- diff: print the Markdown report; always exits 0.
- check: exit 1 when the report has a breaking change and the version was not bumped to match
  (or CHANGELOG.md has no entry for it), printing the breaking lines and saying to run `make bump`.
  No history to compare with is said, never a failure.
- bump: set the version the report asks for and write its CHANGELOG.md entry; an entry that is not
  committed yet is rewritten when run again. `check`, `ready` and `answer` then pass without a commit.
- ready: exit 1 unless the version and CHANGELOG.md describe every change (ready.py); `make wheel`
  and `make publish` run it before building. Not part of `make check`.
- answer: one line saying what the changes ask of the version (`make update` ends with it).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from packaging.version import Version

from . import changelog
from .gitbase import Base, GitError, NoBase, resolve_base, show
from .ready import run_ready, without_history
from .status import Status, changelog_text, status
from .version import VERSION_FILE, VersionError, write_version


def _found(st: Status) -> str:
    if not st.report.changes:
        return "no changes"
    n = len(st.report.breaking_changes)
    return f"{n} breaking and {len(st.report.changes) - n} compatible changes"


def cmd_diff(root: Path, base: Base) -> int:
    st = status(root, base)
    print(st.report.markdown(st.version_line()), end="")
    return 0


def cmd_check(root: Path, base: Base) -> int:
    st = status(root, base)
    compared = f"compared the working tree with {base.described()}: {_found(st)}"
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


def _committed_entry(root: Path, version: Version) -> bool:
    text = show(root, "HEAD", changelog.CHANGELOG.as_posix())
    return text is not None and changelog.section(text.decode("utf-8", "replace"), version) is not None


def cmd_bump(root: Path, base: Base) -> int:
    st = status(root, base)
    if not st.report.changes and st.entry is not None:
        print(f"no changes since {base.described()}: nothing to bump (version {st.current})")
        return 0
    if st.report.changes and st.required is None:
        print(
            f"bump: error: cannot read the version at {base.label}; set it in {VERSION_FILE}", file=sys.stderr
        )
        return 1
    target = max(st.current, st.required or st.current)
    if target != st.current:
        write_version(root, target)
        print(f"version {st.current} -> {target} ({_found(st)} since {base.label})")
    else:
        print(f"version {st.current} already covers the changes since {base.label}")
    entry = changelog.entry(target, st.report, st.spec_sha256)
    if changelog.section(changelog_text(root), target) is None:
        changelog.prepend(root, entry)
        print(f"{changelog.CHANGELOG}: added the entry for {target}")
    elif not _committed_entry(root, target):  # written by an earlier bump: it may be out of date
        changelog.replace_entry(root, target, entry)
        print(f"{changelog.CHANGELOG}: rewrote the entry for {target} (not committed yet)")
    else:
        print(f"{changelog.CHANGELOG} already has an entry for {target}")
    return 0


def cmd_ready(root: Path, base: Base) -> int:
    code, lines = run_ready(root, base)
    print("\n".join(lines), file=sys.stderr)
    return code


def cmd_answer(root: Path, base: Base) -> int:
    """One line for `make update`: what the changes ask of the version (never bumps); `ready`'s rule."""
    st = status(root, base)
    if not st.report.changes:
        print(f"release: no changes since {base.label}")
        return 0
    kind = "breaking" if st.report.breaking else "compatible"
    if not st.problems():
        print(f"release: {kind} changes since {base.label}; version {st.current} already covers them")
    else:
        needs = f" (needs {st.required})" if st.required is not None else ""
        print(f"release: {kind} changes since {base.label}: run `make bump`{needs}")
    return 0


COMMANDS = {"diff": cmd_diff, "check": cmd_check, "bump": cmd_bump, "ready": cmd_ready, "answer": cmd_answer}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="gewe-release", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument(
        "--base",
        default=None,
        help="git ref to compare with (default: latest v* tag, else the spec before the current one)",
    )
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the project folder (default: .)")
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    try:
        base = resolve_base(root, args.base)
    except (NoBase, GitError) as exc:
        if args.command == "ready":
            try:
                code, lines = without_history(root, str(exc))
            except (VersionError, OSError) as err:
                code, lines = 1, [f"ready: error: {err}"]
            print("\n".join(lines), file=sys.stderr)
            return code
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
