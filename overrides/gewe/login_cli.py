"""`gewe login [-o FILE] [--region CODE] [--device ipad|mac] [--proxy URL] [--new-device] [--json]`.

Shows the login QR code in the terminal (needs the `qr` extra; without it the code's link is
printed), saves it as an image with -o, polls checkLogin until the account is in (then prints the
app id, wxid and nickname), the code expires (exit 1) or a verification code is asked for (then
prompts for it on the terminal). Progress goes to stderr; with --json every state is one JSON
line on stdout instead, for scripts. A device already logged in, or one GeWe does not know, adds a
`hint:` line after the error with the next step.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .errors import GeweAlreadyLoggedInError, GeweAPIError, GeweDependencyError, GeweDeviceNotFoundError
from .login_flow import DEFAULT_INTERVAL, DEFAULT_MAX_WAIT, DEFAULT_REGION, LoginState


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `login` command's options (the parser comes from gewe.cli)."""
    parser.add_argument(
        "-o", "--output", type=Path, help="also save the QR code image here (extension added)"
    )
    parser.add_argument(
        "--region",
        default=DEFAULT_REGION,
        help="login region, a six-digit province code: 110000 Beijing, 310000 Shanghai, "
        f"440000 Guangdong, ... (default: {DEFAULT_REGION})",
    )
    parser.add_argument(
        "--device", choices=("ipad", "mac"), default="ipad", help="device kind (default: ipad)"
    )
    parser.add_argument("--proxy", help="your own proxy for the login, socks5://user:pw@host:port")
    parser.add_argument(
        "--new-device",
        action="store_true",
        help="log in on a new device (an empty appId: GeWe creates one) even if --app-id/GEWE_APP_ID is set",
    )
    parser.add_argument(
        "--interval", type=float, default=DEFAULT_INTERVAL, help="seconds between polls (default: 5)"
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=DEFAULT_MAX_WAIT,
        help="give up after this many seconds (default: 300)",
    )
    parser.add_argument("--no-terminal", action="store_true", help="do not draw the QR code in the terminal")
    parser.add_argument("--json", action="store_true", help="print every state as one JSON line on stdout")


_PROGRESS = {
    "waiting": "waiting for the QR code to be scanned",
    "scanned": "scanned{by}: confirm the login on the phone",
}


def _hint(exc: GeweAPIError, app_id: str | None) -> str | None:
    """What to do next after GeWe refused a login, for the failures that have a next step."""
    device = f"the device {app_id}" if app_id else "the device"
    if isinstance(exc, GeweAlreadyLoggedInError):
        return (
            f"{device} is already logged in: nothing to do (check with `gewe call login checkOnline`); "
            "to log in another account on a device of its own, run `gewe login --new-device`; to log "
            "this one in again, log it out first (`gewe call login logout`)"
        )
    if isinstance(exc, GeweDeviceNotFoundError):
        return (
            f"GeWe does not know {device} (or it expired): run `gewe login --new-device` to create one, "
            "and keep the app id it prints (GEWE_APP_ID)"
        )
    return None


def run_login(args: argparse.Namespace, client: Any, out: Any, err: Any) -> int:
    """The command, on a configured `GeweClient`; `out`/`err` print a line to stdout/stderr. A
    GeWe refusal with a next step sets `args.hint` (printed by gewe.cli after the error)."""
    try:
        return _login(args, client, out, err)
    except GeweAPIError as exc:
        args.hint = _hint(exc, None if args.new_device else client.app_id)
        raise


def _login(args: argparse.Namespace, client: Any, out: Any, err: Any) -> int:
    flow = client.login.login_flow(
        app_id="" if args.new_device else None,
        region_id=args.region,
        device_type=args.device,
        proxy_ip=args.proxy,
        interval=args.interval,
        max_wait=args.max_wait,
    )
    last: LoginState | None = None
    for state in flow:
        last = state
        args.called = True  # a device may exist now: never make the user run this twice by mistake
        if args.json:
            out(json.dumps(state.to_dict(), ensure_ascii=False))
        if state.kind == "qr":
            _show_qr(args, state, out if not args.json else err, err)
        elif state.kind in _PROGRESS and not args.json:
            expires = f" (the code expires in {state.expires_in} s)" if state.expires_in else ""
            by = f" by {state.nickname}" if state.nickname else ""
            err(_PROGRESS[state.kind].format(by=by) + expires)
        elif state.kind == "captcha":
            err(f"GeWe asks for the verification code shown on the phone ({state.captcha_message})")
            code = _prompt("verification code: ")
            if code is None:
                err("error: no verification code given (stdin closed)")
                return 1
            flow.captcha(code)
    assert last is not None
    if last.kind == "expired":
        err("error: the QR code expired before the login was confirmed; run `gewe login` again")
        return 1
    if not args.json:
        out(f"app id: {last.app_id}")
        out(f"wxid: {last.wxid or ''}")
        out(f"nickname: {last.nickname or ''}")
        err("logged in: keep the app id (GEWE_APP_ID) for every later call and login")
    return 0


def _show_qr(args: argparse.Namespace, state: LoginState, show: Any, err: Any) -> None:
    if args.output is not None:
        image = state.qr_image
        if image is None:
            err("error: GeWe sent no QR image to save")
        else:
            err(f"saved: {image.save(args.output)}")
    if args.no_terminal or not state.qr_data:
        return
    try:
        from .qr import render_qr_terminal

        show(render_qr_terminal(state.qr_data))
    except GeweDependencyError as exc:
        err(f"(no QR in the terminal: {exc})")
    err(f"scan the QR code with WeChat on the phone (its link: {state.qr_data})")


def _prompt(text: str) -> str | None:
    print(text, end="", file=sys.stderr, flush=True)
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.strip() or None
