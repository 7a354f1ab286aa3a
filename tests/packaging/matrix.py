"""The environments the wheel is proved in (tests/packaging/test_matrix.py), read from pyproject.toml.

- `floors`: the lowest declared Python, every runtime dependency and every extra's dependency at the
  lowest version the metadata allows (uv's `--resolution lowest-direct`, each requirement given as a
  direct one; what they pull in comes at its newest).
- `python3.X`: each Python the classifiers declare, with the newest versions the metadata allows
  (but the one running the tests: the main suite and test_wheel.py cover it).

Each one is a fresh venv made by uv (pinned in requirements/dev.txt, installed by `make venv`) from
PyPI and uv's cache, never a downloaded interpreter; a declared Python this machine lacks is skipped
with the places that were searched.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.packaging.helpers import ROOT, clean_env

PYPROJECT = ROOT / "pyproject.toml"
DEV_PINS = ROOT / "requirements" / "dev.txt"
CLASSIFIER = re.compile(r"^Programming Language :: Python :: (3\.\d+)$")
# What the unit suite needs besides the SDK, at the versions .venv pins.
TEST_TOOLS = ("pytest", "pytest-asyncio", "pytest-timeout", "hypothesis", "PyYAML")
# Unit test modules that exercise the build toolchain (openapi-python-client, mypy) or the bench
# harness (its peers, httpx-aiohttp), which an installed wheel does not carry: the main suite runs them.
TOOLCHAIN_TESTS = ("tests/unit/test_reply_shapes.py", "tests/unit/test_bench_harness.py")
FLOOR_OPERATORS = (">=", "==", "~=", "===")


class MatrixError(Exception):
    """The metadata cannot say what to test (a dependency without a floor, no declared Pythons)."""


def project() -> Mapping[str, object]:
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    table: Mapping[str, object] = data["project"]
    return table


def dependencies() -> list[Requirement]:
    """The runtime dependencies (without extras)."""
    return [Requirement(line) for line in project().get("dependencies", [])]  # type: ignore[attr-defined]


def extra_requirements() -> dict[str, list[Requirement]]:
    """Each extra's own requirements."""
    found: Mapping[str, list[str]] = project().get("optional-dependencies", {})  # type: ignore[assignment]
    return {extra: [Requirement(line) for line in found[extra]] for extra in sorted(found)}


def requirements() -> list[Requirement]:
    """Every runtime requirement: the dependencies and every extra's, as declared in pyproject.toml."""
    meta = project()
    lines = list(meta.get("dependencies", []))  # type: ignore[call-overload]
    extras: Mapping[str, list[str]] = meta.get("optional-dependencies", {})  # type: ignore[assignment]
    for extra in sorted(extras):
        lines += extras[extra]
    return [Requirement(line) for line in lines]


def extras() -> list[str]:
    found: Mapping[str, object] = project().get("optional-dependencies", {})  # type: ignore[assignment]
    return sorted(found)


def floor(req: Requirement) -> Version:
    """The lowest version `req` allows (its `>=`, `==` or `~=` bound); MatrixError if it has none."""
    bounds = [Version(s.version) for s in req.specifier if s.operator in FLOOR_OPERATORS]
    if not bounds:
        raise MatrixError(f"{req}: no lower bound (>=, ~= or ==): declare the oldest version that works")
    return max(bounds)


def declared_pythons() -> list[str]:
    """The `3.X` of every `Programming Language :: Python :: 3.X` classifier, oldest first."""
    found = [m.group(1) for c in project().get("classifiers", []) if (m := CLASSIFIER.match(c))]  # type: ignore[attr-defined]
    if not found:
        raise MatrixError("pyproject.toml declares no `Programming Language :: Python :: 3.X` classifier")
    return sorted(set(found), key=Version)


def requires_python() -> SpecifierSet:
    return SpecifierSet(str(project()["requires-python"]))


def dev_pins(names: tuple[str, ...] = TEST_TOOLS) -> list[str]:
    """`name==version` for `names`, as requirements/dev.txt pins them."""
    wanted = {canonicalize_name(n) for n in names}
    pins = []
    for line in DEV_PINS.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and canonicalize_name(Requirement(line).name) in wanted:
            pins.append(line)
    missing = wanted - {canonicalize_name(Requirement(p).name) for p in pins}
    assert not missing, f"{DEV_PINS.name} pins none of {sorted(missing)}"
    return pins


def _python_candidates(minor: str) -> Iterator[str]:
    if found := shutil.which(f"python{minor}"):
        yield found
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    patches = glob.glob(str(pyenv / "versions" / f"{minor}.*" / "bin" / f"python{minor}"))
    yield from sorted(patches, key=lambda p: Version(Path(p).parents[1].name.split("-")[0]), reverse=True)
    for folder in ("/usr/local/bin", "/usr/bin"):
        yield f"{folder}/python{minor}"


PYTHON_SEARCH = "`python{0}` on PATH, $PYENV_ROOT/versions/{0}.*, /usr/local/bin, /usr/bin"


def find_python(minor: str) -> Path | None:
    """A working interpreter of Python `minor` ("3.12") on this machine, or None.

    A pyenv shim on PATH may exist and still refuse to run (the version is not selected), so each
    candidate is run and must report that version.
    """
    for candidate in _python_candidates(minor):
        try:
            proc = subprocess.run(
                [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2]); print(sys.executable)"],
                capture_output=True,
                text=True,
                timeout=30,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        lines = proc.stdout.split()
        if proc.returncode == 0 and len(lines) == 2 and lines[0] == minor:
            return Path(lines[1])
    return None


def uv() -> Path:
    path = Path(sys.executable).parent / "uv"
    assert path.exists(), f"{path} is missing: `make venv` installs uv from requirements/dev.txt"
    return path


def uv_env() -> dict[str, str]:
    """The child environment for uv: clean, never a downloaded Python, uv's own cache reused."""
    return clean_env({"UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"})


@dataclass(frozen=True)
class Environment:
    """One venv of the matrix: its name, the Python it wants, and whether dependencies are floors."""

    name: str
    python: str  # "3.11"
    floors: bool

    def install_args(self, wheel: Path) -> list[str]:
        """What `uv pip install` gets: the wheel with every extra, plus the test tools; for the
        floors, every requirement again as a direct one so lowest-direct applies to it."""
        with_extras = f"{wheel}[{','.join(extras())}]" if extras() else str(wheel)
        args = ["--no-build", with_extras, *dev_pins()]
        if self.floors:
            args = ["--resolution", "lowest-direct", *args, *(str(r) for r in requirements())]
        return args


RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"


def environments() -> list[Environment]:
    """The floors on the oldest declared Python, then every other declared Python, newest versions.

    The Python running the tests is left out of the second kind: with the newest versions it is what
    the main suite runs on (unit tests), and test_wheel.py installs the wheel into a fresh venv of it
    and calls Prism, so another venv of it would prove nothing new.
    """
    pythons = declared_pythons()
    others = [Environment(f"python{v}", v, False) for v in pythons if v != RUNNING]
    return [Environment("floors", pythons[0], True), *others]
