"""`gewe fake`: serve a `FakeGewe` on a fixed port, and push messages at the bot it serves.

    gewe fake [--port 4010]                      # serve until Ctrl-C; prints the GEWE_* to export
    gewe fake push text --to wxid_carol "hello"  # a private text from wxid_carol to the bot
    gewe fake push text --to 20001@chatroom --sender wxid_carol "hi all"
    gewe fake push text --to 20001@chatroom --mention wxid_bot01 "hi bot"   # an @-mention
    gewe fake push offline

`push` reaches the running fake at --port (and --host) when given, else at --base-url /
$GEWE_BASE_URL (default http://127.0.0.1:4010), with --token / $GEWE_TOKEN; the fake delivers the
push to the callback URL the bot set.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

from ..cli import _add_global_options
from ..errors import GeweConfigError
from . import pushes

DEFAULT_PORT = 4010
#: kinds whose factory takes the push's text as its first argument
TEXT_KINDS = ("text", "quote", "system_notice", "group_announcement", "group_todo")
#: kinds that are not messages (no sender, no room)
NOT_MESSAGES = ("contact_update", "contact_deleted", "group_left", "offline", "ping", "unknown")
#: kinds whose factory needs more than the common fields: pushed with the defaults of pushes.KINDS
_FACTORIES: dict[str, Callable[..., dict[str, Any]]] = {
    "app": lambda **common: pushes.app(3, title="Song", description="a song", url="http://music", **common),
    "system": lambda **common: pushes.system("newsysmsgkind", "<x>1</x>", **common),
    "message": lambda **common: pushes.message(51, "<msg><op id='1' /></msg>", **common),
}


def push_kinds() -> list[str]:
    """The KINDs `gewe fake push` takes."""
    return sorted(k for k in pushes.KINDS if k not in ("ping", "unknown"))


def _where(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """--host and --port, on `gewe fake` and on each of its subcommands (given before or after)."""
    default = None if defaults else argparse.SUPPRESS
    parser.add_argument(
        "--host", default=default, help="address to bind, or of the fake to push through (default: 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=default, help=f"port (default: {DEFAULT_PORT})")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`gewe fake`'s options and its `serve` / `push` subcommands (the parser comes from gewe.cli)."""
    _where(parser, defaults=True)
    parser.set_defaults(func=run_serve)
    sub = parser.add_subparsers(dest="fake_command", metavar="COMMAND")
    serve = sub.add_parser("serve", help="serve the fake until Ctrl-C (the default)")
    _where(serve, defaults=False)
    _add_global_options(serve, defaults=False)
    serve.set_defaults(func=run_serve)
    push = sub.add_parser(
        "push",
        help="make the running fake push a message to the bot",
        description="Make the running fake (at --port, else --base-url or $GEWE_BASE_URL) deliver a push "
        "to the callback URL its bot set.",
    )
    kinds = push_kinds()
    push.add_argument("kind", choices=kinds, metavar="KIND", help=f"one of: {', '.join(kinds)}")
    push.add_argument("text", nargs="?", help=f"the message's text (for {', '.join(TEXT_KINDS)})")
    push.add_argument("--to", help="the chat it arrives in: a wxid (a private message from it) or a room id")
    push.add_argument("--sender", help="who sent it, in a room (default: wxid_alice)")
    push.add_argument(
        "--mention",
        action="append",
        metavar="WXID",
        help="@-mention WXID in a text in a room (repeatable; the room is --to, default "
        f"{pushes.ROOM}); the fake's bot is {pushes.BOT}",
    )
    push.add_argument("--duplicate", action="store_true", help="deliver it twice, as GeWe sometimes does")
    _where(push, defaults=False)
    _add_global_options(push, defaults=False)
    push.set_defaults(func=run_push, trailing_text=True, push_parser=push)


def build_push(args: argparse.Namespace, app_id: str) -> dict[str, Any]:
    """The push body `gewe fake push` sends, from its arguments."""
    kind: str = args.kind
    mentions: list[str] = list(getattr(args, "mention", None) or ())
    if mentions and kind != "text":
        raise GeweConfigError(f"--mention is for a text in a room, not a {kind} push")
    if kind in NOT_MESSAGES:
        if args.text or args.to or args.sender:
            raise GeweConfigError(f"a {kind} push takes no text, --to or --sender")
        body: dict[str, Any] = getattr(pushes, kind)(app_id=app_id)
        return body
    common: dict[str, Any] = {"app_id": app_id}
    to = args.to or ""
    if mentions and not to:
        to = pushes.ROOM
    if to.endswith("@chatroom"):
        common["room"] = to
        if args.sender:
            common["sender"] = args.sender
    elif mentions:
        raise GeweConfigError(f"--mention needs a room: --to {pushes.ROOM} (a private text mentions nobody)")
    elif to or args.sender:
        common["sender"] = to or args.sender
    if kind in TEXT_KINDS:
        if not args.text:
            raise GeweConfigError(f"a {kind} push needs its text: gewe fake push {kind} --to ... 'hello'")
        if mentions:
            room = common.pop("room")
            return pushes.group_text(args.text, room=room, mentions=mentions, **common)
        body = getattr(pushes, kind)(args.text, **common)
    elif args.text:
        raise GeweConfigError(f"a {kind} push takes no text (only {', '.join(TEXT_KINDS)} do)")
    else:
        body = _FACTORIES.get(kind, getattr(pushes, kind))(**common)
    return body


def _fake_url(args: argparse.Namespace) -> str:
    """Where the running fake is: --host/--port, else --base-url, $GEWE_BASE_URL or the default."""
    host, port = getattr(args, "host", None), getattr(args, "port", None)
    if (host is not None or port is not None) and args.base_url:
        args.push_parser.error("give --base-url, or --host/--port, not both")
    if host is None and port is None:
        base = args.base_url or os.environ.get("GEWE_BASE_URL") or f"http://127.0.0.1:{DEFAULT_PORT}"
        return str(base).rstrip("/")
    host = host or "127.0.0.1"
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # bound to all: ask locally
    return f"http://{f'[{host}]' if ':' in host else host}:{port or DEFAULT_PORT}"


def run_push(args: argparse.Namespace) -> int:
    """`gewe fake push`: ask the running fake to deliver one push; prints the receiver's answer."""
    import httpx

    base = _fake_url(args)
    token = args.token or os.environ.get("GEWE_TOKEN")
    if not token:
        raise GeweConfigError(
            "no token for the fake: pass --token or set GEWE_TOKEN (the token `gewe fake` printed)",
            setting="token",
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
    fake = FakeGewe(token=token, app_id=app_id, host=_host(args), port=_port(args))

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
        print(f"error: cannot listen on {_host(args)}:{_port(args)}: {exc.strerror or exc}", file=sys.stderr)
        return 1


def _host(args: argparse.Namespace) -> str:
    return getattr(args, "host", None) or "127.0.0.1"


def _port(args: argparse.Namespace) -> int:
    port = getattr(args, "port", None)
    return DEFAULT_PORT if port is None else int(port)


__all__ = ["add_arguments", "build_push", "push_kinds", "run_push", "run_serve"]
