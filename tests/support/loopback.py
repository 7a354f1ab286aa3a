"""A real HTTP server on 127.0.0.1 that misbehaves on purpose, for fault-injection tests.

Each test scripts what the next requests get (`server.script([...])`): a reply, a slow reply, a
connection reset mid-reply, or a truncated body. Once the script runs out, the last step repeats.
The server counts and keeps every request, so tests can prove what was retried and what never was.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Step:
    """What one request gets."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    reset_after: int | None = None  # send this many body bytes, then reset the connection
    declared_length: int | None = None  # a Content-Length that differs from the body (truncation)


def reply(payload: Any, status: int = 200, **kwargs: Any) -> Step:
    """A JSON reply (or raw bytes/str as they are)."""
    if isinstance(payload, bytes):
        body = payload
    elif isinstance(payload, str):
        body = payload.encode()
    else:
        body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", **kwargs.pop("headers", {})}
    return Step(status=status, body=body, headers=headers, **kwargs)


def ok(data: Any) -> Step:
    return reply({"ret": 200, "msg": "操作成功", "data": data})


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog of 5 drops connections when a burst opens a hundred at once;
    # the kernel's retransmits then look like a slow server to the client.
    request_queue_size = 1024


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)  # when the server read the request

    def json(self) -> Any:
        return json.loads(self.body)


class FaultServer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._steps: list[Step] = [ok({})]
        self.requests: list[Seen] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                step = server._record(Seen(self.path, dict(self.headers.items()), body))
                if step.delay:
                    time.sleep(step.delay)
                with contextlib.suppress(OSError):  # the client may have given up first (its timeout)
                    self._answer(step)

            def _answer(self, step: Step) -> None:
                self.send_response(step.status)
                for name, value in step.headers.items():
                    self.send_header(name, value)
                length = step.declared_length if step.declared_length is not None else len(step.body)
                if step.reset_after is not None:
                    length = len(step.body)
                self.send_header("Content-Length", str(length))
                self.end_headers()
                if step.reset_after is not None:
                    self.wfile.write(step.body[: step.reset_after])
                    self.wfile.flush()
                    # SO_LINGER 0 turns close() into a TCP RST: a reset mid-reply.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    self.connection.close()
                    return
                self.wfile.write(step.body)
                if step.declared_length is not None and step.declared_length != len(step.body):
                    self.close_connection = True

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False  # a handler still sleeping on a "slow reply" is not waited for
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fault-server", daemon=True
        )

    def _record(self, seen: Seen) -> Step:
        with self._lock:
            self.requests.append(seen)
            return self._steps.pop(0) if len(self._steps) > 1 else self._steps[0]

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, steps: list[Step]) -> None:
        """The replies for the next requests, in order; the last one repeats."""
        with self._lock:
            self._steps = list(steps)
            self.requests.clear()

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


@contextmanager
def fault_server() -> Iterator[FaultServer]:
    server = FaultServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def closed_port() -> int:
    """A loopback port with nothing listening (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
