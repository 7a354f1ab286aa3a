"""The SDK's version: read and written in its one place (overrides/gewe/_version.py), and the bump a
report requires.

Before 1.0 a breaking change bumps the minor and anything else the patch (0.1.3 -> 0.2.0 / 0.1.4);
from 1.0 on it is semver: breaking bumps the major, anything else the patch (additions to a
generated SDK are patch-level: nothing else in the version tells users more). Versions are
compared with `packaging`, so 0.10.0 > 0.9.0.
"""

from __future__ import annotations

import re
from pathlib import Path

from packaging.version import InvalidVersion, Version

VERSION_FILE = Path("overrides/gewe/_version.py")
VERSION_LINE = re.compile(r'^__version__[ \t]*=[ \t]*"(?P<v>[^"]+)"[ \t]*$', re.M)


class VersionError(Exception):
    pass


def parse_version(text: str, where: str) -> Version:
    """The version assigned in a _version.py text; VersionError naming `where` if there is none."""
    match = VERSION_LINE.search(text)
    if match is None:
        raise VersionError(f'{where}: no line `__version__ = "X.Y.Z"`')
    try:
        return Version(match.group("v"))
    except InvalidVersion:
        raise VersionError(f"{where}: {match.group('v')!r} is not a version") from None


def read_version(root: Path) -> Version:
    path = root / VERSION_FILE
    try:
        return parse_version(path.read_text(encoding="utf-8"), str(VERSION_FILE))
    except OSError as exc:
        raise VersionError(f"{VERSION_FILE}: cannot read it: {exc.strerror or exc}") from None


def write_version(root: Path, version: Version) -> None:
    path = root / VERSION_FILE
    text = path.read_text(encoding="utf-8")
    parse_version(text, str(VERSION_FILE))  # fails clearly if the line is missing
    new = VERSION_LINE.sub(f'__version__ = "{version}"', text, count=1)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(new, encoding="utf-8")
    tmp.replace(path)


def bumped(base: Version, breaking: bool) -> Version:
    """The version after `base` for a breaking or a compatible change."""
    major, minor, patch = (*base.release, 0, 0, 0)[:3]
    if breaking:
        return Version(f"{major}.{minor + 1}.0") if major == 0 else Version(f"{major + 1}.0.0")
    return Version(f"{major}.{minor}.{patch + 1}")


def required(base: Version, breaking: bool) -> Version:
    """The lowest version the working tree may carry after a change of this kind from `base`."""
    return bumped(base, breaking)
