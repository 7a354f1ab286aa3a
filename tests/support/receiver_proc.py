"""`python -m tests.support.receiver_proc PORT SUMMARY [--workers N] [--delay S] [--queue N]`.

A Receiver in its own process (so the test client and the server each have a core): its handler
sleeps `--delay` seconds per event and records the event's `new_msg_id`. On SIGTERM it stops
(draining) and writes a JSON summary to SUMMARY: handled ids, duplicates, rejected, left.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
from pathlib import Path

from gewe.events import Event, Receiver

PATH = "/gewe/test-secret-path"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("summary", type=Path)
    parser.add_argument("--workers", type=int, default=128)
    parser.add_argument("--delay", type=float, default=0.5)
    parser.add_argument("--queue", type=int, default=10_000)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    handled: list[int | None] = []

    async def handle(event: Event) -> None:
        await asyncio.sleep(args.delay)
        handled.append(getattr(event, "new_msg_id", None))

    receiver = Receiver(handle, path=PATH, workers=args.workers, queue_size=args.queue)
    left = receiver.run("127.0.0.1", args.port, on_start=lambda url: print("listening", flush=True))
    summary = {
        "handled": handled,
        "duplicates": receiver.duplicates,
        "rejected": receiver.rejected,
        "left": left,
    }
    args.summary.write_text(json.dumps(summary), encoding="utf-8")


if __name__ == "__main__":
    main()
