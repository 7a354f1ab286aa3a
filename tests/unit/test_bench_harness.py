"""bench/ runs, and reports every target with its spread and an honest verdict (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from common import Sample  # noqa: E402
from targets import Target  # noqa: E402


def test_a_target_inside_the_iqr_is_reported_as_within_noise() -> None:
    straddles = Target("x", 1.0, Sample([0.9, 0.95, 1.02, 1.05, 1.1]))
    assert straddles.noisy
    assert straddles.result == "MISS, within noise"
    clear = Target("x", 1.0, Sample([0.7, 0.8, 0.82, 0.85, 1.3]))  # the range crosses, the IQR does not
    assert not clear.noisy and clear.result == "pass"
    assert clear.spread == "IQR 0.800×–0.850×; range 0.700×–1.300×"


def test_below_targets_time_targets_and_failed_calls() -> None:
    level = Target("x", 1.0, Sample([1.0, 1.0, 1.0]), below=True)
    assert not level.met  # "<": equal is not below
    fast = Target("x", 500.0, Sample([0.0002, 0.0003, 0.0004]), unit="µs")
    assert fast.met and fast.measured == "300 µs" and fast.wanted == "≤ 500 µs"
    failing = Target("x", 2.0, Sample([1.0, 1.0]), failed_calls=3)
    assert not failing.met and failing.result == "MISS (3 calls failed)"


def test_the_bench_runs_and_reports_spreads(tmp_path: Path) -> None:
    """A smoke run (a few calls of each contender) of the sync, short-lived and async sections."""
    out, raw = tmp_path / "bench.md", tmp_path / "bench.json"
    cmd = [sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--no-peers"]
    cmd += ["--only", "sync", "--only", "short", "--only", "async", "--out", str(out), "--json", str(raw)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=100, check=False)
    if proc.returncode != 0:
        pytest.fail(proc.stderr[-3000:])
    report = out.read_text(encoding="utf-8")
    for row in (
        "SDK vs raw httpx",
        "SDK vs urllib3",
        "`with GeweClient(...)` + one call, vs urllib3",
        "SDK vs raw aiohttp",
        "**Noise in this run:**",
        "urllib3 `PoolManager().request(...)`",
        "raw aiohttp again",
    ):
        assert row in report, row
    assert report.count("IQR ") >= 6
    results = json.loads(raw.read_text(encoding="utf-8"))
    assert results["profile"] == "smoke"
    assert results["async"]["failed"]["cold"]["async-sdk"] == 0
