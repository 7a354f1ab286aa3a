"""`python -m tests.support.queue_proc ROLE QUEUE LOG [--port P] [--delay S] [--lease S]`.

One process of a bot built on a durable queue, for the crash tests:

- `bot`: `Receiver(handler, queue=...)`, receiving and handling in one process;
- `receiver`: `Receiver(queue=..., handler=None)`, storing only;
- `worker`: `Worker(handler, queue=...)`.

QUEUE is `sqlite:///path` or `redis://...`. The handler appends `begin <pid> <new_msg_id> <chat>
<t>` when it starts and `end <pid> <new_msg_id> <chat> <t>` just before it returns (one
`os.write` each on an O_APPEND file, `t` from `time.monotonic()`, which every process on the
machine shares), sleeping `--delay` seconds between. Receivers print "listening" once they are.
SIGTERM stops the process the way `run()` does.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

from gewe.events import Event, Receiver, RedisStreamQueue, SqliteQueue, Worker
from gewe.events.queues import PushQueue

PATH = "/gewe/test-secret-path"


def make_queue(spec: str, lease: float) -> PushQueue:
    if spec.startswith("redis://"):
        return RedisStreamQueue(spec, partitions=8, lease=lease, prefix="crash")
    return SqliteQueue(spec.removeprefix("sqlite://"), lease=lease)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["bot", "receiver", "worker"])
    parser.add_argument("queue")
    parser.add_argument("log")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.02)
    parser.add_argument("--lease", type=float, default=1.5)
    args = parser.parse_args()
    fd = os.open(args.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    pid = os.getpid()

    async def handle(event: Event) -> None:
        new_msg_id = getattr(event, "new_msg_id", None)
        chat = getattr(event, "chat_id", None)
        os.write(fd, f"begin {pid} {new_msg_id} {chat} {time.monotonic():.6f}\n".encode())
        await asyncio.sleep(args.delay)
        os.write(fd, f"end {pid} {new_msg_id} {chat} {time.monotonic():.6f}\n".encode())

    queue = make_queue(args.queue, args.lease)
    if args.role == "worker":
        print("working", flush=True)
        Worker(handle, queue=queue, concurrency=8, max_deliveries=50).run(stop_timeout=5.0)
        return
    receiver = Receiver(
        handle if args.role == "bot" else None, path=PATH, queue=queue, workers=8, store_timeout=1.0
    )
    tasks: list[asyncio.Task[None]] = []

    def started(url: str) -> None:
        print("listening", flush=True)
        if os.environ.get("GEWE_DEBUG_STATS"):

            async def stats() -> None:
                while True:
                    await asyncio.sleep(1)
                    w = receiver.worker
                    print(receiver.stats()["answered"], w.stats() if w else None, flush=True)

            tasks.append(asyncio.get_running_loop().create_task(stats()))

    receiver.run("127.0.0.1", args.port, on_start=started, stop_timeout=5.0)


if __name__ == "__main__":
    main()
