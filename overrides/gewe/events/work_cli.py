"""`gewe work MODULE:HANDLER --queue Q` and `gewe dead list|replay --queue Q`.

`gewe work` imports the handler (`mybot:handle`, `mybot.handlers:Bot.handle`; the current folder
is on the path), runs a `Worker` on the queue until SIGTERM or Ctrl-C, then stops within
`--stop-timeout` seconds, handing back what is still running. `gewe dead list` prints the dead
letters (one JSON line each: id, error, attempts, when, kind and new_msg_id), `gewe dead replay`
queues them again (all, or the ids given) for the workers.

Queues are spelled as in SQLAlchemy, `sqlite:///pushes.db` (in the current folder) or
`sqlite:////var/lib/bot/pushes.db` (absolute), or a path ending .db; `redis://host:6379/0`; or
`memory` (only useful for trying the command). These commands use a queue a receiver made
(`gewe listen --queue`, `Receiver(queue=...)`): a SQLite file that does not exist is an error, and
nothing is created (`gewe work --create` creates it, for workers started before the receiver).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from ..cli import _non_negative_int, _positive_float
from ..errors import GeweConfigError


def add_work_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("handler", metavar="MODULE:HANDLER", help="the handler to import, e.g. mybot:handle")
    _queue_argument(parser)
    parser.add_argument("--concurrency", type=_positive_int, default=16, help="pushes handled at once (16)")
    parser.add_argument(
        "--handler-timeout", type=_positive_float, default=60.0, help="seconds a handler may run (60)"
    )
    parser.add_argument(
        "--max-deliveries", type=_positive_int, default=5, help="tries before a dead letter (5)"
    )
    parser.add_argument(
        "--stop-timeout", type=_positive_float, default=10.0, help="seconds to finish on SIGTERM (10)"
    )
    parser.add_argument(
        "--create",
        action="store_true",
        help="create the SQLite queue if it does not exist yet (by default a missing file is an error)",
    )
    parser.set_defaults(func=run_work)


def add_dead_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="dead_command", metavar="{list,replay}", required=True)
    listing = sub.add_parser("list", help="print the dead letters, one JSON line each")
    _queue_argument(listing)
    listing.add_argument("--limit", type=_positive_int, default=100, help="at most this many (100)")
    listing.set_defaults(func=run_dead_list)
    replay = sub.add_parser("replay", help="queue dead letters again (the ids given, or --all)")
    _queue_argument(replay)
    replay.add_argument("ids", nargs="*", metavar="ID")
    replay.add_argument("--all", action="store_true", help="every dead letter")
    replay.set_defaults(func=run_dead_replay)


QUEUE_HELP = (
    "sqlite:///relative.db (in the current folder), sqlite:////absolute/path.db, or redis://host:port/db"
)


def _queue_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--queue",
        required=True,
        metavar="QUEUE",
        help=f"{QUEUE_HELP}; a SQLite file must exist (a receiver's)",
    )


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def load_handler(spec: str) -> Any:
    """The object `MODULE:ATTR[.ATTR]` names; a GeweConfigError saying what is wrong otherwise."""
    module_name, _, attrs = spec.partition(":")
    if not module_name or not attrs:
        raise GeweConfigError(f"expected MODULE:HANDLER (e.g. mybot:handle), got {spec!r}", setting="handler")
    if "" not in sys.path:
        sys.path.insert(0, "")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise GeweConfigError(f"cannot import {module_name!r}: {exc}", setting="handler") from None
    for attr in attrs.split("."):
        try:
            target = getattr(target, attr)
        except AttributeError:
            raise GeweConfigError(f"{module_name!r} has no {attrs!r}", setting="handler") from None
    if not callable(target):
        raise GeweConfigError(f"{spec!r} is not callable", setting="handler")
    return target


def run_work(args: argparse.Namespace) -> int:
    """`gewe work`: a Worker until SIGTERM or Ctrl-C."""
    from .queues import open_queue
    from .worker import Worker

    handler = load_handler(args.handler)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    worker = Worker(
        handler,
        queue=open_queue(args.queue, create=args.create),
        concurrency=args.concurrency,
        handler_timeout=args.handler_timeout,
        max_deliveries=args.max_deliveries,
    )
    print(f"working on {_shown(args.queue)} (concurrency {args.concurrency})", file=sys.stderr, flush=True)
    left = worker.run(stop_timeout=args.stop_timeout)
    stats = worker.stats()
    print(
        f"stopped: {stats['handled']} handled, {stats['failed']} failed, {stats['duplicates']} duplicates, "
        f"{stats['dead']} dead letters, {left} handed back",
        file=sys.stderr,
        flush=True,
    )
    return 0


def _shown(spec: str) -> str:
    """A queue spelling without a password (redis://:pw@host -> redis://***@host)."""
    scheme, sep, rest = spec.partition("://")
    if sep and "@" in rest.split("/", 1)[0]:
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return spec


def _letter_json(letter: Any) -> str:
    data = letter.raw.get("Data") if isinstance(letter.raw, dict) else None
    data = data if isinstance(data, dict) else {}
    return json.dumps(
        {
            "id": letter.id,
            "error": letter.error,
            "attempts": letter.attempts,
            "failed_at": datetime.fromtimestamp(letter.failed_at, UTC).isoformat(timespec="seconds"),
            "type_name": letter.raw.get("TypeName"),
            "msg_type": data.get("MsgType"),
            "new_msg_id": data.get("NewMsgId"),
        },
        ensure_ascii=False,
        default=str,
    )


async def _with_queue(spec: str, work: Any) -> Any:
    from .queues import open_queue

    queue = open_queue(spec, create=False)
    try:
        return await work(queue)
    finally:
        await queue.close()


def run_dead_list(args: argparse.Namespace) -> int:
    async def work(queue: Any) -> list[Any]:
        letters: list[Any] = await queue.dead_letters(args.limit)
        return letters

    for letter in asyncio.run(_with_queue(args.queue, work)):
        print(_letter_json(letter), flush=True)
    return 0


def run_dead_replay(args: argparse.Namespace) -> int:
    if not args.ids and not args.all:
        raise GeweConfigError("name the dead letters to replay (their ids), or pass --all", setting="ids")

    async def work(queue: Any) -> int:
        count: int = await queue.replay(None if args.all else args.ids)
        return count

    count = asyncio.run(_with_queue(args.queue, work))
    print(f"replayed {count} dead letters", file=sys.stderr, flush=True)
    return 0
