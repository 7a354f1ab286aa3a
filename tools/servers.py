"""Start and stop loopback servers for the tests and `make demo`: any subprocess server, and Prism.

Every server runs in its own process group with its output going to a log file (never a pipe that
could fill up), binds to 127.0.0.1 on a free port, and is stopped by its PID: SIGTERM to the group,
then SIGKILL after a grace period. Servers still running when the interpreter exits are stopped
too, and on Linux the kernel stops them if this process is killed outright (see `start_server`),
so a failing test, a Ctrl-C or a killed test run leaves no orphan behind.

This module imports nothing from the project, so `tools/demo.py` can use it as `servers` or the
tests as `tools.servers`.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "gewe.yaml"
# Where `make prism` installs the pinned Prism; the Makefile also exports it as GEWE_PRISM.
DEFAULT_PRISM = ROOT / ".tools" / "prism" / "node_modules" / ".bin" / "prism"
LOOPBACK = "127.0.0.1"
OUTPUT_TAIL = 4000  # characters of a server's output quoted in an error

_running: dict[int, ServerProcess] = {}


class ServerError(RuntimeError):
    """A server could not be started (it died, or did not listen in time)."""


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that is free on `host` right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_accepts(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def stop_pid(pid: int, grace: float = 5.0) -> None:
    """Stop the process group led by `pid`: SIGTERM, then SIGKILL after `grace` seconds.

    For a process started with `start_new_session=True` (as `start_server` does), so that its
    children go too. Reaps the process if it is our child. Returns once the leader is gone.
    """
    _stop_group(pid, grace, lambda seconds: _wait_pid(pid, seconds))


def _stop_group(pid: int, grace: float, wait: Callable[[float], bool]) -> None:
    """SIGTERM the group, `wait` up to `grace` s for the leader, else SIGKILL; then sweep the group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    if not wait(grace):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        wait(float("inf"))
    # The leader is gone; kill whatever of its group outlived it (e.g. a forked worker).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _wait_pid(pid: int, seconds: float) -> bool:
    """Wait up to `seconds` for `pid` to exit (reaping it if it is our child); True once it has."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
            gone = done == pid
        except ChildProcessError:  # not our child, or already reaped: ask the kernel
            try:
                os.kill(pid, 0)
                gone = False
            except ProcessLookupError:
                gone = True
        if gone:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


class ServerProcess:
    """A running server: its process, address and log. Stop it with `stop()` (or `with`)."""

    def __init__(
        self, proc: subprocess.Popen[bytes], host: str, port: int, log_path: Path, name: str
    ) -> None:
        self.proc = proc
        self.stopped = False
        self.host = host
        self.port = port
        self.log_path = log_path
        self.name = name

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def output(self) -> str:
        """Everything the server has written to stdout and stderr so far."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, grace: float = 5.0) -> None:
        """Stop the server's process group by its PID (idempotent), then remove its log file."""
        if self.stopped:
            return
        self.stopped = True
        _running.pop(self.pid, None)
        _stop_group(self.pid, grace, self._wait)
        with contextlib.suppress(FileNotFoundError):
            self.log_path.unlink()

    def _wait(self, seconds: float) -> bool:
        try:
            self.proc.wait(timeout=None if seconds == float("inf") else seconds)
        except subprocess.TimeoutExpired:
            return False
        return True

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_server(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    port: int,
    host: str = LOOPBACK,
    name: str | None = None,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    ready: str | Callable[[str], bool] | None = None,
    die_with_parent: bool = True,
) -> ServerProcess:
    """Start `cmd` (which must listen on host:port) and return once it accepts connections.

    `ready`, if given, is text the server's output must contain, or a function that must return
    True for that output: it tells our server apart from anything else that grabbed the port in
    the meantime. Raises ServerError, quoting the server's output, if it exits or is not ready
    within `timeout` seconds; it is then stopped.

    With `die_with_parent` (Linux, with util-linux's `setpriv`), the kernel also sends the server
    SIGTERM if this process dies without stopping it (e.g. killed by SIGKILL). Note that this
    fires when the *thread* that started the server ends, so start servers from the main thread.
    """
    name = name or Path(os.fspath(cmd[0])).name
    fd, log_name = tempfile.mkstemp(prefix=f"{name}-", suffix=".log")
    log_path = Path(log_name)
    with os.fdopen(fd, "wb") as log:
        proc = subprocess.Popen(
            _death_signal_prefix(die_with_parent) + [os.fspath(c) for c in cmd],
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop_pid gets its children too
        )
    if isinstance(ready, str):
        ready = _contains(ready)
    server = ServerProcess(proc, host, port, log_path, name)
    _running[proc.pid] = server
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise ServerError(
                    f"{name} exited with code {proc.returncode} before listening on {host}:{port}; "
                    f"its output:\n{_tail(server.output())}"
                )
            if port_accepts(host, port) and (ready is None or ready(server.output())):
                return server
            if time.monotonic() > deadline:
                raise ServerError(
                    f"{name} did not listen on {host}:{port} within {timeout:g}s; "
                    f"its output:\n{_tail(server.output())}"
                )
            time.sleep(0.1)
    except BaseException:
        server.stop()
        raise


def _death_signal_prefix(wanted: bool) -> list[str]:
    """`setpriv --pdeathsig TERM --` where available: the server dies with us, even on SIGKILL."""
    setpriv = shutil.which("setpriv") if wanted and sys.platform == "linux" else None
    return [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []


def _contains(marker: str) -> Callable[[str], bool]:
    def ready(output: str) -> bool:
        return marker in output

    return ready


def _tail(text: str) -> str:
    text = text.strip() or "(no output)"
    return text if len(text) <= OUTPUT_TAIL else "...\n" + text[-OUTPUT_TAIL:]


@atexit.register
def _stop_all() -> None:
    for server in list(_running.values()):
        server.stop(grace=2.0)


class PrismNotFound(ServerError):
    """The Prism binary is not installed where it was expected."""


def find_prism(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The Prism executable: `explicit`, else $GEWE_PRISM, else the `make prism` location.

    Raises PrismNotFound naming the path it tried and how to install Prism.
    """
    source = "argument"
    candidate: str | os.PathLike[str] | None = explicit
    if candidate is None and os.environ.get("GEWE_PRISM"):
        candidate, source = os.environ["GEWE_PRISM"], "GEWE_PRISM"
    if candidate is None:
        candidate, source = DEFAULT_PRISM, "default location"
    path = Path(candidate)
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise PrismNotFound(f"Prism is not installed at {path} ({source}); run `make prism`")
    return path


class PrismServer:
    """Prism's mock server for openapi/gewe.yaml on a free loopback port, as a context manager.

    Prism answers each operation with the spec's response example (static mode), and checks every
    request against the spec first: no X-GEWE-TOKEN header gives 401, a body that breaks the
    schema gives 422. With `errors=True` (the default) it also checks its own reply against the
    spec and answers 500 if the example breaks the schema, so an inconsistent spec fails loudly.

        with PrismServer() as prism:
            client = GeweClient(token="your-gewe-token", app_id="wx_app", base_url=prism.base_url)
    """

    def __init__(
        self,
        spec: str | os.PathLike[str] = SPEC,
        *,
        prism: str | os.PathLike[str] | None = None,
        port: int | None = None,
        errors: bool = True,
        timeout: float = 60.0,
        attempts: int = 3,
    ) -> None:
        self.spec = Path(spec)
        self.prism = find_prism(prism)
        self.requested_port = port
        self.errors = errors
        self.timeout = timeout
        self.attempts = attempts
        self.server: ServerProcess | None = None

    @property
    def base_url(self) -> str:
        if self.server is None:
            raise ServerError("Prism is not running")
        return self.server.url

    @property
    def pid(self) -> int:
        if self.server is None:
            raise ServerError("Prism is not running")
        return self.server.pid

    def output(self) -> str:
        return self.server.output() if self.server is not None else ""

    def command(self, port: int) -> list[str]:
        cmd = [str(self.prism), "mock", "-h", LOOPBACK, "-p", str(port)]
        if self.errors:
            cmd.append("--errors")
        return [*cmd, str(self.spec)]

    def start(self) -> Self:
        if self.server is not None:
            return self
        if not self.spec.is_file():
            raise ServerError(f"no spec at {self.spec}")
        if shutil.which("node") is None:  # the `prism` script starts with `#!/usr/bin/env node`
            raise ServerError("Prism needs Node.js, but `node` is not on PATH")
        env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"}  # plain text in its output
        last: ServerError | None = None
        # A port found free can be taken before Prism binds it; then Prism dies and we retry.
        for _ in range(1 if self.requested_port else self.attempts):
            port = self.requested_port or free_port()
            try:
                self.server = start_server(
                    self.command(port),
                    port=port,
                    name="prism",
                    cwd=ROOT,
                    env=env,
                    timeout=self.timeout,
                    ready=f"Prism is listening on http://{LOOPBACK}:{port}",
                )
                return self
            except ServerError as exc:
                last = exc
                if "EADDRINUSE" not in str(exc):
                    raise
        assert last is not None
        raise last

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
