"""The `gewe` command as a real process, from the source tree (overrides/ and generated/ on the path)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tools.servers import ROOT

GEWE = [sys.executable, "-m", "gewe.cli"]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "overrides"), str(ROOT / "generated")])}


def start(*args: str, cwd: Path) -> subprocess.Popen[str]:
    """`gewe ARGS...` started in `cwd`, its output captured; the caller stops it (by its PID)."""
    return subprocess.Popen(
        [*GEWE, *args], cwd=cwd, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`gewe ARGS...` run to its end in `cwd` (60 s at most)."""
    return subprocess.run([*GEWE, *args], cwd=cwd, capture_output=True, text=True, timeout=60, env=env())


def stop(proc: subprocess.Popen[str], sig: int = signal.SIGTERM, timeout: float = 30) -> tuple[str, str]:
    """Send `sig` and collect (stdout, stderr); killed by its PID if it has not ended in `timeout` s."""
    try:
        proc.send_signal(sig)
        return proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
