"""One contender of the per-call benchmarks, in a process of its own, driven over stdin/stdout.

    python bench/worker.py MODE --url http://127.0.0.1:PORT [--warmup N]

MODE is one of SYNC_MODES or ASYNC_MODES. The worker builds its client, makes `--warmup` calls,
checks the reply, and prints `ready <len(qrBase64)>`. Then, for each line `run N` it reads, it makes
N calls (sync: one after another; async: N at once, gathered, after an untimed `--prime` burst) and
prints `ok <wall_ns> <cpu_ns>`; `quit` (or EOF) closes the client and exits. The driver
(bench/run.py) sends `run` to one worker at a time, so contenders never overlap and rounds can be
interleaved.

Only the stdlib is imported at module level: the `gewechat` mode runs under the separate bench
venv (.bench/venv), which has gewechat-client and requests but not httpx or the SDK.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

TOKEN = "bench-token-0123456789abcdef"
APP_ID = "wx_bench_app"
CHATROOM_ID = "34757816141@chatroom"
PATH = "/gewe/v2/api/group/getChatroomQrCode"
BODY = {"appId": APP_ID, "chatroomId": CHATROOM_ID}

SYNC_MODES = ("raw", "sdk", "sdk-strict", "generated", "gewechat")
ASYNC_MODES = ("async-raw", "async-sdk")

SyncCall = Callable[[], Any]
AsyncCall = Callable[[], Awaitable[Any]]


def _user_agent() -> str:
    from gewe import __version__

    return f"gewe-sdk/{__version__}"


def ASYNC_TIMEOUT() -> Any:
    """Both async clients: 30 s, as GeweClient's default, but up to 300 s to get a pooled connection.

    1,000 calls queue for httpx's 100 connections; httpcore's pool scheduling is quadratic in the
    queue, so on a slow or loaded machine the last calls can wait longer than a 30 s pool timeout.
    """
    import httpx

    return httpx.Timeout(30.0, pool=300.0)


def _headers() -> dict[str, str]:
    return {"X-GEWE-TOKEN": TOKEN, "User-Agent": _user_agent()}


def sync_contender(mode: str, url: str) -> tuple[SyncCall, Callable[[Any], str], Callable[[], None]]:
    """(call, qr_of(result), close) for a sync contender. Every one sends the same JSON body."""
    if mode == "raw":
        import httpx

        # The floor: the headers and timeout GeweClient sets, one keep-alive POST, then .json().
        http = httpx.Client(base_url=url, headers=_headers(), timeout=httpx.Timeout(30.0))

        def raw() -> Any:
            return http.post(PATH, json={"appId": APP_ID, "chatroomId": CHATROOM_ID}).json()

        return raw, lambda r: r["data"]["qrBase64"], http.close
    if mode in ("sdk", "sdk-strict"):
        from gewe import GeweClient

        client = GeweClient(token=TOKEN, app_id=APP_ID, base_url=url, strict=mode == "sdk-strict")
        group = client.group

        def sdk() -> Any:
            return group.get_chatroom_qr_code(chatroom_id=CHATROOM_ID)

        return sdk, lambda r: r.qr_base64, client.close
    if mode == "generated":
        import httpx

        from gewe_api import AuthenticatedClient
        from gewe_api.api.group import group_get_chatroom_qr_code as endpoint
        from gewe_api.models import GroupGetChatroomQrCodeRequest

        # Configured as GeweClient configures its `generated` client.
        gen = AuthenticatedClient(
            base_url=url,
            token=TOKEN,
            prefix="",
            auth_header_name="X-GEWE-TOKEN",
            timeout=httpx.Timeout(30.0),
            headers={"User-Agent": _user_agent()},
        )

        def generated() -> Any:
            body = GroupGetChatroomQrCodeRequest(app_id=APP_ID, chatroom_id=CHATROOM_ID)
            return endpoint.sync(client=gen, body=body)

        return generated, lambda r: r.data.qr_base64, lambda: gen.get_httpx_client().close()
    if mode == "gewechat":
        from gewechat_client import GewechatClient  # type: ignore[import-not-found]

        # Its routes are relative to ".../v2/api" (e.g. "/group/getChatroomQrCode").
        wc = GewechatClient(url + "/gewe/v2/api", TOKEN)

        def gewechat() -> Any:
            return wc.get_chatroom_qr_code(APP_ID, CHATROOM_ID)

        return gewechat, lambda r: r["data"]["qrBase64"], lambda: None
    raise SystemExit(f"unknown sync mode {mode!r}")


def async_contender(
    mode: str, url: str
) -> tuple[AsyncCall, Callable[[Any], str], Callable[[], Awaitable[None]]]:
    """(call, qr_of(result), aclose) for an async contender; both use httpx's default pool limits."""
    if mode == "async-raw":
        import httpx

        http = httpx.AsyncClient(base_url=url, headers=_headers(), timeout=ASYNC_TIMEOUT())

        async def raw() -> Any:
            return (await http.post(PATH, json={"appId": APP_ID, "chatroomId": CHATROOM_ID})).json()

        return raw, lambda r: r["data"]["qrBase64"], http.aclose
    if mode == "async-sdk":
        from gewe import AsyncGeweClient

        client = AsyncGeweClient(token=TOKEN, app_id=APP_ID, base_url=url, timeout=ASYNC_TIMEOUT())
        group = client.group

        async def sdk() -> Any:
            return await group.get_chatroom_qr_code(chatroom_id=CHATROOM_ID)

        return sdk, lambda r: r.qr_base64, client.close
    raise SystemExit(f"unknown async mode {mode!r}")


def _reply(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _commands() -> Any:
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            return
        if words[0] != "run" or len(words) != 2:
            raise SystemExit(f"bad command {line!r}")
        yield int(words[1])


def run_sync(mode: str, url: str, warmup: int) -> None:
    call, qr_of, close = sync_contender(mode, url)
    qr = ""
    for _ in range(max(1, warmup)):
        qr = qr_of(call())
    _reply(f"ready {len(qr)}")
    try:
        for n in _commands():
            wall, cpu = time.perf_counter_ns(), time.process_time_ns()
            for _ in range(n):
                call()
            _reply(f"ok {time.perf_counter_ns() - wall} {time.process_time_ns() - cpu}")
    finally:
        close()


def run_async(mode: str, url: str, warmup: int, prime: int) -> None:
    with asyncio.Runner() as runner:
        call, qr_of, aclose = runner.run(_build_async(mode, url))

        async def burst(n: int) -> list[Any]:
            return await asyncio.gather(*(call() for _ in range(n)))

        results = runner.run(burst(max(1, warmup)))
        _reply(f"ready {len(qr_of(results[0]))}")
        try:
            for n in _commands():
                # httpx drops idle connections after 5 s (keepalive_expiry), so a worker that waited
                # through the other contender's burst would start from an empty pool, where httpcore
                # schedules 1,000 queued requests ~10x slower. An untimed burst first gives every
                # timed burst the same warm start (httpx keeps 20 idle connections).
                runner.run(burst(prime))
                wall, cpu = time.perf_counter_ns(), time.process_time_ns()
                done = runner.run(burst(n))
                elapsed = time.perf_counter_ns() - wall
                assert len(done) == n
                _reply(f"ok {elapsed} {time.process_time_ns() - cpu}")
        finally:
            runner.run(aclose())


async def _build_async(
    mode: str, url: str
) -> tuple[AsyncCall, Callable[[Any], str], Callable[[], Awaitable[None]]]:
    return async_contender(mode, url)  # inside the loop, as an application would build it


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=SYNC_MODES + ASYNC_MODES)
    parser.add_argument("--url", required=True)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument(
        "--prime", type=int, default=100, help="async: untimed concurrent calls before each run"
    )
    args = parser.parse_args()
    if args.mode in SYNC_MODES:
        run_sync(args.mode, args.url, args.warmup)
    else:
        run_async(args.mode, args.url, args.warmup, args.prime)
    return 0


if __name__ == "__main__":
    sys.exit(main())
