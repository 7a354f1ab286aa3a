"""What the benchmark sections share: paths, the seed reply, the loopback server, workers, statistics."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import yaml

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
SPEC = ROOT / "openapi" / "gewe.yaml"
EXPORTS = ROOT / "openapi" / "exports"
OVERRIDES = ROOT / "overrides"
PY = sys.executable  # the project's .venv (make bench runs us with it)
BENCH_VENV = ROOT / ".bench" / "venv"  # gewechat-client
BENCH_PY = BENCH_VENV / "bin" / "python"
OPENGEWE_VENV = ROOT / ".bench" / "opengewe"  # opengewe (its qrcode pin conflicts with gewechat-client's)
OPENGEWE_PY = OPENGEWE_VENV / "bin" / "python"
QR_PATH = "/gewe/v2/api/group/getChatroomQrCode"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.servers import ServerError, ServerProcess, free_port, start_server, stop_pid  # noqa: E402


def seed_example() -> dict[str, Any]:
    """The group-QR reply example of openapi/gewe.yaml (the seed's reply with a 440x440 QR JPEG)."""
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    example: dict[str, Any] = spec["paths"][QR_PATH]["post"]["responses"]["200"]["content"][
        "application/json"
    ]["example"]
    return {"ret": example["ret"], "msg": example["msg"], "data": example["data"]}  # GeWe's key order


def seed_reply_bytes() -> bytes:
    return json.dumps(seed_example(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class ReplyServer:
    """bench/server.py on a free 127.0.0.1 port, in its own process; stopped by its PID."""

    def __init__(self, body_file: Path) -> None:
        self.body_file = body_file
        self.server: ServerProcess | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def __enter__(self) -> Self:
        last: ServerError | None = None
        for _ in range(3):  # a port found free may be taken before the server binds it
            port = free_port()
            try:
                self.server = start_server(
                    [PY, str(BENCH / "server.py"), "--port", str(port), "--body", str(self.body_file)],
                    port=port,
                    name="bench-server",
                    timeout=20.0,
                    ready=lambda out, port=port: f"listening on 127.0.0.1:{port}" in out,
                )
                return self
            except ServerError as exc:
                last = exc
        assert last is not None
        raise last

    def __exit__(self, *exc: object) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


class Worker:
    """A bench/worker.py process for one contender; `run(n)` -> (wall_ns, cpu_ns)."""

    def __init__(
        self,
        python: Path | str,
        mode: str,
        url: str,
        warmup: int,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        prime: int | None = None,
    ):
        self.mode = mode
        cmd = [str(python), str(BENCH / "worker.py"), mode, "--url", url, "--warmup", str(warmup)]
        self.proc = subprocess.Popen(
            cmd + ([] if prime is None else ["--prime", str(prime)]),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        words = self._read().split()
        if words[:1] != ["ready"]:
            raise RuntimeError(f"worker {mode} did not start: {' '.join(words)}")
        self.qr_chars = int(words[1])

    def _read(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(timeout=10)
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError(f"worker {self.mode} exited ({self.proc.returncode}):\n{err[-3000:]}")
        return line.strip()

    def run(self, n: int) -> tuple[int, int]:
        wall_ns, cpu_ns, failed = self.send(f"run {n}")
        if failed:
            raise RuntimeError(f"worker {self.mode}: {failed} of {n} calls failed")
        return wall_ns, cpu_ns

    def send(self, command: str) -> tuple[int, int, int]:
        """One command (`run N`, `cold N`, `conc C N`) -> (wall_ns, cpu_ns, calls that failed)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        words = self._read().split()
        if words[:1] != ["ok"] or len(words) != 4:
            raise RuntimeError(f"worker {self.mode}: {' '.join(words)}")
        return int(words[1]), int(words[2]), int(words[3])

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                stop_pid(self.proc.pid, grace=2.0)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ):
        self.close()


@dataclass
class Sample:
    """Repeated measurements of one thing (seconds, or whatever unit `values` are in)."""

    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def spread(self) -> tuple[float, float]:
        """(min, max)."""
        return min(self.values), max(self.values)

    def quartiles(self) -> tuple[float, float]:
        if len(self.values) < 2:
            return self.values[0], self.values[0]
        q = statistics.quantiles(self.values, n=4, method="inclusive")
        return q[0], q[2]


def median_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> Sample:
    """Per-round ratios (each round compared with the floor measured in the same round)."""
    return Sample([a / b for a, b in zip(numerators, denominators, strict=True)])


def run_env(pythonpath: Sequence[Path] | None = None) -> dict[str, str]:
    """The environment for a child: no GEWE_* settings, and PYTHONPATH as given (else unset)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEWE_") and k != "PYTHONPATH"}
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in pythonpath)
    return env
