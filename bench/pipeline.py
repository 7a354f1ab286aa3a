"""Sections 3 and 4: generation wall time (bundle + generate) and import cost, for 1 and N endpoints.

The 1-endpoint build is the shipped export (openapi/exports: the group-QR page). The N-endpoint
build is N-1 synthetic pages from tests/fixtures/synth.py plus that same real page, so both
packages have `group.get_chatroom_qr_code` and the "first call" is the same call in both.

Each build runs the same commands as `make spec generate`, pointed at a temp folder:
`python -m tools.gewe_spec --exports DIR --out FILE` then `python tools/generate.py --spec FILE --out DIR`.
The import runs use a site folder per build holding `gewe` (a copy of overrides/gewe) and the
generated `gewe_api`, byte-compiled as an installed wheel would be, first on PYTHONPATH in a fresh
interpreter for every measurement.
"""

from __future__ import annotations

import compileall
import json
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from common import EXPORTS, OVERRIDES, PY, ROOT, Sample, run_env


@dataclass
class Build:
    endpoints: int
    spec: Path
    site: Path  # holds gewe/ and gewe_api/
    bundle: Sample = field(default_factory=lambda: Sample([]))  # seconds
    generate: Sample = field(default_factory=lambda: Sample([]))
    total: Sample = field(default_factory=lambda: Sample([]))
    spec_sha: str = ""
    modules: int = 0
    files: int = 0


@dataclass
class ImportResult:
    endpoints: int
    import_s: Sample  # `import gewe`, in-process timer
    first_call_s: Sample  # `import gewe` + GeweClient + the first group-QR call
    process_s: Sample  # the whole interpreter run, as the parent saw it
    gewe_api_file: str = ""


def write_exports(dest: Path, endpoints: int) -> None:
    """The real group-QR page, plus endpoints - 1 synthetic pages."""
    from tests.fixtures.synth import write_synthetic_exports  # the repository root is on sys.path (common)

    shutil.copytree(EXPORTS, dest)
    if endpoints > 1:
        write_synthetic_exports(dest, endpoints - 1)


def _timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=run_env(), capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout}{proc.stderr}")
    return elapsed


def generation_bench(
    tmp: Path, sizes: tuple[int, ...], reps: int, log: Callable[[str], None]
) -> dict[int, Build]:
    """Bundle + generate each size `reps` times (interleaved); keep the last build of each."""
    builds: dict[int, Build] = {}
    for n in sizes:
        exports = tmp / f"exports-{n}"
        write_exports(exports, n)
        builds[n] = Build(n, tmp / f"gewe-{n}.yaml", tmp / f"site-{n}")
    log(f"  generation: sizes {sizes}, {reps} runs each")
    for _ in range(reps):
        for n, build in builds.items():
            out = build.site / "gewe_api"
            shutil.rmtree(build.site, ignore_errors=True)
            build.spec.unlink(missing_ok=True)
            t_bundle = _timed(
                [
                    PY,
                    "-m",
                    "tools.gewe_spec",
                    "--exports",
                    str(tmp / f"exports-{n}"),
                    "--out",
                    str(build.spec),
                ]
            )
            t_gen = _timed([PY, "tools/generate.py", "--spec", str(build.spec), "--out", str(out)])
            build.bundle.values.append(t_bundle)
            build.generate.values.append(t_gen)
            build.total.values.append(t_bundle + t_gen)
    for build in builds.values():
        shutil.copytree(OVERRIDES / "gewe", build.site / "gewe", ignore=shutil.ignore_patterns("__pycache__"))
        compileall.compile_dir(str(build.site), quiet=1)
        build.files = sum(1 for p in (build.site / "gewe_api").rglob("*.py"))
        build.modules = sum(1 for p in (build.site / "gewe_api" / "api").glob("*/__init__.py"))
    return builds


IMPORT_SCRIPT = """
import sys, time, json
t0 = time.perf_counter()
import gewe
t1 = time.perf_counter()
with gewe.GeweClient(token="bench-token", app_id="wx_bench_app", base_url=sys.argv[1]) as client:
    qr = client.group.get_chatroom_qr_code(chatroom_id="34757816141@chatroom")
t2 = time.perf_counter()
import gewe_api
print(json.dumps({"import": t1 - t0, "first_call": t2 - t0, "gewe": gewe.__file__,
                  "gewe_api": gewe_api.__file__, "sha": gewe.SPEC_SHA256, "qr": len(qr.qr_base64)}))
"""


def _one_import(site: Path, url: str) -> tuple[dict[str, object], float]:
    start = time.perf_counter()
    proc = subprocess.run(
        [PY, "-c", IMPORT_SCRIPT, url],
        cwd=site,
        env=run_env([site]),
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"import run in {site} failed:\n{proc.stderr[-3000:]}")
    info: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    if not str(info["gewe_api"]).startswith(str(site)) or not str(info["gewe"]).startswith(str(site)):
        raise RuntimeError(f"import run in {site} picked up another package: {info}")
    return info, elapsed


def import_bench(
    builds: dict[int, Build], url: str, reps: int, log: Callable[[str], None]
) -> dict[int, ImportResult]:
    results = {n: ImportResult(n, Sample([]), Sample([]), Sample([])) for n in builds}
    for build in builds.values():  # one untimed run each: page cache, and a check of what is imported
        info, _ = _one_import(build.site, url)
        results[build.endpoints].gewe_api_file = str(info["gewe_api"])
        build.spec_sha = str(info["sha"])
    log(f"  import: {len(builds)} builds, {reps} fresh interpreters each")
    for _ in range(reps):
        for n, build in builds.items():
            info, elapsed = _one_import(build.site, url)
            results[n].import_s.values.append(float(info["import"]))  # type: ignore[arg-type]
            results[n].first_call_s.values.append(float(info["first_call"]))  # type: ignore[arg-type]
            results[n].process_s.values.append(elapsed)
    return results
