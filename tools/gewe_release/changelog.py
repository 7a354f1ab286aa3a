"""CHANGELOG.md: newest entry first, one `## X.Y.Z — date` section per version, made from the report."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from packaging.version import Version

from .report import Report, sort_changes

CHANGELOG = Path("CHANGELOG.md")
TITLE = "# Changelog\n"
INTRO = (
    "Every version of gewe-sdk, newest first. Entries are written by `make bump` from `make diff`'s "
    "report; edit the text above the generated lists freely.\n"
)


def has_entry(text: str, version: Version) -> bool:
    """Whether CHANGELOG.md's text has a `## <version>` heading (optionally `## [<version>]`)."""
    pattern = rf"^##\s+\[?v?{re.escape(str(version))}\]?(\s|$)"
    return re.search(pattern, text, re.M) is not None


def entry(version: Version, report: Report, spec_sha256: str, today: str | None = None) -> str:
    """The entry for `version`: breaking and compatible changes, and the spec's sha256."""
    day = today or datetime.now(UTC).date().isoformat()
    lines = [
        f"## {version} — {day}",
        "",
        f"Spec: `openapi/gewe.yaml` sha256 `{spec_sha256}`; compared with {report.base}.",
        "",
    ]
    for title, breaking in (("Breaking", True), ("Compatible", False)):
        changes = [c for c in sort_changes(report.changes) if c.breaking == breaking]
        if changes:
            lines += [f"### {title}", "", *(c.line() for c in changes), ""]
    if not report.changes:
        lines += ["No API changes.", ""]
    return "\n".join(lines) + "\n"


def prepend(root: Path, text: str) -> None:
    """Put an entry above the newest one (creating CHANGELOG.md with its title if needed)."""
    path = root / CHANGELOG
    current = path.read_text(encoding="utf-8") if path.exists() else TITLE + "\n" + INTRO
    match = re.search(r"^## ", current, re.M)
    if match is None:
        new = current.rstrip("\n") + "\n\n" + text
    else:
        new = current[: match.start()] + text + "\n" + current[match.start() :]
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(new, encoding="utf-8")
    tmp.replace(path)
