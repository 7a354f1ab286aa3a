"""The `gewe` command.

    gewe group qrcode CHATROOM_ID [-o FILE] [--terminal]
    gewe call MODULE OPERATION [--json '{...}']
    gewe operations [MODULE]
    gewe listen [--host H] [--port P] [--path /gewe/SECRET] [--allow ADDR] [--set-callback PUBLIC_URL]
                [--json] [--queue Q [--store-only]]
    gewe work MODULE:HANDLER --queue Q [--concurrency N] [--handler-timeout S] [--stop-timeout S] [--create]
    gewe dead list|replay --queue Q [ID ...] [--all]
    gewe login [-o FILE] [--region CODE] [--device ipad|mac] [--new-device] [--json]
    gewe fake [--port P]  |  gewe fake push KIND [TEXT] [--to CHAT] [--sender WXID] [--mention WXID]
                                           [--duplicate] [--port P]

Token, app id and base URL come from --token/--app-id/--base-url or GEWE_TOKEN, GEWE_APP_ID,
GEWE_BASE_URL; these and --timeout, --retries and -v/--verbose go before or after the command.
Expected failures print one line to stderr and exit 1 (API errors show ret, msg and code; config
errors name the flag and the variable); usage errors, bad flag values included, exit 2 with the
usage line; a closed stdout (`gewe operations | head -1`) ends quietly with status 141.

Output never ends in a traceback: a stdout that cannot take a character (`PYTHONIOENCODING=ascii`)
gets it escaped (`\u4f60`), and a closed or failing stdout (`>&-`, a full disk) is one line on
stderr. Once a call has succeeded, such output problems never change the exit status (0), so a
script never sends a message again because printing its result failed.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from gewe_api.api import MODULES

from ._version import __version__
from .client import GeweClient
from .errors import GeweAPIError, GeweConfigError, GeweDependencyError, GeweError


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


class _OutputError(Exception):
    """stdout could not take the output (closed, broken pipe, I/O error)."""


def _out(text: str) -> None:
    """Print `text` to stdout; any failure is an `_OutputError` (see `_run`)."""
    if sys.stdout is None:
        raise _OutputError("stdout is closed")
    try:
        print(text)
    except BrokenPipeError:
        raise
    except (OSError, ValueError) as exc:  # ValueError: a closed file object
        raise _OutputError(str(exc) or type(exc).__name__) from None


def _err(text: str) -> None:
    """Print `text` to stderr, if there is one that works."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        print(text, file=sys.stderr)


def _cmd_qrcode(args: argparse.Namespace) -> int:
    with _client(args) as client:
        qr = client.group.get_chatroom_qr_code(chatroom_id=args.chatroom_id)
    args.called = True
    target = args.output or Path(f"qr-{args.chatroom_id}")
    saved = qr.image.save(target)
    _out(f"saved: {saved} ({qr.image.mime_type}, {len(qr.image.data)} bytes)")
    _out(f"expires: {qr.expires_at.isoformat()}")
    try:
        url = qr.url
    except GeweDependencyError as exc:
        _err(f"join link: unavailable ({exc})")
        return 0
    _out(f"join link: {url}")
    if args.terminal:
        from .qr import render_qr_terminal

        _out(render_qr_terminal(url))
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
        if body.get("appId") is None:
            body["appId"] = client.resolve_app_id(None)
        data: Any = client.invoke(operation, path, body, None, idempotent=args.idempotent or None)
    args.called = True
    _out(json.dumps(data, ensure_ascii=False, indent=2))
    return 0


def _cmd_login(args: argparse.Namespace) -> int:
    from .login_cli import run_login

    with _client(args) as client:
        return run_login(args, client, _out, _err)


def _cmd_operations(args: argparse.Namespace) -> int:
    modules = [args.module] if args.module else MODULES
    for module in modules:
        if module not in MODULES:
            raise _UsageError(f"unknown module {module!r}; modules: {', '.join(MODULES)}")
    rows = [
        (f"{module}.{method}", operation, f"POST {path}")
        for module in modules
        for method, (operation, path) in sorted(_operations(module).items())
    ]
    # each column as wide as its widest name (plus two spaces), over every module listed
    widths = [max((len(row[i]) for row in rows), default=0) + 2 for i in range(2)]
    for name, operation, where in rows:
        _out(f"{name:<{widths[0]}}{operation:<{widths[1]}}{where}")
    return 0


# Where each client setting comes from on the command line, for config errors.
_SETTINGS = {
    "token": ("--token", "GEWE_TOKEN"),
    "app_id": ("--app-id", "GEWE_APP_ID"),
    "base_url": ("--base-url", "GEWE_BASE_URL"),
}
_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a writer whose reader went away


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def _add_global_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """The options every command takes, before or after the subcommand.

    The top-level parser holds the defaults; each subcommand repeats the options with no default
    of its own (SUPPRESS), so a value given after the subcommand wins and none is clobbered.
    """

    def default(value: Any) -> Any:
        return value if defaults else argparse.SUPPRESS

    opts = parser.add_argument_group("global options (before or after the command)")
    opts.add_argument("--token", default=default(None), help="GeWe API token (default: $GEWE_TOKEN)")
    opts.add_argument("--app-id", default=default(None), help="bot device id (default: $GEWE_APP_ID)")
    opts.add_argument(
        "--base-url",
        default=default(None),
        help="API root (default: $GEWE_BASE_URL or http://api.geweapi.com)",
    )
    opts.add_argument(
        "--timeout",
        type=_positive_float,
        default=default(30.0),
        help="seconds per attempt (default: 30)",
    )
    opts.add_argument(
        "--retries",
        type=_non_negative_int,
        default=default(2),
        help="retries for safe failures (default: 2)",
    )
    opts.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=default(False),
        help="log each call to stderr and print whole error bodies",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gewe", description="Command line for the GeWe WeChat-bot API.")
    parser.add_argument("--version", action="version", version=f"gewe-sdk {__version__}")
    _add_global_options(parser, defaults=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(parent: Any, name: str, help: str) -> argparse.ArgumentParser:
        found: argparse.ArgumentParser = parent.add_parser(name, help=help)
        _add_global_options(found, defaults=False)
        return found

    group = sub.add_parser("group", help="group (chatroom) commands")
    group_sub = group.add_subparsers(dest="group_command", required=True, metavar="COMMAND")
    qrcode = command(group_sub, "qrcode", "save a group's QR code and print its expiry and join link")
    qrcode.add_argument("chatroom_id", metavar="CHATROOM_ID", help="e.g. 34757816141@chatroom")
    qrcode.add_argument("-o", "--output", type=Path, help="image path; the extension is added if missing")
    qrcode.add_argument("--terminal", action="store_true", help="also draw the QR code in the terminal")
    qrcode.set_defaults(func=_cmd_qrcode)

    call = command(sub, "call", "call any operation and print its data as JSON")
    call.add_argument("module", metavar="MODULE", help="e.g. group")
    call.add_argument("operation", metavar="OPERATION", help="e.g. getChatroomQrCode or get_chatroom_qr_code")
    call.add_argument(
        "--json",
        default="{}",
        help="request body with GeWe's field names; a missing or null appId is filled in",
    )
    call.add_argument(
        "--idempotent", action="store_true", help="allow retrying timeouts and overload replies for this call"
    )
    call.set_defaults(func=_cmd_call)

    ops = command(sub, "operations", "list the operations in the spec")
    ops.add_argument("module", nargs="?", metavar="MODULE")
    ops.set_defaults(func=_cmd_operations)

    from .events.cli import add_arguments as add_listen_arguments  # the command lives in gewe.events

    add_listen_arguments(command(sub, "listen", "receive GeWe's pushes: one line (or JSON line) per event"))
    from .events.work_cli import add_dead_arguments, add_work_arguments

    add_work_arguments(command(sub, "work", "handle stored pushes with MODULE:HANDLER until SIGTERM"))
    add_dead_arguments(command(sub, "dead", "list or replay the dead letters of a queue"))

    from .login_cli import add_arguments as add_login_arguments  # the command lives in gewe.login_cli

    login = command(sub, "login", "log an account in: QR code in the terminal, then wait for the phone")
    add_login_arguments(login)
    login.set_defaults(func=_cmd_login)

    from .testing.cli import add_arguments as add_fake_arguments  # the command lives in gewe.testing

    add_fake_arguments(command(sub, "fake", "serve a fake GeWe for testing a bot offline, or push at it"))
    return parser


def _config_message(exc: GeweConfigError) -> str:
    """The config error in the command's terms: the flag and the variable that set it."""
    message = str(exc)
    if exc.setting in _SETTINGS:
        flag, variable = _SETTINGS[exc.setting]
        generic = f"pass {exc.setting}=... to the call or the client, or set {variable}"
        generic_short = f"pass {exc.setting}=... or set {variable}"
        if generic in message or generic_short in message:
            return message.replace(generic, f"pass {flag} or set {variable}").replace(
                generic_short, f"pass {flag} or set {variable}"
            )
        if flag in message and variable in message:  # it already says how
            return message
        return f"{message} (set with {flag} or {variable})"
    return message


@contextlib.contextmanager
def _verbose_logging(enabled: bool) -> Iterator[None]:
    """With -v, the `gewe` logger at DEBUG to stderr for this command (and put back after it)."""
    if not enabled:
        yield
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("gewe: %(levelname)s %(message)s"))
    logger = logging.getLogger("gewe")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    try:
        code: int = args.func(args)
    except _UsageError as exc:
        parser.exit(2, f"gewe: error: {exc}\n")
    except GeweAPIError as exc:
        _err(f"error: {exc.operation}: ret={exc.ret} msg={exc.msg!r} code={exc.code!r}")
        if args.hint:  # a command's next step for this failure (gewe login's)
            _err(f"hint: {args.hint}")
        return 1
    except GeweConfigError as exc:
        _err(f"error: {_config_message(exc)}")
        return 1
    except GeweError as exc:
        _err(f"error: {exc}")
        body = getattr(exc, "body", None)
        if args.verbose and body:
            _err(f"body: {body}")
        return 1
    except _OutputError as exc:
        if args.called:  # what was called succeeded: its status stays 0
            _err(f"gewe: the call succeeded, but its output could not be written: {exc}")
            return 0
        _err(f"error: the output could not be written: {exc}")
        return 1
    except KeyboardInterrupt:
        return 130
    return code


def _tolerant(stream: Any) -> None:
    """Characters the stream's encoding lacks are escaped (`\\u4f60`) instead of failing."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        with contextlib.suppress(ValueError, OSError, TypeError):
            reconfigure(errors="backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    _tolerant(sys.stdout)
    _tolerant(sys.stderr)
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # a trailing text after options (`gewe fake push text --to X "hello"`) is the command's text
    if extra and (
        not getattr(args, "trailing_text", False) or args.text is not None or extra[0].startswith("-")
    ):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if extra:
        args.text = " ".join(extra)
    args.called = False  # set by a command once its call succeeded
    args.hint = None  # set by a command that knows the next step after a GeWe failure
    try:
        with _verbose_logging(args.verbose):
            code = _run(parser, args)
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        # The reader (`| head`) has gone: end quietly. A call that succeeded keeps its status 0.
        _discard_stdout()
        return 0 if args.called else _BROKEN_PIPE
    except (OSError, ValueError) as exc:  # the final flush failed (a full disk, a closed file)
        _discard_stdout()
        _err(f"gewe: the output could not be written: {exc}")
        return 0 if args.called else 1
    return code


def _discard_stdout() -> None:
    """Point stdout's file descriptor at /dev/null, so the interpreter's own final flush of what
    is still buffered cannot fail again (it would turn the exit status into 120)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
