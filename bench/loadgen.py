"""A cheap HTTP/1.1 load generator for the receiver bench: raw asyncio protocols, pre-built requests.

    python bench/loadgen.py PORT PATH --bodies FILE --conns C [--worst FILE --worst-count W]

Reads push bodies from FILE (one JSON body per line), opens C keep-alive connections to 127.0.0.1
and sends the bodies over them, one request in flight per connection (each connection sends its
next body when the previous answer arrived). With `--worst`, first sends W copies of that body on
W connections of their own and does not wait for their answers before starting the rest (so the
normal pushes are answered while the worst ones are parsed). Prints one JSON line: wall seconds,
this process's CPU seconds, statuses, and per-push latency (request written to answer read)
p50/p99/max of the normal pushes.

It costs ~10-20 µs of CPU per push (no HTTP library: the answers have no body, so an answer is a
status line through an empty line), well under any server's per-push cost, so it is not what
saturates first; the bench reports its CPU per push next to the server's to show it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import time
from collections import Counter
from pathlib import Path


class _Client(asyncio.Protocol):
    def __init__(self, requests: list[bytes], done: asyncio.Future[None], record: bool, sink: Stats) -> None:
        self.requests, self.done, self.record, self.sink = requests, done, record, sink
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.sent_at = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._next()

    def _next(self) -> None:
        if not self.requests:
            assert self.transport is not None
            self.transport.close()
            if not self.done.done():
                self.done.set_result(None)
            return
        self.sent_at = time.perf_counter()
        assert self.transport is not None
        self.transport.write(self.requests.pop())

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) != -1:
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            status = int(head[9:12])
            self.sink.statuses[status] += 1
            if self.record:
                self.sink.latencies.append(time.perf_counter() - self.sent_at)
            self._next()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.requests:
            self.sink.statuses[0] += len(self.requests)  # never answered
            self.requests.clear()
        if not self.done.done():
            self.done.set_result(None)


class Stats:
    def __init__(self) -> None:
        self.statuses: Counter[int] = Counter()
        self.latencies: list[float] = []


def request(path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def run(
    port: int, path: str, bodies: list[bytes], conns: int, worst: bytes | None, worst_count: int
) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    stats, worst_stats = Stats(), Stats()
    per_conn: list[list[bytes]] = [[] for _ in range(conns)]
    for i, body in enumerate(bodies):
        per_conn[i % conns].append(request(path, body))
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    waits = []
    if worst is not None:
        for _ in range(worst_count):
            done = loop.create_future()
            await loop.create_connection(
                lambda d=done: _Client([request(path, worst)], d, False, worst_stats), "127.0.0.1", port
            )
            waits.append(done)
    normal = []
    for requests in per_conn:
        if not requests:
            continue
        done = loop.create_future()
        requests.reverse()  # popped from the end: sent in order
        await loop.create_connection(lambda r=requests, d=done: _Client(r, d, True, stats), "127.0.0.1", port)
        normal.append(done)
    await asyncio.gather(*normal)
    wall = time.perf_counter() - started
    await asyncio.wait_for(asyncio.gather(*waits), 60)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    lat = sorted(stats.latencies)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")

    return {
        "pushes": len(bodies),
        "wall": wall,
        "cpu": (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime),
        "statuses": {str(k): v for k, v in stats.statuses.items()},
        "worst_statuses": {str(k): v for k, v in worst_stats.statuses.items()},
        "p50": pct(0.50),
        "p99": pct(0.99),
        "max": lat[-1] if lat else float("nan"),
        "mean": statistics.fmean(lat) if lat else float("nan"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("port", type=int)
    parser.add_argument("path")
    parser.add_argument("--bodies", type=Path, required=True)
    parser.add_argument("--conns", type=int, default=50)
    parser.add_argument("--worst", type=Path)
    parser.add_argument("--worst-count", type=int, default=1)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    bodies = args.bodies.read_bytes().splitlines()
    worst = args.worst.read_bytes() if args.worst else None
    result = asyncio.run(run(args.port, args.path, bodies, args.conns, worst, args.worst_count))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
