"""`python -m tests.support.hostile_receiver PORT SUMMARY [options]`: a Receiver in its own process
for the hostile-push suite (tests/events/test_hostile_pushes.py).

It prints "listening" once it listens. SIGUSR1 writes the summary (JSON: `stats()`, the handled
pushes' ids and kinds, the process's peak RSS) to SUMMARY and prints "summary N"; SIGTERM stops the
receiver (within `--stop-timeout`), writes the summary and exits 0.

Handlers (`--handler`):
- `record`: async, records each event's id and kind.
- `hang-marked`: async; a text event whose text starts with "hang" hangs forever the first time it
  is handled (its re-delivery is handled).
- `hold`: async, never returns (a busy handler).
- `sync-forever`: sync, never returns (blocks its thread).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import signal
import socket
import threading
from pathlib import Path
from typing import Any

from gewe.events import Event, Receiver, RedisDedup

PATH = "/gewe/hostile-secret-path"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("summary", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--handler", default="record")
    parser.add_argument("--dedup", default="memory", help="memory, or a redis:// URL")
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--fd-limit", type=int, default=0)
    parser.add_argument("--handler-timeout", type=float, default=60.0)
    parser.add_argument("--request-timeout", type=float, default=5.0)
    parser.add_argument("--stop-timeout", type=float, default=10.0)
    parser.add_argument("--allow", action="append")
    parser.add_argument("--dual-stack", action="store_true", help="listen on [::] for IPv4 peers too")
    args = parser.parse_args()
    if args.fd_limit:
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (args.fd_limit, hard))
    handled: list[tuple[int | None, str]] = []
    hung: set[int | None] = set()
    forever = threading.Event()

    async def record(event: Event) -> None:
        handled.append((getattr(event, "new_msg_id", None), event.kind))

    async def hang_marked(event: Event) -> None:
        nid = getattr(event, "new_msg_id", None)
        if (getattr(event, "text", None) or "").startswith("hang") and nid not in hung:
            hung.add(nid)
            await asyncio.Event().wait()
        handled.append((nid, event.kind))

    async def hold(event: Event) -> None:
        await asyncio.Event().wait()

    def sync_forever(event: Event) -> None:
        forever.wait()

    handlers: dict[str, Any] = {
        "record": record,
        "hang-marked": hang_marked,
        "hold": hold,
        "sync-forever": sync_forever,
    }
    dedup: Any = "memory" if args.dedup == "memory" else RedisDedup(args.dedup, ttl=600)
    receiver = Receiver(
        handlers[args.handler],
        path=PATH,
        dedup=dedup,
        workers=args.workers,
        allow=args.allow,
        handler_timeout=args.handler_timeout,
        request_timeout=args.request_timeout,
    )
    written = [0]

    def write_summary() -> None:
        written[0] += 1
        summary = {
            "stats": receiver.stats(),
            "handled": handled,
            "left": receiver.left,
            "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        }
        args.summary.write_text(json.dumps(summary), encoding="utf-8")
        print(f"summary {written[0]}", flush=True)

    sock = None
    if args.dual_stack:  # asyncio's own [::] sockets are IPv6-only; this one takes IPv4 peers too
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("::", args.port))
        sock.listen(128)

    def started(url: str) -> None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, write_summary)
        print("listening", flush=True)

    receiver.run(args.host, args.port, on_start=started, stop_timeout=args.stop_timeout, sock=sock)
    write_summary()


if __name__ == "__main__":
    main()
