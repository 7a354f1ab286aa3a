"""Every script in examples/ runs against Prism, and against gewe.testing.FakeGewe, as a user would
run it: a subprocess with GEWE_TOKEN, GEWE_APP_ID and GEWE_BASE_URL set, in an empty folder, exiting
0. A new example is covered by being there; each script checks what it shows and exits 1 when it
does not happen. Against the fake, every call it made must also have matched the spec."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gewe.testing import FakeGewe
from tools.servers import PrismServer

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


@pytest.mark.prism
@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_against_prism(script: Path, prism: PrismServer, tmp_path: Path) -> None:
    run_example(script, prism.base_url, tmp_path)


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_against_the_fake(script: Path, tmp_path: Path) -> None:
    with FakeGewe(token=TOKEN, app_id="wx_example") as fake:
        out = run_example(script, fake.base_url, tmp_path)
    assert fake.calls(), f"{script.name} called nothing"
    refused = [(c.op, c.problems) for c in fake.calls() if c.problems]
    assert refused == REFUSALS.get(script.stem, [])
    for line in SHOWN_AGAINST_THE_FAKE.get(script.stem, ()):
        assert line in out, f"{script.name} did not print {line!r}:\n{out}"


# what an example shows only against the fake (Prism's download replies cannot be fetched)
SHOWN_AGAINST_THE_FAKE = {
    "media_bot": [
        "saved the image from",
        "saved the voice from",
        "saved the video from",
        "saved the file from",
    ]
}


# the requests an example breaks the spec with on purpose (to show the error)
REFUSALS = {
    "errors_and_retries": [("group.getChatroomQrCode", ("chatroomId is an integer, expected string",))]
}


def run_example(script: Path, base_url: str, tmp_path: Path) -> str:
    """Run `script` as a user would; its stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEWE_")}
    env.update(GEWE_TOKEN=TOKEN, GEWE_APP_ID="wx_example", GEWE_BASE_URL=base_url)
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
    return proc.stdout
