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
    "urllib3": "urllib3 `PoolManager().request(...)` + `.json()` (floor)",
    "raw": "raw `httpx.Client` POST + `.json()` (floor)",
    "raw-again": "raw `httpx.Client` again, a second worker (noise: the floor against itself)",
    "sdk": "`client.group.get_chatroom_qr_code(...)`",
    "sdk-strict": "the same with `GeweClient(strict=True)`",
    "sdk-debug": "the same with DEBUG on the `gewe` logger (to /dev/null): the same sender, its log lines",
    "generated": "stock generated `group_get_chatroom_qr_code.sync(...)`",
    "gewechat": "gewechat-client `get_chatroom_qr_code(...)`",
}
ASYNC_LABELS = {
    "async-aiohttp": "raw `aiohttp.ClientSession` POST + `.json()` (floor)",
    "async-aiohttp-again": "raw aiohttp again, a second worker (noise: the floor against itself)",
    "async-raw": "raw `httpx.AsyncClient` POST + `.json()`, httpx's default pool (pool timeout 300 s)",
    "async-sdk": "`AsyncGeweClient().group.get_chatroom_qr_code(...)`, default settings",
    "async-sdk-httpcore": "`AsyncGeweClient(transport=httpx.AsyncHTTPTransport())`: httpcore's pool",
    "async-opengewe": "opengewe `client.group.get_chatroom_qr_code(...)`",
}
SHORT_LABELS = {
    "short-urllib3": "`PoolManager()` + one request + `.clear()` (floor)",
    "short-httpx": "`with httpx.Client(...)` + one POST",
    "short-sdk": "`with GeweClient(...)` + one `get_chatroom_qr_code`",
    "new-urllib3": "`PoolManager()` + `.clear()` alone (floor)",
    "new-httpx": "`httpx.Client(...)` + `.close()` alone",
    "new-sdk": "`GeweClient(...)` + `.close()` alone",
}
SYNC_FLOORS = ("raw", "urllib3")
ASYNC_FLOOR = "async-aiohttp"
ASYNC_PEER = "async-opengewe"
CONCURRENCY = (10, 100, 1000)
# Contenders so slow (tens of seconds a burst) that they run in the first SLOW_ROUNDS rounds only,
# and never in the 10,000-call bursts: their ratios are 10-200x, where the spread does not matter.
SLOW_ASYNC = ("async-raw", "async-sdk-httpcore")
SLOW_ROUNDS = 2


@dataclass
class ContenderResult:
    mode: str
    wall: Sample  # seconds per call (sync) or per burst (async)
    cpu: Sample  # client process CPU seconds, same unit
    ratio: Sample | None = None  # per-round wall ratio to the (first) floor
    cpu_ratio: Sample | None = None
    ratios: dict[str, Sample] = field(default_factory=dict)  # per-round wall ratio to each floor/peer


@dataclass
class PerCallResult:
    floor: str
    rounds: int
    calls: int
    results: dict[str, ContenderResult] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    strict_ratio: Sample | None = None  # per-round wall ratio of sdk-strict to sdk (same rounds)
    debug_ratio: Sample | None = None  # per-round wall ratio of sdk-debug to sdk


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


Data = dict[str, tuple[list[float], list[float]]]


def _results(data: Data, floors: tuple[str, ...], per: int) -> dict[str, ContenderResult]:
    """Each contender's times per call (or per burst) and its per-round ratios to each of `floors`.

    A contender measured in fewer rounds than a floor (SLOW_ASYNC) is compared with the floor's
    first rounds, which were interleaved with it.
    """
    out: dict[str, ContenderResult] = {}
    for mode, (walls, cpus) in data.items():
        res = ContenderResult(mode, Sample([w / per for w in walls]), Sample([c / per for c in cpus]))
        for floor in floors:
            if floor in data and walls:
                n = min(len(walls), len(data[floor][0]))
                res.ratios[floor] = median_ratio(walls[:n], data[floor][0][:n])
        if floors[0] in data and walls:
            n = min(len(cpus), len(data[floors[0]][1]))
            res.ratio = res.ratios[floors[0]]
            res.cpu_ratio = median_ratio(cpus[:n], data[floors[0]][1][:n])
        out[mode] = res
    return out


def sync_bench(
    url: str, rounds: int, calls: int, log: Callable[[str], None], peers: bool = True, warmup: int = 300
) -> PerCallResult:
    result = PerCallResult(floor="raw", rounds=rounds, calls=calls)
    with contextlib.ExitStack() as stack:
        workers: dict[str, Worker] = {}
        for mode in SYNC_LABELS:
            python: Path | str = PY
            if mode == "gewechat":
                if not peers:
                    result.skipped[mode] = "left out (--no-peers)"
                    continue
                if not BENCH_PY.exists():
                    result.skipped[mode] = "the bench venv (.bench/venv) could not be set up"
                    continue
                python = BENCH_PY
            try:
                workers[mode] = stack.enter_context(Worker(python, mode, url, warmup=warmup, env=run_env()))
            except RuntimeError as exc:
                result.skipped[mode] = str(exc).splitlines()[-1]
                continue
        qr_sizes = {w.qr_chars for w in workers.values()}
        if len(qr_sizes) != 1:
            raise RuntimeError(f"contenders saw different replies: {qr_sizes}")
        log(f"  sync: {len(workers)} contenders, {rounds} rounds x {calls} calls")
        data = _interleave(workers, rounds, calls, seed=1)
    result.results = _results(data, SYNC_FLOORS, calls)
    if "sdk" in data and "sdk-strict" in data:
        result.strict_ratio = median_ratio(data["sdk-strict"][0], data["sdk"][0])
    if "sdk" in data and "sdk-debug" in data:
        result.debug_ratio = median_ratio(data["sdk-debug"][0], data["sdk"][0])
    return result


@dataclass
class AsyncBenchResult:
    """Per kind of run ("cold", "warm", "c10", ...): each contender's seconds per run of `calls`."""

    calls: int
    rounds: dict[str, int]
    big: int = 10_000  # calls per burst in the "cold-big" and "warm-big" kinds
    kinds: dict[str, dict[str, ContenderResult]] = field(default_factory=dict)
    failed: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> mode -> failed calls
    skipped: dict[str, str] = field(default_factory=dict)


def async_bench(
    url: str,
    rounds: dict[str, int],
    calls: int,
    log: Callable[[str], None],
    opengewe_py: Path | None,
    big: int = 10_000,
    warmup: int = 200,
) -> AsyncBenchResult:
    """Bursts of `calls` concurrent calls, cold (a fresh client each) and warm, and `calls` calls
    at each of CONCURRENCY; rounds interleaved, ratios per round against raw aiohttp's."""
    result = AsyncBenchResult(calls=calls, rounds=rounds, big=big)
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
                worker = Worker(
                    python, mode, url, warmup=warmup, env=run_env(), cwd=cwd, prime=min(100, warmup)
                )
                workers[mode] = stack.enter_context(worker)
            except RuntimeError as exc:
                result.skipped[mode] = str(exc).splitlines()[-1]
        if ASYNC_FLOOR not in workers or len({w.qr_chars for w in workers.values()}) != 1:
            raise RuntimeError(f"async contenders did not all start alike: {result.skipped}")
        commands = {"cold": f"cold {calls}", "warm": f"run {calls}"}
        commands.update({f"c{c}": f"conc {c} {calls}" for c in CONCURRENCY})
        commands.update({"cold-big": f"cold {big}", "warm-big": f"run {big}"})
        for seed, (kind, command) in enumerate(commands.items()):
            n = rounds[kind if kind in rounds else "conc"]
            slow = 0 if kind.endswith("-big") else min(n, SLOW_ROUNDS)
            log(f"  async {kind}: {len(workers)} contenders, {n} rounds of `{command}`")
            data, failed = _interleave_async(workers, n, command, seed=10 + seed, slow_rounds=slow)
            # seconds per run of the command; ratios to aiohttp and to opengewe of the same round
            result.kinds[kind] = _results(data, (ASYNC_FLOOR, ASYNC_PEER), 1)
            result.failed[kind] = failed
    return result


def _interleave_async(
    workers: dict[str, Worker], rounds: int, command: str, seed: int, slow_rounds: int
) -> tuple[Data, dict[str, int]]:
    data: Data = {m: ([], []) for m in workers if m not in SLOW_ASYNC or slow_rounds}
    failed = dict.fromkeys(data, 0)
    for r, order in enumerate(_round_orders(list(data), rounds, seed)):
        for mode in order:
            if mode in SLOW_ASYNC and r >= slow_rounds:
                continue
            wall_ns, cpu_ns, bad = workers[mode].send(command)
            data[mode][0].append(wall_ns / 1e9)
            data[mode][1].append(cpu_ns / 1e9)
            failed[mode] += bad
    return data, failed


@dataclass
class ShortResult:
    rounds: int
    calls: int
    results: dict[str, ContenderResult] = field(default_factory=dict)


def short_bench(
    url: str, rounds: int, calls: int, log: Callable[[str], None], warmup: int = 20
) -> ShortResult:
    """A client made for one call and closed (cron jobs, serverless handlers, the `gewe` command),
    and a client made and closed alone; in a warm process (the first client's one-off costs, imports
    and TLS set-up, are in the import section). Each is compared with urllib3 in the same round."""
    result = ShortResult(rounds=rounds, calls=calls)
    with contextlib.ExitStack() as stack:
        workers = {
            mode: stack.enter_context(Worker(PY, mode, url, warmup=warmup, env=run_env()))
            for mode in SHORT_LABELS
        }
        log(f"  short-lived: {len(workers)} contenders, {rounds} rounds x {calls}")
        data = _interleave(workers, rounds, calls, seed=3)
    for group in ("short", "new"):
        part = {m: v for m, v in data.items() if m.startswith(group + "-")}
        result.results.update(_results(part, (f"{group}-urllib3",), calls))
    return result
