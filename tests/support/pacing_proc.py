"""`python -m tests.support.pacing_proc REDIS_URL BASE_URL APP_ID COUNT START (sync|async)`.

One of several processes sending for the same account through `RedisPacing`: COUNT sends of
`message.postText` (every other one to a group), all at once (async tasks, or 4 threads), each
waiting its account's turn. The profile is the tests' scaled-down one (PROFILE).
"""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor

from gewe import AsyncGeweClient, GeweClient
from gewe.pacing import Profile, RedisPacing

PROFILE = Profile(person=0.05, group=(0.1, 0.15), per_minute=None)
TOKEN = "tok-pacing-5f3a9c"
OP = ("message.postText", "/gewe/v2/api/message/postText")


def body(app_id: str, n: int) -> dict[str, object]:
    to = "20001@chatroom" if n % 2 else f"wxid_p{n}"
    return {"appId": app_id, "toWxid": to, "content": f"m{n}"}


def main() -> None:
    url, base, app_id, count, start, mode = sys.argv[1:7]
    pacing = RedisPacing(url, send=PROFILE)
    numbers = range(int(start), int(start) + int(count))
    print("ready", flush=True)
    sys.stdin.readline()  # the test starts every process at once
    if mode == "async":

        async def run() -> None:
            async with AsyncGeweClient(token=TOKEN, base_url=base, pacing=pacing, timeout=60) as client:
                await asyncio.gather(*(client.invoke(*OP, body(app_id, n), None) for n in numbers))
            await pacing.aclose()

        asyncio.run(run())
    else:
        with (
            GeweClient(token=TOKEN, base_url=base, pacing=pacing, timeout=60) as client,
            ThreadPoolExecutor(4) as pool,
        ):
            list(pool.map(lambda n: client.invoke(*OP, body(app_id, n), None), numbers))
    pacing.close()


if __name__ == "__main__":
    main()
