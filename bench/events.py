"""Section 6, receiving pushes: what `parse_event` and the `Receiver` cost.

    .venv/bin/python bench/events.py [--quick]      # this section alone, printed as Markdown

1. `parse_event(body)` per push against `json.loads(body)` alone, over the synthetic pushes of
   every kind (tests/fixtures/pushes.py), interleaved rounds, median ratio.
2. Receiver throughput: pushes/s through `Receiver` (no-op async handler, in-memory dedup)
   against a bare aiohttp handler that only parses the JSON and answers 200 (the floor; target
   <= 1.5x the time per push). Each server runs alone in its own process on 127.0.0.1; one client
   process posts N distinct pushes with C in flight; rounds alternate between the two servers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PATH = "/gewe/bench-secret"


def corpus() -> list[bytes]:
    """One push body per kind, private and group (the tests' synthetic pushes)."""
    from tests.fixtures import pushes as P

    contents = [
        (1, "hello there"),
        (3, P.IMAGE),
        (34, P.VOICE),
        (43, P.VIDEO),
        (47, P.EMOJI),
        (48, P.LOCATION),
        (42, P.CARD),
        (37, P.FRIEND_REQUEST),
        (49, P.LINK),
        (49, P.FILE),
        (49, P.QUOTE),
        (49, P.TRANSFER),
        (10002, P.REVOKE),
        (10002, P.GROUP_TEMPLATE),
        (10000, "notice"),
    ]
    bodies = [P.push(t, c, room=room) for t, c in contents for room in (None, P.ROOM)]
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

    def per_push(fn: Callable[[bytes], object], items: list[bytes], repeat: int) -> float:
        start = time.perf_counter()
        for _ in range(repeat):
            for body in items:
                fn(body)
        return (time.perf_counter() - start) / (repeat * len(items))

    results: dict[str, Any] = {"pushes": len(bodies)}
    for name, items in (("all", bodies), ("text", text_only)):
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


# -- the servers (run as `bench/events.py --serve receiver|bare PORT`) ----------------------------


def serve(kind: str, port: int) -> None:
    from aiohttp import web

    if kind == "receiver":
        from gewe.events import Event, Receiver

        async def nothing(event: Event) -> None:
            return None

        Receiver(nothing, path=PATH, workers=16).run(
            "127.0.0.1", port, on_start=lambda _: print("ready", flush=True)
        )
        return

    async def bare(request: web.Request) -> web.Response:
        json.loads(await request.read())
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post(PATH, bare)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=lambda _: print("ready", flush=True))


async def _post_all(url: str, bodies: list[bytes], concurrency: int) -> tuple[float, int]:
    import aiohttp

    failed = 0
    queue = list(reversed(bodies))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:

        async def worker() -> None:
            nonlocal failed
            while queue:
                body = queue.pop()
                async with http.post(url, data=body, headers={"Content-Type": "application/json"}) as resp:
                    await resp.read()
                    failed += resp.status != 200

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - start, failed


def throughput_bench(
    rounds: int, pushes: int, concurrency: int, log: Callable[[str], None]
) -> dict[str, Any]:
    from tests.fixtures import pushes as P
    from tools.servers import free_port, start_server

    seconds: dict[str, list[float]] = {"receiver": [], "bare": []}
    failed = 0
    servers = {}
    try:
        for kind in seconds:
            port = free_port()
            cmd = [sys.executable, str(Path(__file__).resolve()), "--serve", kind, str(port)]
            servers[kind] = (start_server(cmd, port=port, name=f"bench-{kind}", ready="ready"), port)
        for r in range(rounds):
            for kind in ("receiver", "bare") if r % 2 else ("bare", "receiver"):
                bodies = [json.dumps(P.push(1, f"bench {r} {i}")).encode() for i in range(pushes)]
                wall, bad = asyncio.run(
                    _post_all(f"http://127.0.0.1:{servers[kind][1]}{PATH}", bodies, concurrency)
                )
                seconds[kind].append(wall)
                failed += bad
    finally:
        for server, _ in servers.values():
            server.stop()
    ratios = [r / b for r, b in zip(seconds["receiver"], seconds["bare"], strict=True)]
    result = {
        "pushes": pushes,
        "concurrency": concurrency,
        "receiver_per_s": pushes / statistics.median(seconds["receiver"]),
        "bare_per_s": pushes / statistics.median(seconds["bare"]),
        "ratio": statistics.median(ratios),
        "failed": failed,
    }
    log(f"   receiver {result['receiver_per_s']:.0f}/s vs bare aiohttp {result['bare_per_s']:.0f}/s")
    return result


def events_bench(quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    """Both measurements; `quick` for a smoke run."""
    return {
        "parse": parse_bench(3 if quick else 9, log),
        "receiver": throughput_bench(2 if quick else 6, 500 if quick else 2000, 50, log),
    }


def render(results: dict[str, Any]) -> str:
    """The section as Markdown."""
    parse, recv = results["parse"], results["receiver"]
    lines = [
        "",
        "## 6. Receiving pushes",
        "",
        f"`parse_event(body)` against `json.loads(body)` alone, per push, over {parse['pushes']} synthetic "
        "pushes of every kind (median of interleaved rounds):",
        "",
        "| pushes | json.loads | parse_event | ratio |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, label in (("all", "every kind"), ("text", "text only")):
        row = parse[name]
        lines.append(
            f"| {label} | {row['json_us']:.1f} µs | {row['parse_us']:.1f} µs | {row['ratio']:.1f}x |"
        )
    lines += [
        "",
        f"Receiver throughput: {recv['pushes']} distinct pushes, {recv['concurrency']} in flight, "
        "each server alone in its own process on 127.0.0.1 (target: the Receiver takes <= 1.5x "
        "the time of a bare aiohttp handler that only parses the JSON):",
        "",
        "| server | pushes/s |",
        "| --- | ---: |",
        f"| bare aiohttp handler (json.loads, 200) | {recv['bare_per_s']:.0f} |",
        f"| `gewe.events.Receiver` (parse_event, dedup, queue, worker) | {recv['receiver_per_s']:.0f} |",
        "",
        f"Time per push, Receiver / bare: **{recv['ratio']:.2f}x** (failed answers: {recv['failed']}).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--serve", nargs=2, metavar=("KIND", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return 0
    print(render(events_bench(args.quick, lambda m: print(m, file=sys.stderr, flush=True))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
