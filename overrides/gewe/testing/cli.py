"""`gewe fake`: serve a `FakeGewe` on a fixed port, and push messages at the bot it serves.

    gewe fake [--port 4010]                      # serve until Ctrl-C; prints the GEWE_* to export
    gewe fake push text --to wxid_carol "hello"  # a private text from wxid_carol to the bot
    gewe fake push text --to 20001@chatroom --sender wxid_carol "hi all"
    gewe fake push offline

`push` reaches the running fake at --base-url / $GEWE_BASE_URL (default http://127.0.0.1:4010)
with --token / $GEWE_TOKEN, and the fake delivers the push to the callback URL the bot set.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from typing import Any

from ..errors import GeweConfigError
from . import pushes

DEFAULT_PORT = 4010
#: kinds whose factory takes the push's text as its first argument
TEXT_KINDS = ("text", "group_text", "quote", "system_notice", "group_announcement", "group_todo")
#: kinds that are not messages (no sender, no room)
NOT_MESSAGES = ("contact_update", "contact_deleted", "group_left", "offline", "ping", "unknown")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`gewe fake`'s options and its `serve` / `push` subcommands (the parser comes from gewe.cli)."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})")
    parser.set_defaults(func=run_serve)
    sub = parser.add_subparsers(dest="fake_command", metavar="COMMAND")
    serve = sub.add_parser("serve", help="serve the fake until Ctrl-C (the default)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})")
    serve.set_defaults(func=run_serve)
    push = sub.add_parser("push", help="make the running fake push a message to the bot")
    kinds = sorted(k for k in pushes.KINDS if k not in ("ping", "unknown"))
    push.add_argument("kind", choices=kinds, metavar="KIND", help=f"one of: {', '.join(kinds)}")
    push.add_argument("text", nargs="?", help=f"the message's text ({', '.join(TEXT_KINDS)})")
    push.add_argument("--to", help="the chat it arrives in: a wxid (a private message from it) or a room id")
    push.add_argument("--sender", help="who sent it, in a room (default: wxid_alice)")
    push.add_argument("--duplicate", action="store_true", help="deliver it twice, as GeWe sometimes does")
    push.set_defaults(func=run_push, trailing_text=True)


def build_push(args: argparse.Namespace, app_id: str) -> dict[str, Any]:
    """The push body `gewe fake push` sends, from its arguments."""
    kind: str = args.kind
    factory = getattr(pushes, kind)
    if kind in NOT_MESSAGES:
        if args.text or args.to or args.sender:
            raise GeweConfigError(f"a {kind} push takes no text, --to or --sender")
        body: dict[str, Any] = factory(app_id=app_id)
        return body
    common: dict[str, Any] = {"app_id": app_id}
    to = args.to or ""
    if to.endswith("@chatroom"):
        common["room"] = to
        if args.sender:
            common["sender"] = args.sender
    elif to or args.sender:
        common["sender"] = to or args.sender
    if kind in TEXT_KINDS:
        if not args.text:
            raise GeweConfigError(f"a {kind} push needs its text: gewe fake push {kind} --to ... 'hello'")
        body = factory(args.text, **common)
    elif args.text:
        raise GeweConfigError(f"a {kind} push takes no text (only {', '.join(TEXT_KINDS)} do)")
    else:
        body = factory(**common)
    return body


def run_push(args: argparse.Namespace) -> int:
    """`gewe fake push`: ask the running fake to deliver one push; prints the receiver's answer."""
    import httpx

    base = (args.base_url or os.environ.get("GEWE_BASE_URL") or f"http://127.0.0.1:{DEFAULT_PORT}").rstrip(
        "/"
    )
    token = args.token or os.environ.get("GEWE_TOKEN")
    if not token:
        raise GeweConfigError(
            "pass --token or set GEWE_TOKEN (the token `gewe fake` printed)", setting="token"
        )
    app_id = args.app_id or os.environ.get("GEWE_APP_ID") or "wx_fake_app"
    body = build_push(args, app_id)
    try:
        resp = httpx.post(
            f"{base}/_fake/push",
            json={"body": body, "duplicate": args.duplicate},
            headers={"X-GEWE-TOKEN": token},
            timeout=30,
        )
    except httpx.HTTPError as exc:
        print(
            f"error: no fake GeWe answers at {base} ({type(exc).__name__}): is `gewe fake` running?",
            file=sys.stderr,
        )
        return 1
    try:
        reply = resp.json()
    except ValueError:
        reply = {}
    if resp.status_code != 200 or not isinstance(reply, dict):
        msg = reply.get("msg") if isinstance(reply, dict) else None
        print(f"error: {msg or f'HTTP {resp.status_code} from {base}: is it `gewe fake`?'}", file=sys.stderr)
        return 1
    data = reply.get("data") or {}
    status = data.get("status")
    answer = "no answer" if status is None else f"HTTP {status}"
    print(f"{args.kind} pushed to {data.get('url')}: {answer}")
    return 0 if isinstance(status, int) and 200 <= status < 300 else 1


async def _serve(args: argparse.Namespace) -> int:
    from .fake import Call, FakeGewe

    token = args.token or os.environ.get("GEWE_TOKEN")
    app_id = args.app_id or os.environ.get("GEWE_APP_ID") or "wx_fake_app"
    fake = FakeGewe(token=token, app_id=app_id, host=args.host, port=args.port)

    def show(call: Call) -> None:
        verdict = "refused: " + "; ".join(call.problems) if call.problems else "ok"
        print(f"{call.op} {verdict}", flush=True)

    fake.on_call = show
    stopping = asyncio.Event()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    async with fake:
        shown = fake.token if token is None else "<your GEWE_TOKEN>"
        print(
            f"fake GeWe serving {len(fake.operations)} operations at {fake.base_url}; Ctrl-C stops it",
            flush=True,
        )
        print(
            f"  export GEWE_BASE_URL={fake.base_url} GEWE_TOKEN={shown} GEWE_APP_ID={fake.app_id}", flush=True
        )
        print(
            '  then: gewe fake push text --to wxid_carol "hello"   (once the bot has set its callback)',
            flush=True,
        )
        await stopping.wait()
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """Run `gewe fake` until Ctrl-C or SIGTERM."""
    try:
        return asyncio.run(_serve(args))
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1


__all__ = ["add_arguments", "build_push", "run_push", "run_serve"]
