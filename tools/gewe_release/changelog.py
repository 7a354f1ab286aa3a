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
    return _heading(version).search(text) is not None


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


def _heading(version: Version) -> re.Pattern[str]:
    return re.compile(rf"^##\s+\[?v?{re.escape(str(version))}\]?(\s|$)", re.M)


def section(text: str, version: Version) -> str | None:
    """The entry for `version` (its heading to the next `## `), None if there is none."""
    match = _heading(version).search(text)
    if match is None:
        return None
    end = re.compile(r"^## ", re.M).search(text, match.end())
    return text[match.start() : end.start() if end else len(text)]


def recorded_spec_sha256(entry_text: str) -> str | None:
    """The spec's sha256 an entry records (`Spec: ... sha256 `…``), None if it records none."""
    match = re.search(r"sha256 `([0-9a-f]{64})`", entry_text)
    return match.group(1) if match else None


def replace_entry(root: Path, version: Version, text: str) -> None:
    """Put `text` in place of the entry for `version` (which must exist)."""
    path = root / CHANGELOG
    current = path.read_text(encoding="utf-8")
    old = section(current, version)
    assert old is not None, f"no entry for {version}"
    start = current.index(old)
    new = current[:start] + text + "\n" + current[start + len(old) :].lstrip("\n")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(new, encoding="utf-8")
    tmp.replace(path)
