"""Every script in examples/ runs against Prism as a user would run it: a subprocess with GEWE_TOKEN,
GEWE_APP_ID and GEWE_BASE_URL set, in an empty folder, exiting 0. A new example is covered by being
there; each script checks what it shows and exits 1 when it does not happen."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools.servers import PrismServer

pytestmark = pytest.mark.prism

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.py"))
TOKEN = "example-token-0123"


def test_there_are_examples() -> None:
    assert {p.stem for p in EXAMPLES} >= {
        "quickstart",
        "async_burst",
        "errors_and_retries",
        "per_call_options",
        "callback_bot",
        "media_bot",
    }


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_against_prism(script: Path, prism: PrismServer, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEWE_")}
    env.update(GEWE_TOKEN=TOKEN, GEWE_APP_ID="wx_example", GEWE_BASE_URL=prism.base_url)
    proc = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, f"{script.name} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert proc.stdout.strip(), f"{script.name} printed nothing"
    assert TOKEN not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
