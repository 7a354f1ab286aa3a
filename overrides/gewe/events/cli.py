"""`gewe listen [--host] [--port] [--path] [--allow ADDR] [--set-callback URL] [--json] [--queue Q]`.

Receives GeWe's pushes and prints one line per event (time, kind, chat, sender, a short summary),
or with --json one JSON object per line; de-duplicated; Ctrl-C (or SIGTERM) stops cleanly after
the events already received are printed. The URL to give GeWe goes to stderr.

With `--queue Q --store-only` it prints nothing per push: it stores each push in Q and answers
GeWe (`Receiver(queue=..., handler=None)`), for `gewe work` processes elsewhere to handle.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import math
import re
import signal
import sys
from datetime import datetime, timedelta
from typing import Any

from ..errors import GeweConfigError
from ..images import Image
from .models import BaseEvent, Event, Member

_SUMMARY_FIELDS = (
    "text",
    "title",
    "file_name",
    "notice",
    "greeting",
    "card_nickname",
    "label",
    "nick_name",
    "room_id",
    "user_name",
    "message",
    "sys_type",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `listen` command's options (the parser comes from gewe.cli)."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8080, help="port to listen on; 0 picks one (default: 8080)"
    )
    parser.add_argument(
        "--path",
        help="the secret callback path, with a segment of 16+ random characters (default: a new random "
        "/gewe/<secret>); pushes are unsigned, so this secret is what authenticates them",
    )
    parser.add_argument(
        "--allow",
        action="append",
        metavar="ADDR",
        help="accept pushes only from this address or network (repeatable); needed for a --path "
        "without a secret",
    )
    parser.add_argument(
        "--set-callback",
        metavar="PUBLIC_URL",
        help="once listening, set GeWe's callback to PUBLIC_URL (the secret path is added when it has none)",
    )
    parser.add_argument("--json", action="store_true", help="print each event as one JSON line")
    parser.add_argument(
        "--queue",
        metavar="QUEUE",
        help="store pushes before answering, and print from there: sqlite:///relative.db (in the current "
        "folder; created if missing), sqlite:////absolute/path.db or redis://host:port/db",
    )
    parser.add_argument(
        "--store-only",
        action="store_true",
        help="with --queue: only store each push and answer GeWe, printing nothing; `gewe work` handles them",
    )
    parser.set_defaults(func=run_listen, listen_parser=parser)


# What a terminal acts on rather than prints: C0/C1 controls and DEL (escape sequences, bells,
# carriage returns), the bidi overrides and isolates (text shown in another order than it is), and
# the Unicode line and paragraph separators.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _escape_line(text: str) -> str:
    """`text` with every control and bidi character shown as its escape (`\\x1b`, `\\u202e`)."""
    return _UNSAFE.sub(lambda m: ascii(m.group())[1:-1], text)


def _escape_json(text: str) -> str:
    """JSON text with the characters above written as `\\uXXXX` (json.dumps already does C0)."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _strict(value: Any) -> Any:
    """`value` with every float that JSON cannot carry (NaN, Infinity) as None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _strict(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_strict(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    """A JSON-ready copy of an event field."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Image):
        return {"mime_type": value.mime_type, "size": len(value.data)}
    if isinstance(value, Member):
        return {"wxid": value.wxid, "nickname": value.nickname}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def event_json(event: BaseEvent) -> str:
    """The event as one line of strict JSON: its kind, every field, and `raw` (NaN and Infinity as
    null; control and bidi characters escaped, so the line is safe on a terminal)."""
    fields = {f.name: _plain(getattr(event, f.name)) for f in dataclasses.fields(event) if f.repr}
    fields["raw"] = event.raw
    text = json.dumps(_strict(fields), ensure_ascii=False, allow_nan=False, default=str)
    return _escape_json(text)


def summary(event: BaseEvent) -> str:
    """A short one-line description of what the event says."""
    for name in _SUMMARY_FIELDS:
        value = getattr(event, name, None)
        if isinstance(value, str) and value:
            text = " ".join(value.split())
            return text if len(text) <= 80 else text[:79] + "…"
    return ""


def event_line(event: BaseEvent) -> str:
    """`time kind chat sender summary`, `-` for what the event does not have; control and bidi
    characters (a push's text is anyone's) are shown escaped, never acted on by the terminal."""
    when = getattr(event, "created_at", None)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(when, datetime) else "-"
    chat = getattr(event, "chat_id", None) or getattr(event, "room_id", None) or "-"
    sender = getattr(event, "sender_wxid", None) or "-"
    return _escape_line(f"{stamp} {event.kind} {chat} {sender} {summary(event)}".rstrip())


async def _listen(args: argparse.Namespace) -> int:
    from ..async_client import AsyncGeweClient
    from .callback import set_callback
    from .receiver import MIN_SECRET, Receiver, has_secret, secret_path

    async def show(event: Event) -> None:
        print(event_json(event) if args.json else event_line(event), flush=True)

    from .queues import open_queue

    if args.path and not args.allow and not has_secret(args.path):
        raise GeweConfigError(
            f"--path has no secret segment (none of {MIN_SECRET} characters or more), and GeWe's pushes "
            "are unsigned: anyone who finds the URL could post events. Leave --path out (a random one "
            "is made), or pass --allow ADDR for the addresses that may post",
            setting="path",
        )
    queue = open_queue(args.queue) if args.queue else None
    handler = None if args.store_only else show
    receiver = Receiver(handler, path=args.path or secret_path(), workers=1, queue=queue, allow=args.allow)
    url = await receiver.start(args.host, args.port)
    stopping = asyncio.Event()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    try:
        if args.store_only:
            from .work_cli import _shown

            role = f" (storing pushes in {_shown(args.queue)} for `gewe work`; no handler here)"
        else:
            role = ""
        print(f"listening on {url}{role}", file=sys.stderr, flush=True)
        if args.set_callback:
            async with AsyncGeweClient(
                token=args.token, base_url=args.base_url, timeout=args.timeout, max_retries=args.retries
            ) as client:
                public = await set_callback(client, receiver, args.set_callback)
            print(f"callback set to {public}; GeWe's test message arrived", file=sys.stderr, flush=True)
        await stopping.wait()
    finally:
        left = await asyncio.shield(receiver.stop())
        if queue is not None:
            await queue.close()
        if args.store_only:
            print(f"stopped ({receiver.stored} pushes stored)", file=sys.stderr, flush=True)
        else:
            handled = receiver.worker.handled if receiver.worker is not None else receiver.handled
            print(f"stopped ({handled} events, {left} left unhandled)", file=sys.stderr, flush=True)
    return 0


def run_listen(args: argparse.Namespace) -> int:
    """Run `gewe listen` until Ctrl-C or SIGTERM."""
    if args.store_only and (not args.queue or args.queue == "memory"):
        args.listen_parser.error(
            "--store-only needs a --queue other processes read (sqlite:///path.db or redis://...), "
            "where `gewe work` finds the pushes"
        )
    if args.store_only and args.json:
        args.listen_parser.error("--store-only prints no events: leave out --json")
    try:
        return asyncio.run(_listen(args))
    except KeyboardInterrupt:  # asyncio.run cancelled _listen, whose finally stopped the receiver
        return 0
