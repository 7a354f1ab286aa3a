"""Is this tree's version ready to be built? (`make wheel` and `make publish` ask before building.)

A version number must name one build. Compared with the base every release command uses
(gitbase.py: by default the commit of the CHANGELOG.md entry of HEAD's version), any change of the
spec or the Python API needs a new version and its entry first: `make bump`.

Without the history to compare with (no git, a shallow clone), the entry's recorded spec sha256 is
compared with the spec instead: a spec change without a new entry still stops the build.

The rule is not part of `make check`: between releases, main collects compatible changes that no
version describes yet, and `make test` must still pass on it. It applies when a version is put on
an artifact.
"""

from __future__ import annotations

from pathlib import Path

from . import changelog
from .compare import sha256
from .gitbase import SPEC_PATH, Base, show
from .status import changelog_text, counts, stale_entry, status
from .version import VERSION_FILE, parse_version, read_version


def run_ready(root: Path, base: Base) -> tuple[int, list[str]]:
    """(exit status, lines to print) for `python -m tools.gewe_release ready`."""
    head = show(root, "HEAD", VERSION_FILE.as_posix())
    if head is not None:
        version = parse_version(head.decode("utf-8", "replace"), f"HEAD:{VERSION_FILE}")
        at_head = show(root, "HEAD", changelog.CHANGELOG.as_posix())
        if at_head is None or changelog.section(at_head.decode("utf-8", "replace"), version) is None:
            return 1, [
                f"release ready: FAILED: CHANGELOG.md at HEAD has no entry for the committed version "
                f"{version}, so nothing says what this build contains.",
                "Run `make bump` (it writes the entry), commit, then build.",
            ]
    st = status(root, base)
    compared = f"compared the working tree with {base.described()}: {counts(st.report)}"
    problems = st.problems()
    if not problems:
        return 0, [
            f"release ready: {compared}; version {st.current} and its CHANGELOG.md entry describe this build."
        ]
    lines = [f"release ready: FAILED: {compared}."]
    lines += [c.line() for c in st.report.changes]
    lines += [f"- {p}" for p in problems]
    target = max(st.current, st.required or st.current)
    lines.append(f"Run `make bump` (it sets {target} and writes its CHANGELOG.md entry), then build again.")
    return 1, lines


def without_history(root: Path, why: str) -> tuple[int, list[str]]:
    current = read_version(root)
    entry = changelog.section(changelog_text(root), current)
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
