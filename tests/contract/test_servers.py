"""tools/servers.py: starting loopback servers, failing with their output, and stopping them by PID."""

from __future__ import annotations

import os
import socket
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import spec
from tools.servers import LOOPBACK, PrismServer, ServerError, free_port, port_accepts, start_server

# A tiny HTTP server: `python -c SERVER PORT [--ignore-term] [--child]`. With --child it first
# starts a long sleep (in the same process group) and prints that child's PID.
SERVER = textwrap.dedent(
    """
    import http.server, signal, subprocess, sys
    port = int(sys.argv[1])
    if "--ignore-term" in sys.argv:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if "--child" in sys.argv:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
        print("child", child.pid, flush=True)
    print("serving", flush=True)
    http.server.HTTPServer(("127.0.0.1", port), http.server.SimpleHTTPRequestHandler).serve_forever()
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is dead for our purposes.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


def _wait_dead(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_free_port_is_free_on_loopback() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind((LOOPBACK, port))
    assert not port_accepts(LOOPBACK, port)


def test_start_server_waits_until_it_answers_and_stop_ends_it(tmp_path: Path) -> None:
    port = free_port()
    server = start_server([sys.executable, "-c", SERVER, str(port)], port=port, cwd=tmp_path, ready="serving")
    try:
        assert server.url == f"http://{LOOPBACK}:{port}"
        assert httpx.get(server.url + "/", timeout=5).status_code == 200
        assert "serving" in server.output()
    finally:
        server.stop()
    assert server.proc.returncode is not None
    assert not port_accepts(LOOPBACK, port)
    assert not server.log_path.exists()
    server.stop()  # idempotent


def test_stop_ends_the_whole_process_group() -> None:
    port = free_port()
    with start_server(
        [sys.executable, "-c", SERVER, str(port), "--child"], port=port, ready="serving"
    ) as server:
        child = int(server.output().split("child", 1)[1].split()[0])
        assert _alive(child)
    assert _wait_dead(child), "the server's child outlived it"


def test_stop_kills_a_server_that_ignores_sigterm() -> None:
    port = free_port()
    server = start_server(
        [sys.executable, "-c", SERVER, str(port), "--ignore-term"], port=port, ready="serving"
    )
    started = time.monotonic()
    server.stop(grace=0.5)
    assert time.monotonic() - started < 5
    assert server.proc.returncode == -9
    assert not _alive(server.pid)


def test_a_server_that_dies_is_reported_with_its_output() -> None:
    code = "import sys; print('config file is broken'); sys.exit(3)"
    with pytest.raises(ServerError, match=r"(?s)exited with code 3.*config file is broken"):
        start_server([sys.executable, "-c", code], port=free_port(), name="broken")


def test_a_server_that_never_listens_times_out_and_is_stopped(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    code = (
        f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        "print('warming up', flush=True); time.sleep(60)"
    )
    started = time.monotonic()
    with pytest.raises(ServerError, match=r"(?s)did not listen.*within 1s.*warming up"):
        start_server([sys.executable, "-c", code], port=free_port(), timeout=1)
    assert time.monotonic() - started < 10
    assert _wait_dead(int(pid_file.read_text()))


def test_a_ready_marker_tells_our_server_from_another_on_the_port() -> None:
    # Something else already listens on the port: without the marker it would pass for ours.
    with socket.socket() as squatter:
        squatter.bind((LOOPBACK, 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        code = "import time; print('starting', flush=True); time.sleep(60)"
        with pytest.raises(ServerError, match="did not listen"):
            start_server([sys.executable, "-c", code], port=port, timeout=1, ready="listening on")


@pytest.mark.prism
def test_prism_server_serves_the_spec_and_stops(prism: PrismServer) -> None:
    # A second, private Prism, so stopping it does not disturb the session's.
    with PrismServer() as own:
        assert own.base_url.startswith(f"http://{LOOPBACK}:")
        assert own.base_url != prism.base_url
        path = min(spec()["paths"])  # any operation of openapi/gewe.yaml, which PrismServer() serves
        reply = httpx.post(own.base_url + path, json={}, timeout=10)
        assert reply.status_code == 401  # Prism's own answer: no token
        pid = own.pid
    assert _wait_dead(pid)
    with pytest.raises(ServerError, match="not running"):
        _ = own.base_url


@pytest.mark.prism
def test_prism_on_a_taken_port_fails_with_its_reason(prism: PrismServer) -> None:
    port = int(prism.base_url.rsplit(":", 1)[1])
    with pytest.raises(ServerError, match="EADDRINUSE"):
        PrismServer(port=port, timeout=20).start()
