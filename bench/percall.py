"""Sections 1 and 2: sync per-call cost and async throughput, against the loopback server.

Every contender is a bench/worker.py process of its own (gewechat-client's under .bench/venv);
rounds are interleaved, the order rotating each round, and only one worker runs at a time, so
the client and the server each have a core. Ratios are taken per round against the floor of the
same round, then the median over rounds is reported.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from common import BENCH_PY, PY, Sample, Worker, median_ratio, run_env

SYNC_LABELS = {
    "raw": "raw `httpx.Client` POST + `.json()` (floor)",
    "sdk": "`client.group.get_chatroom_qr_code(...)`",
    "sdk-strict": "the same with `GeweClient(strict=True)`",
    "generated": "stock generated `group_get_chatroom_qr_code.sync(...)`",
    "gewechat": "gewechat-client `get_chatroom_qr_code(...)`",
}
ASYNC_LABELS = {
    "async-raw": "raw `httpx.AsyncClient` POST + `.json()` (floor)",
    "async-sdk": "`AsyncGeweClient().group.get_chatroom_qr_code(...)`",
    "async-raw+sniffio": "raw `httpx.AsyncClient`, with `sniffio` importable",
    "async-sdk+sniffio": "`AsyncGeweClient`, with `sniffio` importable",
}


@dataclass
class ContenderResult:
    mode: str
    wall: Sample  # seconds per call (sync) or per burst (async)
    cpu: Sample  # client process CPU seconds, same unit
    ratio: Sample | None = None  # per-round wall ratio to the floor
    cpu_ratio: Sample | None = None


@dataclass
class PerCallResult:
    floor: str
    rounds: int
    calls: int
    results: dict[str, ContenderResult] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    strict_ratio: Sample | None = None  # per-round wall ratio of sdk-strict to sdk (same rounds)


def _interleave(
    workers: dict[str, Worker], rounds: int, calls: int, seed: int
) -> dict[str, tuple[list[float], list[float]]]:
    rng = random.Random(seed)
    data: dict[str, tuple[list[float], list[float]]] = {m: ([], []) for m in workers}
    names = list(workers)
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        if r >= len(names):
            rng.shuffle(order)
        for mode in order:
            wall_ns, cpu_ns = workers[mode].run(calls)
            data[mode][0].append(wall_ns / 1e9)
            data[mode][1].append(cpu_ns / 1e9)
    return data


def _results(
    data: dict[str, tuple[list[float], list[float]]], floor: str, per: int
) -> dict[str, ContenderResult]:
    out: dict[str, ContenderResult] = {}
    for mode, (walls, cpus) in data.items():
        res = ContenderResult(mode, Sample([w / per for w in walls]), Sample([c / per for c in cpus]))
        res.ratio = median_ratio(walls, data[floor][0])
        res.cpu_ratio = median_ratio(cpus, data[floor][1])
        out[mode] = res
    return out


def sync_bench(url: str, rounds: int, calls: int, log: Callable[[str], None]) -> PerCallResult:
    result = PerCallResult(floor="raw", rounds=rounds, calls=calls)
    with contextlib.ExitStack() as stack:
        workers: dict[str, Worker] = {}
        for mode in ("raw", "sdk", "sdk-strict", "generated", "gewechat"):
            python: Path | str = PY
            if mode == "gewechat":
                if not BENCH_PY.exists():
                    result.skipped[mode] = "the bench venv (.bench/venv) could not be set up"
                    continue
                python = BENCH_PY
            try:
                workers[mode] = stack.enter_context(Worker(python, mode, url, warmup=300, env=run_env()))
            except RuntimeError as exc:
                result.skipped[mode] = str(exc).splitlines()[-1]
                continue
        qr_sizes = {w.qr_chars for w in workers.values()}
        if len(qr_sizes) != 1:
            raise RuntimeError(f"contenders saw different replies: {qr_sizes}")
        log(f"  sync: {len(workers)} contenders, {rounds} rounds x {calls} calls")
        data = _interleave(workers, rounds, calls, seed=1)
    result.results = _results(data, "raw", calls)
    if "sdk" in data and "sdk-strict" in data:
        result.strict_ratio = median_ratio(data["sdk-strict"][0], data["sdk"][0])
    return result


def async_bench(
    url: str, rounds: int, calls: int, log: Callable[[str], None], sniffio: Path | None = None
) -> PerCallResult:
    """1,000 concurrent calls per round; with `sniffio` (a folder holding it), two more contenders
    run with it importable, to show what httpcore's failed `import sniffio` per lock costs."""
    result = PerCallResult(floor="async-raw", rounds=rounds, calls=calls)
    contenders = [("async-raw", "async-raw", run_env()), ("async-sdk", "async-sdk", run_env())]
    if sniffio is not None:
        contenders += [
            ("async-raw+sniffio", "async-raw", run_env([sniffio])),
            ("async-sdk+sniffio", "async-sdk", run_env([sniffio])),
        ]
    with contextlib.ExitStack() as stack:
        workers = {
            key: stack.enter_context(Worker(PY, mode, url, warmup=200, env=env))
            for key, mode, env in contenders
        }
        log(f"  async: {len(workers)} contenders, {rounds} rounds x {calls} concurrent calls")
        data = _interleave(workers, rounds, calls, seed=2)
    result.results = _results(data, "async-raw", 1)  # seconds per burst of `calls`
    return result
