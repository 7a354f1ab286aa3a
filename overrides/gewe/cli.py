"""The `gewe` command.

    gewe group qrcode CHATROOM_ID [-o FILE] [--terminal]
    gewe call MODULE OPERATION [--json '{...}']
    gewe operations [MODULE]

Token, app id and base URL come from --token/--app-id/--base-url or GEWE_TOKEN, GEWE_APP_ID,
GEWE_BASE_URL. Expected failures print one line to stderr and exit 1 (API errors show ret, msg
and code); usage errors exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gewe_api.api import MODULES

from ._version import __version__
from .client import GeweClient
from .errors import GeweAPIError, GeweDependencyError, GeweError


def _operations(module: str) -> dict[str, tuple[str, str]]:
    table: dict[str, tuple[str, str]] = importlib.import_module(f"gewe_api.api.{module}").OPERATIONS
    return table


def _find_operation(module: str, operation: str) -> tuple[str, str]:
    """("module.operation", path) for an operation given as published or in snake case."""
    if module not in MODULES:
        raise _UsageError(f"unknown module {module!r}; modules: {', '.join(MODULES)}")
    wanted = operation.replace("_", "").lower()
    for method, found in _operations(module).items():
        if method.replace("_", "").lower() == wanted:
            return found
    raise _UsageError(f"unknown operation {operation!r} in {module}; see `gewe operations {module}`")


class _UsageError(Exception):
    pass


def _client(args: argparse.Namespace) -> GeweClient:
    return GeweClient(
        token=args.token,
        app_id=args.app_id,
        base_url=args.base_url,
        timeout=args.timeout,
        max_retries=args.retries,
    )


def _cmd_qrcode(args: argparse.Namespace) -> int:
    with _client(args) as client:
        qr = client.group.get_chatroom_qr_code(chatroom_id=args.chatroom_id)
    target = args.output or Path(f"qr-{args.chatroom_id}")
    saved = qr.image.save(target)
    print(f"saved: {saved} ({qr.image.mime_type}, {len(qr.image.data)} bytes)")
    print(f"expires: {qr.expires_at.isoformat()}")
    try:
        url = qr.url
    except GeweDependencyError as exc:
        print(f"join link: unavailable ({exc})", file=sys.stderr)
        return 0
    print(f"join link: {url}")
    if args.terminal:
        from .qr import render_qr_terminal

        print(render_qr_terminal(url))
    return 0


def _cmd_call(args: argparse.Namespace) -> int:
    operation, path = _find_operation(args.module, args.operation)
    try:
        body = json.loads(args.json)
    except json.JSONDecodeError as exc:
        raise _UsageError(f"--json is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise _UsageError("--json must be a JSON object")
    with _client(args) as client:
        if "appId" not in body:
            body["appId"] = client.resolve_app_id(None)
        data: Any = client.invoke(operation, path, body, None, idempotent=args.idempotent or None)
    print(json.dumps(data, ensure_ascii=False, indent=2))
    return 0


def _cmd_operations(args: argparse.Namespace) -> int:
    for module in [args.module] if args.module else MODULES:
        if module not in MODULES:
            raise _UsageError(f"unknown module {module!r}; modules: {', '.join(MODULES)}")
        for method, (operation, path) in sorted(_operations(module).items()):
            print(f"{module}.{method:<32} {operation:<40} POST {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--token", help="GeWe API token (default: $GEWE_TOKEN)")
    common.add_argument("--app-id", help="bot device id (default: $GEWE_APP_ID)")
    common.add_argument("--base-url", help="API root (default: $GEWE_BASE_URL or http://api.geweapi.com)")
    common.add_argument("--timeout", type=float, default=30.0, help="seconds per attempt (default: 30)")
    common.add_argument("--retries", type=int, default=2, help="retries for safe failures (default: 2)")

    parser = argparse.ArgumentParser(prog="gewe", description="Command line for the GeWe WeChat-bot API.")
    parser.add_argument("--version", action="version", version=f"gewe-sdk {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    group = sub.add_parser("group", help="group (chatroom) commands")
    group_sub = group.add_subparsers(dest="group_command", required=True, metavar="COMMAND")
    qrcode = group_sub.add_parser(
        "qrcode", parents=[common], help="save a group's QR code and print its expiry and join link"
    )
    qrcode.add_argument("chatroom_id", metavar="CHATROOM_ID", help="e.g. 34757816141@chatroom")
    qrcode.add_argument("-o", "--output", type=Path, help="image path; the extension is added if missing")
    qrcode.add_argument("--terminal", action="store_true", help="also draw the QR code in the terminal")
    qrcode.set_defaults(func=_cmd_qrcode)

    call = sub.add_parser("call", parents=[common], help="call any operation and print its data as JSON")
    call.add_argument("module", metavar="MODULE", help="e.g. group")
    call.add_argument("operation", metavar="OPERATION", help="e.g. getChatroomQrCode or get_chatroom_qr_code")
    call.add_argument("--json", default="{}", help="request body with GeWe's field names; appId is filled in")
    call.add_argument(
        "--idempotent", action="store_true", help="allow retrying timeouts and overload replies for this call"
    )
    call.set_defaults(func=_cmd_call)

    ops = sub.add_parser("operations", help="list the operations in the spec")
    ops.add_argument("module", nargs="?", metavar="MODULE")
    ops.set_defaults(func=_cmd_operations)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except _UsageError as exc:
        parser.exit(2, f"gewe: error: {exc}\n")
    except GeweAPIError as exc:
        print(f"error: {exc.operation}: ret={exc.ret} msg={exc.msg!r} code={exc.code!r}", file=sys.stderr)
        return 1
    except GeweError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
