"""Version bumps, the version file and CHANGELOG.md entries."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

from tools.gewe_release import changelog
from tools.gewe_release.report import API, BREAKING, COMPATIBLE, SPEC, Change, Report
from tools.gewe_release.version import VersionError, bumped, read_version, write_version


@pytest.mark.parametrize(
    ("base", "breaking", "expected"),
    [
        ("0.1.0", True, "0.2.0"),
        ("0.1.7", True, "0.2.0"),
        ("0.1.0", False, "0.1.1"),
        ("0.9.3", True, "0.10.0"),
        ("1.0.0", True, "2.0.0"),
        ("1.4.2", False, "1.4.3"),
        ("2", False, "2.0.1"),
    ],
)
def test_bump_rule(base: str, breaking: bool, expected: str) -> None:
    assert bumped(Version(base), breaking) == Version(expected)


def test_version_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "overrides" / "gewe" / "_version.py"
    path.parent.mkdir(parents=True)
    path.write_text('"""Doc."""\n\n__version__ = "0.1.0"\n')
    write_version(tmp_path, Version("0.2.0"))
    assert read_version(tmp_path) == Version("0.2.0")
    assert path.read_text() == '"""Doc."""\n\n__version__ = "0.2.0"\n'


def test_a_version_file_without_the_line_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "overrides" / "gewe" / "_version.py"
    path.parent.mkdir(parents=True)
    path.write_text("VERSION = '1'\n")
    with pytest.raises(VersionError, match="no line `__version__"):
        write_version(tmp_path, Version("0.2.0"))
    assert path.read_text() == "VERSION = '1'\n"


def report() -> Report:
    return Report(
        base="v0.1.0 (abc1234)",
        spec_changes=[
            Change(SPEC, BREAKING, "request-property-removed", "`g.op`", "request field `a`", "removed")
        ],
        api_changes=[Change(API, COMPATIBLE, "model-added", "`gewe_api.models.X`", "", "model class added")],
    )


def test_entries_are_prepended_newest_first(tmp_path: Path) -> None:
    changelog.prepend(tmp_path, changelog.entry(Version("0.1.1"), report(), "a" * 64, today="2026-01-01"))
    changelog.prepend(tmp_path, changelog.entry(Version("0.2.0"), report(), "b" * 64, today="2026-02-01"))
    text = (tmp_path / "CHANGELOG.md").read_text()
    assert text.startswith("# Changelog\n")
    assert text.index("## 0.2.0 — 2026-02-01") < text.index("## 0.1.1 — 2026-01-01")
    assert f"sha256 `{'b' * 64}`" in text
    assert "### Breaking\n\n- **breaking** `request-property-removed`" in text
    assert "### Compatible\n\n- **compatible** `model-added`" in text
    assert changelog.has_entry(text, Version("0.2.0"))
    assert changelog.has_entry(text, Version("0.1.1"))
    assert not changelog.has_entry(text, Version("0.1.0"))
    assert not changelog.has_entry("## 0.2.0.1\n", Version("0.2.0"))
    assert changelog.has_entry("## [0.2.0] - 2026\n", Version("0.2.0"))


def test_report_says_no_changes() -> None:
    empty = Report(base="v0.1.0 (abc1234)", spec_changes=[], api_changes=[])
    assert "\nno changes\n" in empty.markdown()
    assert "no changes" not in report().markdown()
    assert "**breaking**: 1 breaking, 1 compatible" in report().markdown()
