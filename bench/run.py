"""`make bench`: run every benchmark section in one go and write docs/benchmarks.md.

    .venv/bin/python bench/run.py [--quick | --smoke] [--only SECTION ...] [--no-peers]
                                  [--out docs/benchmarks.md] [--json FILE]

GEWE_BENCH_PROFILE=quick (or smoke) in the environment does what --quick (--smoke) does, so
`GEWE_BENCH_PROFILE=quick make bench` is a short run of the whole bench.

See bench/README.md for what each section measures and how. Kept out of `make test`: it takes a
few minutes, and its numbers are ratios measured within one run, since absolute times drift on
shared machines.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import breakdown
import events
import images
import intake
import percall
import pipeline
import report
from common import (
    BENCH,
    BENCH_VENV,
    OPENGEWE_PY,
    OPENGEWE_VENV,
    ROOT,
    SPEC,
    ReplyServer,
    seed_reply_bytes,
)

GEWECHAT_REQUIREMENTS = BENCH / "requirements-gewechat.txt"
OPENGEWE_REQUIREMENTS = BENCH / "requirements-opengewe.txt"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _venv_versions(python: Path, dists: tuple[str, ...], module: str) -> dict[str, str] | None:
    if not python.exists():
        return None
    script = (
        f"import importlib.metadata as m, json, {module}; "
        f"print(json.dumps({{n: m.version(n) for n in {dists!r}}}))"
    )
    cmd = [str(python), "-c", script]
    # In the venv's folder: opengewe writes a logs/ folder into the working directory on import.
    cwd = python.parent.parent
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=60, cwd=cwd)
    if proc.returncode != 0:
        return None
    versions: dict[str, str] = json.loads(proc.stdout)
    return versions


def ensure_bench_venv(
    venv: Path, requirements: Path, dists: tuple[str, ...], module: str
) -> tuple[dict[str, str] | None, str]:
    """A separate venv for a competitor (under .bench/): created and filled when missing or stale."""
    python = venv / "bin" / "python"
    stamp = venv / ".requirements"
    wanted = requirements.read_text(encoding="utf-8")
    versions = _venv_versions(python, dists, module)
    if versions is not None and stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return versions, ""
    log(f"setting up {venv.relative_to(ROOT)} for {dists[0]} ...")
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=300)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "-r", str(requirements)], check=True, timeout=600)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        return None, f"could not set up {venv.relative_to(ROOT)}: {exc}"
    stamp.write_text(wanted, encoding="utf-8")
    versions = _venv_versions(python, dists, module)
    return versions, "" if versions else f"{module} does not import in {venv.relative_to(ROOT)}"


def machine_info() -> dict[str, Any]:
    import httpx

    import gewe

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "httpx": httpx.__version__,
        "httpcore": importlib.metadata.version("httpcore"),
        "aiohttp": importlib.metadata.version("aiohttp"),
        "httpx_aiohttp": importlib.metadata.version("httpx-aiohttp"),
        "sdk": gewe.__version__,
        "openapi_python_client": importlib.metadata.version("openapi-python-client"),
        "spec_sha256": hashlib.sha256(SPEC.read_bytes()).hexdigest(),
        "generated_spec_sha256": gewe.SPEC_SHA256,
        "commit": git.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else ""),
        "load_before": os.getloadavg(),
    }


PROFILES: dict[str, dict[str, Any]] = {
    # sync rounds x calls, short-lived rounds x clients, async rounds per kind of run, import reps,
    # generation reps, image rounds, mock-transport rounds x calls; async calls per burst
    "full": {
        "sync": (60, 100),
        "short": (25, 40),
        "async": {"cold": 7, "warm": 9, "conc": 3, "cold-big": 3, "warm-big": 3},
        "async_mock": 7,
        "import": 11,
        "gen": 3,
        "images": 15,
        "mock": (11, 500),
        "calls": 1000,
        "big": 10_000,
        "warmup": 300,
    },
    "quick": {
        "sync": (5, 50),
        "short": (3, 10),
        "async": {"cold": 1, "warm": 2, "conc": 1, "cold-big": 1, "warm-big": 1},
        "async_mock": 2,
        "import": 3,
        "gen": 1,
        "images": 3,
        "mock": (3, 300),
        "calls": 1000,
        "big": 10_000,
        "warmup": 300,
    },
    # Checks that the bench itself runs (tests/bench): a few calls of everything, numbers meaningless.
    "smoke": {
        "sync": (2, 5),
        "short": (2, 3),
        "async": {"cold": 1, "warm": 1, "conc": 1, "cold-big": 1, "warm-big": 1},
        "async_mock": 1,
        "import": 1,
        "gen": 1,
        "images": 1,
        "mock": (1, 20),
        "calls": 20,
        "big": 40,
        "warmup": 3,
    },
}
SIZES = (1, 50, 150)  # generation; import compares the smallest and the largest
SECTIONS = ("sync", "short", "async", "import", "images")  # `import` builds the specs (generation)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="few rounds: numbers too noisy to quote")
    parser.add_argument("--smoke", action="store_true", help="a few calls of each: does the bench run?")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument(
        "--only",
        choices=SECTIONS,
        action="append",
        help="run this section (repeatable; for profiling or before/after runs)",
    )
    parser.add_argument(
        "--no-peers",
        action="store_true",
        help="leave out gewechat-client and opengewe (no bench venvs are created)",
    )
    parser.add_argument("--json", type=Path, default=ROOT / ".bench" / "results.json")
    parser.add_argument(
        "--per-call",
        action="store_true",
        help="measure section 1 (sync per call) only, and replace that section of --out",
    )
    args = parser.parse_args(argv)
    name = "smoke" if args.smoke else "quick" if args.quick else os.environ.get("GEWE_BENCH_PROFILE", "full")
    if name not in PROFILES:
        parser.error(f"GEWE_BENCH_PROFILE must be one of {', '.join(PROFILES)}, got {name!r}")
    profile = PROFILES[name]
    started = time.perf_counter()
    results: dict[str, Any] = {"profile": name}
    sections = set(args.only or SECTIONS)
    if args.per_call:
        sections = {"sync"}

    no_venv: tuple[None, str] = (None, "left out (--no-peers)")
    versions, venv_note = (
        ensure_bench_venv(
            BENCH_VENV, GEWECHAT_REQUIREMENTS, ("gewechat-client", "requests"), "gewechat_client"
        )
        if "sync" in sections and not args.no_peers
        else no_venv
    )
    og_versions, og_note = (
        ensure_bench_venv(OPENGEWE_VENV, OPENGEWE_REQUIREMENTS, ("opengewe", "aiohttp"), "opengewe")
        if "async" in sections and not args.no_peers
        else no_venv
    )
    results["machine"] = machine_info()
    results["machine"]["gewechat"] = versions
    results["machine"]["opengewe"] = og_versions
    results["gewechat_note"] = venv_note
    results["opengewe_note"] = og_note
    log(f"machine: {results['machine']['cpu']}, {results['machine']['cores']} cores")

    with tempfile.TemporaryDirectory(prefix="gewe-bench-") as tmp_name:
        tmp = Path(tmp_name)
        reply_file = tmp / "reply.json"
        reply_file.write_bytes(seed_reply_bytes())
        with ReplyServer(reply_file) as server:
            log(f"loopback server {server.url} (pid {server.server.pid if server.server else '?'})")
            if "sync" in sections:
                log("1. sync per call")
                results["lazy"] = breakdown.lazy_check(server.url)
                results["sync"] = percall.sync_bench(
                    server.url, *profile["sync"], log, peers=not args.no_peers, warmup=profile["warmup"]
                )
                results["layers"] = breakdown.layers(*profile["mock"])
                results["checks"] = breakdown.reply_checks(*profile["mock"])
                if args.per_call:
                    return _splice_per_call(results, args.out, started)
            if "short" in sections:
                log("1b. short-lived clients")
                results["short"] = percall.short_bench(
                    server.url, *profile["short"], log, warmup=min(20, profile["warmup"])
                )
            if "async" in sections:
                log("2. async")
                og_py = OPENGEWE_PY if og_versions else None
                calls = profile["calls"]
                results["async"] = percall.async_bench(
                    server.url,
                    profile["async"],
                    calls,
                    log,
                    og_py,
                    big=profile["big"],
                    warmup=profile["warmup"],
                )
                results["async_mock"] = breakdown.async_mock(profile["async_mock"], calls)
            if "import" in sections:
                log("4. generation")
                builds = pipeline.generation_bench(tmp, SIZES, profile["gen"], log)
                results["builds"] = builds
                log("3. import")
                ends = {n: builds[n] for n in (min(SIZES), max(SIZES))}
                results["imports"] = pipeline.import_bench(ends, server.url, profile["import"], log)
        if "images" in sections:
            log("5. images")
            results["images"] = images.image_bench(tmp, profile["images"], log)
            log("6. receiving pushes")
            results["events"] = events.events_bench(args.quick, log)
            log("7. durable intake")
            results["intake"] = intake.intake_bench(args.quick, log)

    results["machine"]["load_after"] = os.getloadavg()
    results["seconds"] = time.perf_counter() - started
    results["date"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = report.render(results) + (events.render(results["events"]) if "events" in results else "")
    text += intake.render(results["intake"]) if "intake" in results else ""
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, default=_jsonable, indent=1), encoding="utf-8")
    print(report.summary(results))
    log(f"wrote {args.out} and {args.json} in {results['seconds']:.0f} s")
    return 0


def _splice_per_call(results: dict[str, Any], out: Path, started: float) -> int:
    """Replace section 1 of an existing docs/benchmarks.md with a fresh measurement of it."""
    lines: list[str] = []
    report._sync_section(results, lines.append)
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines.insert(
        2,
        f"(This section re-measured {date} by `bench/run.py --per-call`, profile "
        f"`{results['profile']}`; the other sections are from the full run above.)\n",
    )
    text = out.read_text(encoding="utf-8")
    start, end = text.index("## 1. Sync per-call cost"), text.index("## 2. ")
    out.write_text(text[:start] + "\n".join(lines) + "\n" + text[end:], encoding="utf-8")
    log(f"replaced section 1 of {out} in {time.perf_counter() - started:.0f} s")
    return 0


def _jsonable(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(type(value).__name__)


if __name__ == "__main__":
    sys.exit(main())
