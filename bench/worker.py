"""One contender of the per-call benchmarks, in a process of its own, driven over stdin/stdout.

    python bench/worker.py MODE --url http://127.0.0.1:PORT [--warmup N]

MODE is one of SYNC_MODES or ASYNC_MODES. The worker builds its client, makes `--warmup` calls,
checks the reply, and prints `ready <len(qrBase64)>`. Then it answers, one line each, until `quit`
(or EOF) closes the client and exits:

- `run N`: sync, N calls one after another; async, N calls at once (gathered) on the warm client,
  after an untimed `--prime` burst (so an idle-expired pool starts warm again);
- `cold N` (async): a fresh client (built untimed), N calls at once, then the client is closed;
- `conc C N` (async): N calls on the warm client by C tasks, each making its share one after another.

Each answer is `ok <wall_ns> <cpu_ns> <failed>`, `failed` counting calls that raised. The driver
(bench/run.py) talks to one worker at a time, so contenders never overlap and rounds interleave.

Only the stdlib is imported at module level: the `gewechat` and `async-opengewe` modes run under
their own bench venvs (.bench/venv, .bench/opengewe), which have neither httpx nor the SDK.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

TOKEN = "bench-token-0123456789abcdef"
APP_ID = "wx_bench_app"
CHATROOM_ID = "34757816141@chatroom"
PATH = "/gewe/v2/api/group/getChatroomQrCode"
BODY = {"appId": APP_ID, "chatroomId": CHATROOM_ID}

SYNC_MODES = ("raw", "raw-again", "urllib3", "sdk", "sdk-strict", "sdk-debug", "generated", "gewechat")
# A client made, used for one call and closed (`short-*`), or only made and closed (`new-*`).
SHORT_MODES = ("short-urllib3", "short-httpx", "short-sdk", "new-urllib3", "new-httpx", "new-sdk")
ASYNC_MODES = (
    "async-aiohttp",
    "async-aiohttp-again",
    "async-raw",
    "async-sdk",
    "async-sdk-httpcore",
    "async-opengewe",
)

SyncCall = Callable[[], Any]
AsyncCall = Callable[[], Awaitable[Any]]


def _user_agent() -> str:
    from gewe import __version__

    return f"gewe-sdk/{__version__}"


def ASYNC_TIMEOUT() -> Any:
    """Raw httpx's timeouts: 30 s, as GeweClient's default, but up to 300 s to get a pooled connection.

    1,000 calls queue for httpx's 100 connections; httpcore's pool scheduling is quadratic in the
    queue, so a cold burst's last calls can wait longer than a 30 s pool timeout (with httpx's own
    5 s default, the first burst fails with PoolTimeout). The SDK contenders keep their defaults.
    """
    import httpx

    return httpx.Timeout(30.0, pool=300.0)


def _headers() -> dict[str, str]:
    return {"X-GEWE-TOKEN": TOKEN, "User-Agent": _user_agent()}


def sync_contender(mode: str, url: str) -> tuple[SyncCall, Callable[[Any], str], Callable[[], None]]:
    """(call, qr_of(result), close) for a sync contender. Every one sends the same JSON body."""
    if mode in SHORT_MODES:
        return short_contender(mode, url)
    if mode == "urllib3":
        import urllib3

        # The other floor: urllib3's PoolManager (one keep-alive connection), the same headers.
        pool = urllib3.PoolManager(headers=_headers(), timeout=urllib3.Timeout(30.0))
        target = url + PATH

        def floor() -> Any:
            return pool.request("POST", target, json={"appId": APP_ID, "chatroomId": CHATROOM_ID}).json()

        return floor, lambda r: r["data"]["qrBase64"], pool.clear
    if mode in ("raw", "raw-again"):  # raw-again: the same floor twice, to show the bench's own noise
        import httpx

        # The floor: the headers and timeout GeweClient sets, one keep-alive POST, then .json().
        http = httpx.Client(base_url=url, headers=_headers(), timeout=httpx.Timeout(30.0))

        def raw() -> Any:
            return http.post(PATH, json={"appId": APP_ID, "chatroomId": CHATROOM_ID}).json()

        return raw, lambda r: r["data"]["qrBase64"], http.close
    if mode in ("sdk", "sdk-strict", "sdk-debug"):
        from gewe import GeweClient

        if mode == "sdk-debug":  # DEBUG on the `gewe` logger, written to /dev/null: what logging costs
            import logging

            handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115 (lives with the worker)
            logging.getLogger("gewe").addHandler(handler)
            logging.getLogger("gewe").setLevel(logging.DEBUG)
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


def short_contender(mode: str, url: str) -> tuple[SyncCall, Callable[[Any], str], Callable[[], None]]:
    """A short-lived client: made, used for one call (`short-*`, or none: `new-*`) and closed."""
    kind, _, lib = mode.partition("-")
    one_call = kind == "short"
    target = url + PATH
    if lib == "urllib3":
        import urllib3

        def call() -> Any:
            pool = urllib3.PoolManager(headers=_headers(), timeout=urllib3.Timeout(30.0))
            try:
                return pool.request("POST", target, json=BODY).json() if one_call else None
            finally:
                pool.clear()

        return call, lambda r: r["data"]["qrBase64"] if one_call else "", lambda: None
    if lib == "httpx":
        import httpx

        def call() -> Any:
            with httpx.Client(base_url=url, headers=_headers(), timeout=httpx.Timeout(30.0)) as http:
                return http.post(PATH, json=BODY).json() if one_call else None

        return call, lambda r: r["data"]["qrBase64"] if one_call else "", lambda: None
    if lib == "sdk":
        from gewe import GeweClient

        def call() -> Any:
            with GeweClient(token=TOKEN, app_id=APP_ID, base_url=url) as client:
                return client.group.get_chatroom_qr_code(chatroom_id=CHATROOM_ID) if one_call else None

        return call, lambda r: r.qr_base64 if one_call else "", lambda: None
    raise SystemExit(f"unknown short-lived mode {mode!r}")


def async_contender(
    mode: str, url: str
) -> tuple[AsyncCall, Callable[[Any], str], Callable[[], Awaitable[None]]]:
    """(call, qr_of(result), aclose) for an async contender, built inside the running loop."""
    if mode in ("async-aiohttp", "async-aiohttp-again"):  # -again: the floor twice (the bench's noise)
        import aiohttp  # type: ignore[import-not-found,unused-ignore]

        # The floor: one ClientSession with aiohttp's defaults (100 connections), the same headers.
        session = aiohttp.ClientSession(headers=_headers())
        target = url + PATH

        async def floor() -> Any:
            async with session.post(target, json={"appId": APP_ID, "chatroomId": CHATROOM_ID}) as resp:
                return await resp.json()

        return floor, lambda r: r["data"]["qrBase64"], session.close
    if mode == "async-raw":
        import httpx

        http = httpx.AsyncClient(base_url=url, headers=_headers(), timeout=ASYNC_TIMEOUT())

        async def raw() -> Any:
            return (await http.post(PATH, json={"appId": APP_ID, "chatroomId": CHATROOM_ID})).json()

        return raw, lambda r: r["data"]["qrBase64"], http.aclose
    if mode in ("async-sdk", "async-sdk-httpcore"):
        import httpx

        from gewe import AsyncGeweClient

        # Default settings; the -httpcore variant passes httpx's own transport (httpcore's pool).
        transport = httpx.AsyncHTTPTransport() if mode == "async-sdk-httpcore" else None
        client = AsyncGeweClient(token=TOKEN, app_id=APP_ID, base_url=url, transport=transport)
        group = client.group

        async def sdk() -> Any:
            return await group.get_chatroom_qr_code(chatroom_id=CHATROOM_ID)

        return sdk, lambda r: r.qr_base64, client.close
    if mode == "async-opengewe":
        import logging

        from loguru import logger  # type: ignore[import-not-found]
        from opengewe import GeweClient  # type: ignore[import-not-found]

        logger.remove()  # its default sink prints a line at start-up; failures still count below
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        og = GeweClient(base_url=url + "/gewe/v2/api", app_id=APP_ID, token=TOKEN, is_gewe=True)

        async def opengewe() -> Any:
            reply = await og.group.get_chatroom_qr_code(CHATROOM_ID)
            if reply.get("ret") != 200:  # it returns its errors as {"ret": 500, ...} instead of raising
                raise RuntimeError(f"opengewe: {reply.get('msg')}")
            return reply

        async def close() -> None:
            session = og._session  # close() also stops its global scheduler; the session is all we opened
            if session is not None:
                await session.close()

        return opengewe, lambda r: r["data"]["qrBase64"], close
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
            _reply(f"ok {time.perf_counter_ns() - wall} {time.process_time_ns() - cpu} 0")
    finally:
        close()


def _commands_async() -> Any:
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            return
        if (words[0] in ("run", "cold") and len(words) == 2) or (words[0] == "conc" and len(words) == 3):
            yield words[0], [int(w) for w in words[1:]]
        else:
            raise SystemExit(f"bad command {line!r}")


async def _gather(calls: list[Awaitable[Any]]) -> tuple[list[Any], int]:
    results = await asyncio.gather(*calls, return_exceptions=True)
    return results, sum(isinstance(r, BaseException) for r in results)


def run_async(mode: str, url: str, warmup: int, prime: int) -> None:
    with asyncio.Runner() as runner:
        call, qr_of, aclose = runner.run(_build_async(mode, url))

        async def burst(fn: AsyncCall, n: int) -> int:
            return (await _gather([fn() for _ in range(n)]))[1]

        async def share(fn: AsyncCall, n: int) -> int:
            failed = 0
            for _ in range(n):
                try:
                    await fn()
                except Exception:
                    failed += 1
            return failed

        async def concurrent(fn: AsyncCall, tasks: int, n: int) -> int:
            per, extra = divmod(n, tasks)
            return sum((await _gather([share(fn, per + (i < extra)) for i in range(tasks)]))[0])

        async def warm_up() -> Any:
            return (await asyncio.gather(*(call() for _ in range(max(1, warmup)))))[0]

        _reply(f"ready {len(qr_of(runner.run(warm_up())))}")
        try:
            for command, args in _commands_async():
                if command == "cold":
                    fresh, _, fresh_close = runner.run(_build_async(mode, url))
                    wall, cpu = time.perf_counter_ns(), time.process_time_ns()
                    failed = runner.run(burst(fresh, args[0]))
                    wall, cpu = time.perf_counter_ns() - wall, time.process_time_ns() - cpu
                    runner.run(fresh_close())
                else:
                    # A client idle for over 5 s (while other contenders ran) has an empty pool: an
                    # untimed burst first gives every warm measurement the same warm start.
                    runner.run(burst(call, prime))
                    wall, cpu = time.perf_counter_ns(), time.process_time_ns()
                    if command == "run":
                        failed = runner.run(burst(call, args[0]))
                    else:
                        failed = runner.run(concurrent(call, args[0], args[1]))
                    wall, cpu = time.perf_counter_ns() - wall, time.process_time_ns() - cpu
                _reply(f"ok {wall} {cpu} {failed}")
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
    parser.add_argument("mode", choices=SYNC_MODES + SHORT_MODES + ASYNC_MODES)
    parser.add_argument("--url", required=True)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument(
        "--prime", type=int, default=100, help="async: untimed concurrent calls before each run"
    )
    args = parser.parse_args()
    if args.mode in SYNC_MODES + SHORT_MODES:
        run_sync(args.mode, args.url, args.warmup)
    else:
        run_async(args.mode, args.url, args.warmup, args.prime)
    return 0


if __name__ == "__main__":
    sys.exit(main())
