"""The wheel at its dependency floors and on every declared Python: unit suite and Prism calls.

The environments (tests/packaging/matrix.py) come from pyproject.toml as it is: a dependency or an
extra added there is installed at its floor here, a Python added to the classifiers gets its venv.
They are built and run in parallel, once per session; each test then reads its environment's result.
In each, the unit suite runs against the installed wheel (not the checkout: `gewe` and `gewe_api` come
from the venv), without the modules in TOOLCHAIN_TESTS, and a smoke script calls Prism sync and async,
decoding the QR image and its join link (the `qr` extra).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.packaging import matrix
from tests.packaging.helpers import ROOT, clean_env
from tools.servers import PrismServer

pytestmark = [pytest.mark.slow, pytest.mark.prism, pytest.mark.timeout(900)]

ENVIRONMENTS = matrix.environments()
STEP_TIMEOUT = 400.0
CHATROOM = "34757816141@chatroom"

SMOKE = """
import asyncio, json, sys
from importlib.metadata import version
import gewe
from gewe import AsyncGeweClient, GeweClient

def settings():
    return dict(token="matrix-test-token", app_id="wx_matrix", base_url=sys.argv[1], max_retries=0)

with GeweClient(**settings()) as client:
    qr = client.group.get_chatroom_qr_code(chatroom_id=sys.argv[2])
    image, url = qr.image, qr.url  # cached properties on an attrs model, and the qr extra

async def burst():
    async with AsyncGeweClient(**settings()) as client:
        calls = [client.group.get_chatroom_qr_code(chatroom_id=sys.argv[2]) for _ in range(5)]
        return [r.qr_tips for r in await asyncio.gather(*calls)]

print(json.dumps({
    "gewe": gewe.__file__, "python": "%d.%d" % sys.version_info[:2], "sdk": version("gewe-sdk"),
    "mime_type": image.mime_type, "url": url, "async_tips": asyncio.run(burst()), "tips": qr.tips,
}))
"""


@dataclass
class Outcome:
    """What happened in one environment: a skip reason, or each step's output until one failed."""

    env: matrix.Environment
    skipped: str = ""
    failed: str = ""  # the step that failed, with its command and output
    installed: dict[str, str] = field(default_factory=dict)
    unit_summary: str = ""
    smoke: dict[str, Any] = field(default_factory=dict)
    venv: Path | None = None


def _step(outcome: Outcome, what: str, cmd: list[str], **kwargs: Any) -> str | None:
    """Run one step; its stdout, or None with `outcome.failed` saying what failed and why."""
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=STEP_TIMEOUT, stdin=subprocess.DEVNULL, **kwargs
        )
    except subprocess.TimeoutExpired:
        outcome.failed = f"{what}: timed out after {STEP_TIMEOUT:.0f} s: {' '.join(cmd)}"
        return None
    if proc.returncode != 0:
        outcome.failed = (
            f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n"
            f"--- stdout ---\n{proc.stdout[-6000:]}\n--- stderr ---\n{proc.stderr[-6000:]}"
        )
        return None
    return proc.stdout


def prove(env: matrix.Environment, wheel: Path, base_url: str, where: Path) -> Outcome:
    """Build `env`'s venv, install, run the smoke script and the unit suite; stop at the first failure."""
    outcome = Outcome(env)
    python = matrix.find_python(env.python)
    if python is None:
        outcome.skipped = (
            f"Python {env.python} is declared (classifiers) but not on this machine; searched "
            + matrix.PYTHON_SEARCH.format(env.python)
        )
        return outcome
    venv = outcome.venv = where / env.name
    uv, uv_env = str(matrix.uv()), matrix.uv_env()
    if (
        _step(
            outcome,
            "uv venv",
            [uv, "venv", "-q", "--no-config", "--python", str(python), str(venv)],
            env=uv_env,
        )
        is None
    ):
        return outcome
    target = ["--python", str(venv / "bin" / "python")]
    install = [uv, "pip", "install", "-q", "--no-config", *target, *env.install_args(wheel)]
    if _step(outcome, "uv pip install", install, env=uv_env) is None:
        return outcome
    frozen = _step(outcome, "uv pip list", [uv, "pip", "list", "--format", "json", *target], env=uv_env)
    if frozen is None:
        return outcome
    outcome.installed = {canonicalize_name(p["name"]): p["version"] for p in json.loads(frozen)}
    child = clean_env({"PATH": f"{venv / 'bin'}:{clean_env().get('PATH', '')}"})
    python_in_venv = str(venv / "bin" / "python")
    smoke = _step(
        outcome, "smoke script", [python_in_venv, "-I", "-c", SMOKE, base_url, CHATROOM], cwd=venv, env=child
    )
    if smoke is None:
        return outcome
    outcome.smoke = json.loads(smoke)
    unit = [
        python_in_venv,
        "-m",
        "pytest",
        "tests/unit",
        "tests/media",  # the media extra at its floor: SILK, PyAV, the hosts
        # the fake GeWe and its fixtures, at the aiohttp floor too
        "tests/testing/test_fake.py",
        "tests/testing/test_plugin.py",
        "-q",
        "-p",
        "no:cacheprovider",
        "-m",
        "not prism and not slow",
    ]
    unit += [f"--ignore={path}" for path in matrix.TOOLCHAIN_TESTS]
    ran = _step(outcome, "unit suite", unit, cwd=ROOT, env=child)
    if ran is not None:
        outcome.unit_summary = ran.strip().splitlines()[-1]
    return outcome


@pytest.fixture(scope="session")
def outcomes(wheel: Path, prism: PrismServer) -> Iterator[dict[str, Outcome]]:
    """Every environment proved, in parallel (uv and the suites mostly wait on disk and each other)."""
    with (
        tempfile.TemporaryDirectory(prefix="gewe-matrix-") as tmp,
        ThreadPoolExecutor(len(ENVIRONMENTS)) as pool,
    ):
        futures = {
            env.name: pool.submit(prove, env, wheel, prism.base_url, Path(tmp)) for env in ENVIRONMENTS
        }
        yield {name: future.result() for name, future in futures.items()}


def _outcome(outcomes: dict[str, Outcome], name: str) -> Outcome:
    outcome = outcomes[name]
    if outcome.skipped:
        pytest.skip(outcome.skipped)
    if outcome.failed:
        pytest.fail(f"[{name}] {outcome.failed}", pytrace=False)
    return outcome


NAMES = [env.name for env in ENVIRONMENTS]


# --- what the metadata declares ------------------------------------------------------------------------


def test_every_runtime_and_extra_requirement_declares_a_floor() -> None:
    reqs = matrix.requirements()
    assert {canonicalize_name(r.name) for r in reqs} >= {"httpx", "aiohttp", "attrs", "python-dateutil"}
    for req in reqs:
        assert matrix.floor(req) in req.specifier, (
            f"{req}: its floor {matrix.floor(req)} is not allowed by it"
        )


def test_the_declared_pythons_are_the_ones_requires_python_allows() -> None:
    allowed, pythons = matrix.requires_python(), matrix.declared_pythons()
    for minor in pythons:
        assert Version(f"{minor}.0") in allowed, f"classifier {minor} outside requires-python {allowed}"
    oldest = Version(f"{pythons[0]}.0")
    below = Version(f"{oldest.major}.{oldest.minor - 1}.0")
    assert below not in allowed, f"requires-python {allowed} allows {below}, older than every classifier"
    assert len(pythons) == len({*pythons}) and pythons == sorted(pythons, key=Version)
    assert matrix.RUNNING in pythons, f"the tests run on Python {matrix.RUNNING}, which is not declared"
    proved = {env.python for env in ENVIRONMENTS} | {matrix.RUNNING}
    assert proved == set(pythons)


def test_a_dependency_without_a_floor_is_named() -> None:
    from packaging.requirements import Requirement

    with pytest.raises(matrix.MatrixError, match=r"^somepkg<2: no lower bound"):
        matrix.floor(Requirement("somepkg<2"))
    assert matrix.floor(Requirement("x>=1.2,!=1.3,<2")) == Version("1.2")
    assert matrix.floor(Requirement("x~=3.0")) == Version("3.0")


# --- each environment ----------------------------------------------------------------------------------


def test_the_floors_environment_has_every_requirement_at_its_floor(outcomes: dict[str, Outcome]) -> None:
    outcome = _outcome(outcomes, "floors")
    assert outcome.smoke["python"] == matrix.declared_pythons()[0]
    for req in matrix.requirements():
        if req.marker is not None and not req.marker.evaluate(
            {"extra": "", "python_version": outcome.env.python}
        ):
            continue
        installed = outcome.installed.get(canonicalize_name(req.name))
        assert installed is not None, f"{req.name} is not installed in the floors venv"
        assert Version(installed) == matrix.floor(req), (
            f"{req}: installed {installed}, floor {matrix.floor(req)}"
        )


@pytest.mark.parametrize("name", NAMES)
def test_the_installed_wheel_calls_prism_sync_and_async(outcomes: dict[str, Outcome], name: str) -> None:
    outcome = _outcome(outcomes, name)
    smoke = outcome.smoke
    assert outcome.venv is not None and Path(smoke["gewe"]).is_relative_to(outcome.venv), smoke["gewe"]
    assert smoke["python"] == outcome.env.python
    assert smoke["mime_type"] == "image/jpeg"
    assert smoke["url"].startswith("https://weixin.qq.com/g/")
    assert smoke["async_tips"] == [smoke["tips"]] * 5


@pytest.mark.parametrize("name", NAMES)
def test_the_unit_suite_passes_against_the_installed_wheel(outcomes: dict[str, Outcome], name: str) -> None:
    outcome = _outcome(outcomes, name)
    assert " passed" in outcome.unit_summary and "failed" not in outcome.unit_summary, outcome.unit_summary


def test_pythons_are_found_by_version_and_a_missing_one_is_none() -> None:
    found = matrix.find_python(matrix.RUNNING)
    assert found is not None and found.exists()
    assert matrix.find_python("3.99") is None  # prove() turns this into a skip naming where it looked
    assert "3.99" in matrix.PYTHON_SEARCH.format("3.99")
