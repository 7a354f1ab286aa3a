"""Fixtures for the packaging tests, shared per session to keep them fast.

- `wheel`: the gewe-sdk wheel, built once from this checkout (as `make wheel` does).
- `wheelhouse`: the wheel's dependencies as wheels (from PyPI, through the machine's pip
  configuration), so every fresh venv installs offline from it: `--no-index --find-links`.
- `make_venv`: fresh venvs without pip; this venv's pip installs into them (`pip --python`).
- `prism` (tests/conftest.py): Prism from openapi/gewe.yaml, for using the installed wheel.

Installs into fresh venvs ignore pip configuration files and PIP_* variables, so what is
installed is exactly the wheel, the wheelhouse and (for the publish test) the private index.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.packaging.helpers import ROOT, Venv, clean_env, new_venv, pip, run


@pytest.fixture(scope="session")
def make_venv(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Venv]:
    """A factory of fresh, empty venvs."""

    def make(name: str) -> Venv:
        return new_venv(tmp_path_factory.mktemp("venvs") / name)

    return make


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The gewe-sdk wheel built from this checkout, the way `make wheel` builds it."""
    out = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", out, ROOT], cwd=ROOT)
    wheels = sorted(out.glob("*.whl"))
    assert len(wheels) == 1, f"expected one wheel, got {[w.name for w in wheels]}"
    return wheels[0]


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """The wheel's runtime dependencies as wheels (not the wheel itself)."""
    house = tmp_path_factory.mktemp("wheelhouse")
    # Through the machine's own pip configuration: that is how this machine reaches PyPI.
    run(
        pip("download", "--only-binary=:all:", "--dest", house, wheel),
        env=clean_env(keep_pip_config=True),
    )
    for own in house.glob("gewe_sdk-*"):
        own.unlink()
    assert any(house.glob("httpx-*.whl")), sorted(p.name for p in house.iterdir())
    return house
