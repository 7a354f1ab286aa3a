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

from common import EXPORTS, OVERRIDES, PY, ROOT, Sample, median_ratio, run_env


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


# Each runs in a fresh interpreter and prints one JSON line: the import timed in the process, then
# the import plus one client and one group-QR call (a cron job's whole cost besides Python itself).
IMPORT_SCRIPTS = {
    "gewe": """
import sys, time, json
t0 = time.perf_counter()
import gewe
t1 = time.perf_counter()
token, app = "bench-token-0123456789abcdef", "wx_bench_app"
with gewe.GeweClient(token=token, app_id=app, base_url=sys.argv[1]) as client:
    qr = client.group.get_chatroom_qr_code(chatroom_id="34757816141@chatroom")
t2 = time.perf_counter()
import gewe_api
print(json.dumps({"import": t1 - t0, "first_call": t2 - t0, "gewe": gewe.__file__,
                  "gewe_api": gewe_api.__file__, "sha": gewe.SPEC_SHA256, "qr": len(qr.qr_base64)}))
""",
    # What a script imports for a call: the client class (its module, and what it needs to be made).
    "gewe-client": """
import sys, time, json
t0 = time.perf_counter()
from gewe import GeweClient
GeweClient(token="bench-token-0123456789abcdef", app_id="wx_bench_app", base_url=sys.argv[1]).close()
t1 = time.perf_counter()
import gewe
print(json.dumps({"import": t1 - t0, "first_call": t1 - t0, "gewe": gewe.__file__}))
""",
    "httpx": """
import sys, time, json
t0 = time.perf_counter()
import httpx
t1 = time.perf_counter()
with httpx.Client(base_url=sys.argv[1], headers={"X-GEWE-TOKEN": "bench-token-0123456789abcdef"}) as http:
    qr = http.post("/gewe/v2/api/group/getChatroomQrCode",
                   json={"appId": "wx_bench_app", "chatroomId": "34757816141@chatroom"}).json()
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "first_call": t2 - t0, "qr": len(qr["data"]["qrBase64"])}))
""",
    "urllib3": """
import sys, time, json
t0 = time.perf_counter()
import urllib3
t1 = time.perf_counter()
pool = urllib3.PoolManager(headers={"X-GEWE-TOKEN": "bench-token-0123456789abcdef"})
qr = pool.request("POST", sys.argv[1] + "/gewe/v2/api/group/getChatroomQrCode",
                  json={"appId": "wx_bench_app", "chatroomId": "34757816141@chatroom"}).json()
pool.clear()
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "first_call": t2 - t0, "qr": len(qr["data"]["qrBase64"])}))
""",
}
LIBRARIES = ("httpx", "urllib3")  # measured once per round, from no site folder


def _one_import(site: Path | None, url: str, script: str = "gewe") -> tuple[dict[str, object], float]:
    start = time.perf_counter()
    proc = subprocess.run(
        [PY, "-c", IMPORT_SCRIPTS[script], url],
        cwd=site or ROOT,
        env=run_env([site] if site else None),
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{script} import run in {site} failed:\n{proc.stderr[-3000:]}")
    info: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    if site is not None and not str(info["gewe"]).startswith(str(site)):
        raise RuntimeError(f"import run in {site} picked up another package: {info}")
    if "gewe_api" in info and not str(info["gewe_api"]).startswith(str(site)):
        raise RuntimeError(f"import run in {site} picked up another gewe_api: {info}")
    return info, elapsed


@dataclass
class ImportBench:
    """`import gewe` (and `from gewe import GeweClient`) per build, and httpx / urllib3 alone, all
    in fresh interpreters, interleaved; ratios per round against `import httpx` of the same round."""

    builds: dict[int, ImportResult]
    clients: dict[int, ImportResult]  # `from gewe import GeweClient` + making one
    libraries: dict[str, ImportResult]
    vs_httpx: dict[int, Sample]  # per-round `import gewe` / `import httpx`
    client_vs_httpx: dict[int, Sample]
    first_call_vs_urllib3: dict[int, Sample]  # per-round import + first call, gewe / urllib3


def import_bench(builds: dict[int, Build], url: str, reps: int, log: Callable[[str], None]) -> ImportBench:
    def empty(n: int) -> ImportResult:
        return ImportResult(n, Sample([]), Sample([]), Sample([]))

    results = {n: empty(n) for n in builds}
    clients = {n: empty(n) for n in builds}
    libraries = {lib: empty(0) for lib in LIBRARIES}
    for build in builds.values():  # one untimed run each: page cache, and a check of what is imported
        info, _ = _one_import(build.site, url)
        results[build.endpoints].gewe_api_file = str(info["gewe_api"])
        build.spec_sha = str(info["sha"])
    for lib in LIBRARIES:
        _one_import(None, url, lib)
    log(f"  import: {len(builds)} builds and {len(LIBRARIES)} libraries, {reps} fresh interpreters each")
    runs: list[tuple[str, int, Path | None, ImportResult]] = [
        (lib, 0, None, libraries[lib]) for lib in LIBRARIES
    ]
    for n, build in builds.items():
        runs += [("gewe", n, build.site, results[n]), ("gewe-client", n, build.site, clients[n])]
    for r in range(reps):
        for script, _n, site, into in runs if r % 2 == 0 else runs[::-1]:
            info, elapsed = _one_import(site, url, script)
            into.import_s.values.append(float(info["import"]))  # type: ignore[arg-type]
            into.first_call_s.values.append(float(info["first_call"]))  # type: ignore[arg-type]
            into.process_s.values.append(elapsed)
    httpx_s = libraries["httpx"].import_s.values
    urllib3_first = libraries["urllib3"].first_call_s.values
    return ImportBench(
        builds=results,
        clients=clients,
        libraries=libraries,
        vs_httpx={n: median_ratio(res.import_s.values, httpx_s) for n, res in results.items()},
        client_vs_httpx={n: median_ratio(res.import_s.values, httpx_s) for n, res in clients.items()},
        first_call_vs_urllib3={
            n: median_ratio(res.first_call_s.values, urllib3_first) for n, res in results.items()
        },
    )
