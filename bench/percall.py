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
    "async-aiohttp": "raw `aiohttp.ClientSession` POST + `.json()` (floor)",
    "async-raw": "raw `httpx.AsyncClient` POST + `.json()`, httpx's default pool (pool timeout 300 s)",
    "async-sdk": "`AsyncGeweClient().group.get_chatroom_qr_code(...)`, default settings",
    "async-sdk-httpcore": "`AsyncGeweClient(transport=httpx.AsyncHTTPTransport())`: httpcore's pool",
    "async-opengewe": "opengewe `client.group.get_chatroom_qr_code(...)`",
}
ASYNC_FLOOR = "async-aiohttp"
CONCURRENCY = (10, 100, 1000)


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


def _round_orders(names: list[str], rounds: int, seed: int) -> list[list[str]]:
    """The contenders' order in each round: every one first once, then shuffled (seeded)."""
    rng = random.Random(seed)
    orders = []
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        if r >= len(names):
            rng.shuffle(order)
        orders.append(order)
    return orders


def _interleave(
    workers: dict[str, Worker], rounds: int, calls: int, seed: int
) -> dict[str, tuple[list[float], list[float]]]:
    data: dict[str, tuple[list[float], list[float]]] = {m: ([], []) for m in workers}
    for order in _round_orders(list(workers), rounds, seed):
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


@dataclass
class AsyncBenchResult:
    """Per kind of run ("cold", "warm", "c10", ...): each contender's seconds per run of `calls`."""

    calls: int
    rounds: dict[str, int]
    kinds: dict[str, dict[str, ContenderResult]] = field(default_factory=dict)
    failed: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> mode -> failed calls
    skipped: dict[str, str] = field(default_factory=dict)


def async_bench(
    url: str, rounds: dict[str, int], calls: int, log: Callable[[str], None], opengewe_py: Path | None
) -> AsyncBenchResult:
    """Bursts of `calls` concurrent calls, cold (a fresh client each) and warm, and `calls` calls
    at each of CONCURRENCY; rounds interleaved, ratios per round against raw aiohttp's."""
    result = AsyncBenchResult(calls=calls, rounds=rounds)
    with contextlib.ExitStack() as stack:
        workers: dict[str, Worker] = {}
        for mode in ASYNC_LABELS:
            python: Path | str = PY
            cwd = None
            if mode == "async-opengewe":
                if opengewe_py is None:
                    result.skipped[mode] = "the opengewe bench venv (.bench/opengewe) could not be set up"
                    continue
                python = opengewe_py
                cwd = opengewe_py.parent.parent  # opengewe writes a logs/ folder into its working directory
            try:
                worker = Worker(python, mode, url, warmup=200, env=run_env(), cwd=cwd)
                workers[mode] = stack.enter_context(worker)
            except RuntimeError as exc:
                result.skipped[mode] = str(exc).splitlines()[-1]
        if ASYNC_FLOOR not in workers or len({w.qr_chars for w in workers.values()}) != 1:
            raise RuntimeError(f"async contenders did not all start alike: {result.skipped}")
        commands = {"cold": f"cold {calls}", "warm": f"run {calls}"}
        commands.update({f"c{c}": f"conc {c} {calls}" for c in CONCURRENCY})
        for seed, (kind, command) in enumerate(commands.items()):
            n = rounds["cold" if kind == "cold" else "warm" if kind == "warm" else "conc"]
            log(f"  async {kind}: {len(workers)} contenders, {n} rounds of `{command}`")
            data, failed = _interleave_async(workers, n, command, seed=10 + seed)
            result.kinds[kind] = _results(data, ASYNC_FLOOR, 1)  # seconds per run of the command
            result.failed[kind] = failed
    return result


def _interleave_async(
    workers: dict[str, Worker], rounds: int, command: str, seed: int
) -> tuple[dict[str, tuple[list[float], list[float]]], dict[str, int]]:
    data: dict[str, tuple[list[float], list[float]]] = {m: ([], []) for m in workers}
    failed = dict.fromkeys(workers, 0)
    for order in _round_orders(list(workers), rounds, seed):
        for mode in order:
            wall_ns, cpu_ns, bad = workers[mode].send(command)
            data[mode][0].append(wall_ns / 1e9)
            data[mode][1].append(cpu_ns / 1e9)
            failed[mode] += bad
    return data, failed
