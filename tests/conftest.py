"""Fixtures shared by every test folder."""

from __future__ import annotations

import copy
import inspect
import os
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import settings

from tests.support import calls
from tests.support.loopback import FaultServer, fault_server
from tools.servers import DEFAULT_PRISM, PrismNotFound, PrismServer, find_prism

# Hypothesis: "ci" (the default, and what `make test` runs) is deterministic: derandomized, with no
# example database, so a run's outcome depends only on the code. "dev" draws new random examples
# each run and keeps failures in .hypothesis/: `HYPOTHESIS_PROFILE=dev make unit` (or pytest).
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "ci")

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "gewe.yaml"
SEED_PAGE = ROOT / "tests" / "fixtures" / "seed" / "group" / "获取群二维码.md"
# The spec the spec-driven tests (Prism, contract) run against: openapi/gewe.yaml, or another one
# whose generated gewe_api is first on sys.path (`make corpus` runs them over the synthetic corpus).
TEST_SPEC = Path(os.environ.get("GEWE_TEST_SPEC") or SPEC).resolve()
# A recognisable fake token: tests assert it never shows in a repr, log line or error.
TOKEN = "tok-SECRET-5f3a9c"
APP_ID = "wx_app_123"


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    return loaded


@cache
def _seed_page() -> dict[str, Any]:
    """The OpenAPI block of the tests' copy of the seed page, read without tools/ (an installed
    wheel's unit suite, tests/packaging/matrix.py, has none of the spec tools' dependencies)."""
    text = SEED_PAGE.read_text(encoding="utf-8")
    (block,) = re.findall(r"^```yaml\n(.*?)^```", text, re.M | re.S)
    body: dict[str, Any] = yaml.safe_load(block)
    return body


def qr_example() -> dict[str, Any]:
    """The group-QR reply example (a real QR JPEG and its tips), from the tests' own copy of the
    page (tests/fixtures/seed/), so it holds whatever pages openapi/exports/ has."""
    op = _seed_page()["paths"]["/gewe/v2/api/group/getChatroomQrCode"]["post"]
    example: dict[str, Any] = copy.deepcopy(op["responses"]["200"]["content"]["application/json"]["example"])
    return example


@pytest.fixture(autouse=True)
def _no_gewe_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests start without GEWE_* settings from the machine they run on."""
    for name in ("GEWE_TOKEN", "GEWE_APP_ID", "GEWE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(params=list(calls.SENDERS))
def route(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run a test once per sender of its mode (tests.support.calls.SENDERS; opt in:
    `pytest.mark.usefixtures("route")`, or take `route` as an argument)."""
    if request.param == "aiohttp-session":
        from gewe.transport import async_default

        monkeypatch.setattr(async_default, "DIRECT", False)
    calls.route = request.param
    try:
        yield request.param
    finally:
        calls.route = calls.DEFAULT


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each test runs with the senders of its mode only: its `mode` parameter, else async for a
    coroutine test and sync for any other."""
    kept, dropped = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        route = params.get("route")
        function = getattr(item, "function", None)
        mode = params.get("mode") or ("async" if inspect.iscoroutinefunction(function) else "sync")
        if isinstance(route, str) and route in calls.SENDERS and mode not in calls.SENDERS[route]:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with fault_server() as srv:
        yield srv


@pytest.fixture(scope="session")
def prism() -> Iterator[PrismServer]:
    """One Prism for the session (contract and packaging tests), serving TEST_SPEC (openapi/gewe.yaml).

    Static examples, --errors, on a free loopback port; stopped (by PID) at session end.

    Skipped only when Prism was never installed and nothing asked for it (GEWE_PRISM unset, as
    outside the Makefile). When GEWE_PRISM is set (`make test` sets it) a missing or broken Prism
    is a failure, never a skip.
    """
    if not os.environ.get("GEWE_PRISM") and not DEFAULT_PRISM.exists():
        pytest.skip(f"Prism is not installed ({DEFAULT_PRISM} is absent, GEWE_PRISM unset): run `make prism`")
    try:
        find_prism()
    except PrismNotFound as exc:
        pytest.fail(str(exc), pytrace=False)
    with PrismServer(TEST_SPEC) as server:
        yield server
