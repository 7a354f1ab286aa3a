"""A hostile HTTP server, run as its own process on 127.0.0.1, for the fault tests.

    python -m tests.support.hostile      # prints "PORT OTHER_PORT", serves until killed

Every request's path starts with `/<scenario>/<tag>/`; the scenario says how to misbehave and the
tag groups what one test sent, so `GET /_count/<tag>` answers how many requests the server saw for
it (on either port). The second port (OTHER_PORT) is "another origin": redirects point there,
and it answers every request with a valid reply (and counts it), so a test can prove that nothing
was sent to it. Raw sockets, so headers can trickle too. `HostileServer` starts and stops it (by
its PID).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
import urllib.request
import zlib
from collections import Counter
from typing import Any

OK = json.dumps({"ret": 200, "msg": "操作成功", "data": {"msgId": 1}}).encode()
TRICKLE_EVERY = 0.3
TRICKLE_FOR = 20.0  # a trickle stops by itself after this long, whatever the client does
BOMB_BYTES = 1024 * 1024 * 1024  # what the gzip bomb expands to
_counts: Counter[str] = Counter()
_lock = threading.Lock()
_bomb: list[bytes] = []
OTHER: list[int] = []

# GeWe's own failure replies, by name (the test expects each as its documented class).
FAILURES: dict[str, Any] = {
    "no-token": {"ret": 500, "msg": "header:X-GEWE-TOKEN 不可为空"},
    "token-expired": {"ret": 500, "msg": "token不可用或已过期"},
    "offline": {"ret": 500, "msg": "发送消息失败", "data": {"code": "-1", "msg": "微信已离线"}},
    "no-device": {"ret": 500, "msg": "操作失败", "data": {"msg": "appId对应设备不存在"}},
    "verify": {"ret": 500, "msg": "本次登录需要输入安全验证码"},
    "logged-in": {"ret": 500, "msg": "微信已登录，请勿重复登录"},
    "device-limit": {"ret": 500, "msg": "已达到最大客户端数量，请先退出其他设备"},
    "unknown": {"ret": 500, "msg": "群不存在", "data": {"code": "-2"}},
}


def _bomb_body() -> bytes:
    """About 1 MiB of gzip that expands to BOMB_BYTES of zeros: after a full flush each MiB of
    zeros compresses to the same bytes, so one block is repeated (the trailer is never reached)."""
    with _lock:
        if not _bomb:
            squeeze = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
            zeros = bytes(1024 * 1024)
            first = squeeze.compress(zeros) + squeeze.flush(zlib.Z_FULL_FLUSH)
            block = squeeze.compress(zeros) + squeeze.flush(zlib.Z_FULL_FLUSH)
            _bomb.append(first + block * (BOMB_BYTES // len(zeros) - 1))
        return _bomb[0]


def _head(status: int, headers: dict[str, str], length: int | None) -> bytes:
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in headers.items()]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _json(payload: Any) -> bytes:
    body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    return _head(200, {"Content-Type": "application/json"}, len(body)) + body


class Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        with contextlib.suppress(OSError):
            while self._one():
                pass

    def _one(self) -> bool:
        line = self.rfile.readline()
        if not line:
            return False
        method, path = line.decode("latin-1").split(" ")[:2]
        headers: dict[str, str] = {}
        while (header := self.rfile.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        self.rfile.read(int(headers.get("content-length", "0")))
        parts = path.split("/")
        if method == "GET" and parts[1] == "_count":
            with _lock:
                self.wfile.write(_json({"count": _counts[parts[2]]}))
            return True
        scenario, tag = parts[1], parts[2] if len(parts) > 2 else ""
        with _lock:
            _counts[tag] += 1
        if self.server.server_address[1] in OTHER:  # "another origin": answers, and counts
            self.wfile.write(_json(OK))
            return True
        return self._misbehave(scenario, tag, path)

    def _misbehave(self, scenario: str, tag: str, path: str) -> bool:
        write = self.wfile.write
        if scenario == "ok":
            write(_json(OK))
        elif scenario in FAILURES:
            write(_json(FAILURES[scenario]))
        elif scenario == "bad-gzip":
            body = b"\x1f\x8b\x08\x00garbage, not gzip at all"
            write(_head(200, {"Content-Encoding": "gzip"}, len(body)) + body)
        elif scenario == "odd-encoding":
            write(_head(200, {"Content-Encoding": "x-snappy"}, len(OK)) + OK)
        elif scenario == "gzip-ok":
            body = gzip.compress(OK)
            write(
                _head(200, {"Content-Encoding": "gzip", "Content-Type": "application/json"}, len(body)) + body
            )
        elif scenario == "gzip-bomb":
            body = _bomb_body()
            write(_head(200, {"Content-Encoding": "gzip", "Content-Type": "application/json"}, len(body)))
            write(body)
        elif scenario == "huge":  # 256 MiB of a JSON string, plain
            size = 256 * 1024 * 1024
            write(_head(200, {"Content-Type": "application/json"}, size))
            chunk = b"x" * (1024 * 1024)
            for _ in range(size // len(chunk)):
                write(chunk)
        elif scenario == "deep-json":
            depth = 100_000
            write(_json(b'{"ret":200,"msg":"ok","data":' + b"[" * depth + b"]" * depth + b"}"))
        elif scenario == "deep-error":  # as deep as Python's json reads, in an error's data
            write(_json(b'{"ret":500,"msg":"x","data":' + b"[" * 900 + b'"t"' + b"]" * 900 + b"}"))
        elif scenario == "trickle-body":
            write(_head(200, {"Content-Type": "application/json"}, 10_000))
            self._trickle(b" " * 10_000)
            return False
        elif scenario == "trickle-head":
            self._trickle(_head(200, {"Content-Type": "application/json", "X-Pad": "p" * 10_000}, len(OK)))
            return False
        elif scenario == "garbage":
            write(b"NOT HTTP AT ALL\r\n\r\n")
            return False
        elif scenario == "hangup":  # reads the request, answers nothing
            return False
        elif scenario == "huge-header":
            write(_head(200, {"X-Big": "b" * 200_000}, len(OK)) + OK)
        elif scenario == "brotli":  # an encoding the client never asked for
            write(_head(200, {"Content-Encoding": "br"}, len(OK)) + OK)
        elif scenario == "slow":
            time.sleep(1.0)
            write(_json(OK))
        elif scenario in ("redirect-away", "redirect-away-303"):
            status = 307 if scenario == "redirect-away" else 303
            target = f"http://127.0.0.1:{OTHER[0]}/ok/{tag}/elsewhere"
            write(_head(status, {"Location": target}, 0))
        elif scenario == "redirect-home":
            target = "/ok/" + "/".join(path.split("/")[2:])
            write(_head(308, {"Location": target}, 0))
        elif scenario == "redirect-loop":
            write(_head(302, {"Location": path}, 0))
        else:
            write(_head(404, {}, 0))
        return True

    def _trickle(self, data: bytes) -> None:
        ends = time.monotonic() + TRICKLE_FOR
        for byte in data:
            if time.monotonic() > ends:
                return
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(TRICKLE_EVERY)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main() -> None:
    servers = [_Server(("127.0.0.1", 0), Handler) for _ in range(2)]
    OTHER.append(servers[1].server_address[1])
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(servers[0].server_address[1], servers[1].server_address[1], flush=True)
    servers[0].serve_forever()


class HostileServer:
    """The server above in a child process; `stop()` ends it by its PID."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.hostile"],
            stdout=subprocess.PIPE,
            text=True,
            cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
        )
        assert self._process.stdout is not None
        port, other = self._process.stdout.readline().split()
        self.port, self.other_port = int(port), int(other)

    def base_url(self, scenario: str, tag: str) -> str:
        return f"http://127.0.0.1:{self.port}/{scenario}/{tag}"

    def count(self, tag: str) -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_count/{tag}", timeout=5) as reply:
            count: int = json.load(reply)["count"]
        return count

    def stop(self) -> None:
        os.kill(self._process.pid, signal.SIGTERM)
        self._process.wait(timeout=10)
        if self._process.stdout is not None:
            self._process.stdout.close()


if __name__ == "__main__":
    main()
