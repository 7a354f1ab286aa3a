"""Helpers for the packaging tests: the version's single source, clean child environments, fresh
venvs that this venv's pip installs into, and running commands with their output in failures."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "openapi" / "gewe.yaml"
VERSION_FILE = ROOT / "overrides" / "gewe" / "_version.py"
COMMAND_TIMEOUT = 180.0


def project_version() -> str:
    """`__version__` from overrides/gewe/_version.py, the single source of the version."""
    tree = ast.parse(VERSION_FILE.read_text(encoding="utf-8"))
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    raise AssertionError(f"no __version__ = '...' in {VERSION_FILE}")


def clean_env(extra: Mapping[str, str] | None = None, *, keep_pip_config: bool = False) -> dict[str, str]:
    """This process's environment without what could leak the checkout or this venv into a child:
    PYTHON* variables, VIRTUAL_ENV, GEWE_* settings and (unless kept) pip's configuration."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "GEWE_", "VIRTUAL_ENV"))
        and (keep_pip_config or not k.startswith("PIP_"))
        and k != "__PYVENV_LAUNCHER__"
    }
    if not keep_pip_config:
        env["PIP_CONFIG_FILE"] = os.devnull  # no pip.conf: no extra indexes, find-links or constraints
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra or {})
    return env


def run(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float = COMMAND_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run a command with its output captured; when `check`, fail the test quoting that output."""
    proc = subprocess.run(
        [os.fspath(c) for c in cmd],
        cwd=cwd,
        env=dict(env) if env is not None else clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    if check and proc.returncode != 0:
        pytest.fail(
            f"command failed with exit code {proc.returncode}: {' '.join(map(str, cmd))}\n"
            f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}",
            pytrace=False,
        )
    return proc


def pip(*args: str | os.PathLike[str], python: Path | None = None) -> list[str]:
    """A pip command line from this venv's pip, optionally installing into another interpreter's venv."""
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    if python is not None:
        cmd += ["--python", str(python)]
    return cmd + [os.fspath(a) for a in args]


@dataclass(frozen=True)
class Venv:
    path: Path

    @property
    def bin(self) -> Path:
        return self.path / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = clean_env(extra)
        env["PATH"] = str(self.bin) + os.pathsep + env.get("PATH", "")
        return env

    def install(self, *args: str | os.PathLike[str]) -> subprocess.CompletedProcess[str]:
        """`pip install` into this venv (pip config ignored); `args` say from where."""
        return run(pip("install", "--no-cache-dir", *args, python=self.python), env=clean_env())

    def python_code(
        self, code: str, *args: str, env: Mapping[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run `code` in isolated mode (-I: no cwd, no PYTHON* variables, no user site) from a
        folder outside the checkout, so only what is installed in the venv can be imported."""
        return run([self.python, "-I", "-c", code, *args], cwd=self.path, env=self.env(env), check=check)


def new_venv(path: Path) -> Venv:
    """A fresh, empty venv at `path` (no pip: install into it with `Venv.install`)."""
    venv = Venv(path)
    run([sys.executable, "-m", "venv", "--without-pip", venv.path])
    assert venv.python.exists()
    return venv
