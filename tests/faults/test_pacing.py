"""`send_interval=`: calls that are not read-only start at least that far apart per appId, across
threads, tasks and `with_options` copies; reads and other appIds are not held back. The server's
clock (when it read each request) is the judge."""

from __future__ import annotations

import asyncio
import itertools
import threading
from typing import Any

import pytest

from gewe import AsyncGeweClient, GeweClient, GeweConfigError
from tests.conftest import TOKEN
from tests.support.loopback import FaultServer, ok

INTERVAL = 0.25
SLACK = 0.03  # the server reads a request a little after the client starts it
WRITE = ("message.postText", "/gewe/v2/api/message/postText")
READ = ("group.getChatroomInfo", "/gewe/v2/api/group/getChatroomInfo")


def gaps(server: FaultServer, app_id: str | None = None) -> list[float]:
    times = sorted(s.at for s in server.requests if app_id is None or s.json().get("appId") == app_id)
    return [b - a for a, b in itertools.pairwise(times)]


def test_sync_writes_from_threads_and_copies_are_spaced_reads_are_not(server: FaultServer) -> None:
    server.script([ok({})])
    with GeweClient(token=TOKEN, app_id="wx_a", base_url=server.base_url, send_interval=INTERVAL) as client:
        copy = client.with_options(timeout=5.0)  # shares the pacing
        calls: list[tuple[Any, tuple[str, str], str]] = [
            (client, WRITE, "wx_a"),
            (copy, WRITE, "wx_a"),
            (client, WRITE, "wx_a"),
            (client, WRITE, "wx_b"),
        ]
        threads = [
            threading.Thread(target=c.invoke, args=(*op, {"appId": app}, None)) for c, op, app in calls
        ]
        client.invoke(*READ, {"appId": "wx_a"}, None)  # a warm connection: starts compare fairly
        server.script([ok({})])
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=10)
    assert len(server.requests) == 4
    assert all(g >= INTERVAL - SLACK for g in gaps(server, "wx_a")), gaps(server, "wx_a")
    first_b = min(s.at for s in server.requests if s.json()["appId"] == "wx_b")
    first_a = min(s.at for s in server.requests if s.json()["appId"] == "wx_a")
    assert abs(first_b - first_a) < INTERVAL  # another appId is not held back

    server.script([ok({})])
    with GeweClient(token=TOKEN, app_id="wx_a", base_url=server.base_url, send_interval=INTERVAL) as client:
        client.invoke(*WRITE, {"appId": "wx_a"}, None)
        for _ in range(3):
            client.invoke(*READ, {"appId": "wx_a"}, None)
    assert sum(gaps(server)) < INTERVAL  # reads right after a write: never paced


async def test_async_writes_are_spaced_per_app_id(server: FaultServer) -> None:
    server.script([ok({})])
    async with AsyncGeweClient(
        token=TOKEN, app_id="wx_a", base_url=server.base_url, send_interval=INTERVAL
    ) as client:
        await client.invoke(*READ, {"appId": "wx_a"}, None)  # a warm connection: starts compare fairly
        server.script([ok({})])
        copy = client.with_options(max_retries=0)
        writes = [c.invoke(*WRITE, {"appId": "wx_a"}, None) for c in (client, copy, client)]
        reads = [client.invoke(*READ, {"appId": "wx_a"}, None) for _ in range(3)]
        await asyncio.gather(*writes, *reads)
    write_times = sorted(s.at for s in server.requests if s.path.endswith("postText"))
    assert len(write_times) == 3
    assert all(b - a >= INTERVAL - SLACK for a, b in itertools.pairwise(write_times))
    read_times = sorted(s.at for s in server.requests if s.path.endswith("getChatroomInfo"))
    assert read_times[-1] - min(write_times) < INTERVAL  # reads went at once


@pytest.mark.parametrize("bad", [0, -1, float("nan"), "1"])
def test_a_bad_interval_is_a_config_error(bad: Any) -> None:
    with pytest.raises(GeweConfigError) as info:
        GeweClient(token=TOKEN, send_interval=bad)
    assert info.value.setting == "send_interval"
