"""Many calls at once with AsyncGeweClient: one event, a call per group.

    export GEWE_TOKEN=... GEWE_APP_ID=wx_...
    python examples/async_burst.py [how-many]

`max_connections` bounds the calls in flight (default 100); the rest wait their turn inside the
client, so a burst of thousands never runs into a pool timeout. A failed call is one result among
the others (`return_exceptions=True`), never a lost burst.
"""

from __future__ import annotations

import asyncio
import sys
import time

from gewe import AsyncGeweClient, GeweError


async def burst(chatroom_ids: list[str]) -> int:
    async with AsyncGeweClient(max_connections=20) as client:
        started = time.perf_counter()
        results = await asyncio.gather(
            *(client.group.get_chatroom_qr_code(chatroom_id=room) for room in chatroom_ids),
            return_exceptions=True,
        )
        elapsed = time.perf_counter() - started
    failed = [r for r in results if isinstance(r, BaseException)]
    for error in failed:
        if not isinstance(error, GeweError):
            raise error  # a bug, not a failed call
        print(f"failed: {error}", file=sys.stderr)
    print(f"{len(results) - len(failed)} of {len(results)} calls succeeded in {elapsed:.2f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    sys.exit(asyncio.run(burst([f"{10_000_000 + i}@chatroom" for i in range(count)])))
