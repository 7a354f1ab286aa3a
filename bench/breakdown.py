"""Where the SDK's per-call time goes, measured without a network, plus the lazy-decoding check.

* `layers`: from raw `httpx.Client.post(...).json()` up to `client.group.get_chatroom_qr_code(...)`, one
  piece added per layer (µs per call), all over the same `httpx.MockTransport` that hands back the
  seed reply at once. httpx's own work is the same in every layer, so the differences are the SDK's
  own costs, free of socket noise (isolated micro-benchmarks of each step add up to less: in context,
  caches and allocations cost more).
* `lazy_check`: a real call against the loopback server decodes no image (no `decode_image`, no
  `base64.b64decode`) until `.image` is read.
"""

from __future__ import annotations

import asyncio
import base64
import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx
from common import QR_PATH, seed_reply_bytes

import gewe
import gewe.group_qr

TOKEN = "bench-token-0123456789abcdef"
APP_ID = "wx_bench_app"
CHATROOM_ID = "34757816141@chatroom"
BASE = "http://bench.invalid"


def _mock_transport(reply: bytes) -> httpx.MockTransport:
    headers = {"Content-Type": "application/json; charset=utf-8"}

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        return httpx.Response(200, content=reply, headers=headers)

    return httpx.MockTransport(handler)


def layers(rounds: int, calls: int) -> list[tuple[str, float | None]]:
    """(layer, µs per call) from raw httpx up to the SDK method, each layer adding one piece.

    All over the same `httpx.MockTransport`, interleaved rounds, medians. The layers call the client's
    `invoke` (the entry point the generated resources use) and rebuild the generated method's body
    with the models at hand (no loader call); a layer whose internals changed shape is reported as n/a.
    """
    from gewe_api.api import group as generated_group
    from gewe_api.models import GroupGetChatroomQrCodeData, GroupGetChatroomQrCodeRequest

    reply = seed_reply_bytes()
    ua = f"gewe-sdk/{gewe.__version__}"
    raw = httpx.Client(
        base_url=BASE, headers={"X-GEWE-TOKEN": TOKEN, "User-Agent": ua}, transport=_mock_transport(reply)
    )
    client = gewe.GeweClient(token=TOKEN, app_id=APP_ID, base_url=BASE, transport=_mock_transport(reply))
    strict = gewe.GeweClient(
        token=TOKEN, app_id=APP_ID, base_url=BASE, transport=_mock_transport(reply), strict=True
    )
    group = client.group
    strict_group = strict.group
    op = "group.getChatroomQrCode"

    def parse(data: Any, report: Any) -> Any:
        return GroupGetChatroomQrCodeData.from_dict(data, report=report, path="data")

    def generated_without_imports() -> Any:
        body = GroupGetChatroomQrCodeRequest(
            app_id=client.resolve_app_id(None), chatroom_id=CHATROOM_ID
        ).to_dict()
        return client.invoke(op, QR_PATH, body, parse, idempotent=None, timeout=None)

    candidates: list[tuple[str, Callable[[], object]]] = [
        (
            "raw `httpx.Client.post(...).json()`",
            lambda: raw.post(QR_PATH, json={"appId": APP_ID, "chatroomId": CHATROOM_ID}).json(),
        ),
        (
            "`client.invoke(op, path, body, parse=None)`: + envelope checks, retry policy, `Call`",
            lambda: client.invoke(op, QR_PATH, {"appId": APP_ID, "chatroomId": CHATROOM_ID}, None),
        ),
        (
            "`client.invoke(..., parse=<GroupGetChatroomQrCodeData.from_dict>)`: + the data model, checked",
            lambda: client.invoke(op, QR_PATH, {"appId": APP_ID, "chatroomId": CHATROOM_ID}, parse),
        ),
        (
            "generated method's body, models at hand: + `resolve_app_id`, request model `.to_dict()`",
            generated_without_imports,
        ),
        (
            "generated `GroupResource.get_chatroom_qr_code`: + its cached model loaders",
            lambda: generated_group.GroupResource.get_chatroom_qr_code(group, chatroom_id=CHATROOM_ID),
        ),
        (
            "SDK `client.group.get_chatroom_qr_code`: + `GroupQrCode.from_data`, `datetime.now(UTC)`",
            lambda: group.get_chatroom_qr_code(chatroom_id=CHATROOM_ID),
        ),
        (
            "the same on `GeweClient(strict=True)`: + nothing on a reply that matches the spec",
            lambda: strict_group.get_chatroom_qr_code(chatroom_id=CHATROOM_ID),
        ),
    ]
    works: list[tuple[str, Callable[[], object]]] = []
    out: dict[str, float | None] = {}
    for name, fn in candidates:
        try:
            for _ in range(100):
                fn()
            works.append((name, fn))
        except Exception:
            out[name] = None
    samples: dict[str, list[float]] = {name: [] for name, _ in works}
    try:
        for r in range(rounds):
            order = works if r % 2 == 0 else works[::-1]
            for name, fn in order:
                start = time.perf_counter()
                for _ in range(calls):
                    fn()
                samples[name].append((time.perf_counter() - start) / calls * 1e6)
    finally:
        raw.close()
        client.close()
        strict.close()
    for name, values in samples.items():
        out[name] = statistics.median(values)
    return [(name, out[name]) for name, _ in candidates]


def reply_checks(rounds: int, calls: int) -> dict[str, float]:
    """µs to read the seed reply's `data` into its model with the spec checks (a `report`, as the
    client always passes) and without them (`report=None`: only the guards that keep parsing safe)."""
    import json

    from gewe_api.models import GroupGetChatroomQrCodeData

    data = json.loads(seed_reply_bytes())["data"]
    from_dict = GroupGetChatroomQrCodeData.from_dict

    def report(path: str, value: Any, expected: str) -> None:
        raise AssertionError(f"the seed reply does not match the spec: {path}")

    pair: list[tuple[str, Callable[[], object]]] = [
        ("checked", lambda: from_dict(data, report=report, path="data")),
        ("unchecked", lambda: from_dict(data)),
    ]
    samples: dict[str, list[float]] = {name: [] for name, _ in pair}
    for r in range(rounds):
        for name, fn in pair if r % 2 == 0 else pair[::-1]:
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            samples[name].append((time.perf_counter() - start) / calls * 1e6)
    return {name: statistics.median(values) for name, values in samples.items()}


def async_mock(rounds: int, calls: int) -> dict[str, list[float]]:
    """Seconds per burst of `calls` concurrent calls over `httpx.MockTransport`: raw vs AsyncGeweClient.

    No sockets and no connection pool, so what is left is the clients' own work per call (httpx's
    request/response handling, and for the SDK its own layers) under asyncio.
    """
    reply = seed_reply_bytes()
    ua = f"gewe-sdk/{gewe.__version__}"

    async def main() -> dict[str, list[float]]:
        raw = httpx.AsyncClient(
            base_url=BASE, headers={"X-GEWE-TOKEN": TOKEN, "User-Agent": ua}, transport=_mock_transport(reply)
        )
        client = gewe.AsyncGeweClient(
            token=TOKEN, app_id=APP_ID, base_url=BASE, transport=_mock_transport(reply)
        )
        group = client.group

        async def raw_call() -> Any:
            return (await raw.post(QR_PATH, json={"appId": APP_ID, "chatroomId": CHATROOM_ID})).json()

        async def sdk_call() -> Any:
            return await group.get_chatroom_qr_code(chatroom_id=CHATROOM_ID)

        out: dict[str, list[float]] = {"async-raw": [], "async-sdk": []}
        pair = [("async-raw", raw_call), ("async-sdk", sdk_call)]
        try:
            for _, fn in pair:
                await asyncio.gather(*(fn() for _ in range(200)))
            for r in range(rounds):
                for key, fn in pair if r % 2 == 0 else pair[::-1]:
                    start = time.perf_counter()
                    await asyncio.gather(*(fn() for _ in range(calls)))
                    out[key].append(time.perf_counter() - start)
        finally:
            await raw.aclose()
            await client.close()
        return out

    return asyncio.run(main())


def lazy_check(url: str) -> tuple[bool, str]:
    """Whether the QR call leaves the image undecoded until `.image` is read."""
    counts = {"decode_image": 0, "b64decode": 0}
    real_decode, real_b64 = gewe.group_qr.decode_image, base64.b64decode

    def counting_decode(value: Any) -> Any:
        counts["decode_image"] += 1
        return real_decode(value)

    def counting_b64(*args: Any, **kwargs: Any) -> bytes:
        counts["b64decode"] += 1
        return real_b64(*args, **kwargs)

    gewe.group_qr.decode_image = counting_decode  # type: ignore[assignment]
    base64.b64decode = counting_b64  # type: ignore[assignment]
    try:
        with gewe.GeweClient(token=TOKEN, app_id=APP_ID, base_url=url) as client:
            qr = client.group.get_chatroom_qr_code(chatroom_id=CHATROOM_ID)
        during = dict(counts)
        _ = qr.image
        after = dict(counts)
    finally:
        gewe.group_qr.decode_image = real_decode
        base64.b64decode = real_b64
    lazy = during == {"decode_image": 0, "b64decode": 0} and after["decode_image"] == 1
    return lazy, (
        f"during the call: decode_image x{during['decode_image']}, b64decode x{during['b64decode']}; "
        f"after reading `.image`: decode_image x{after['decode_image']}, b64decode x{after['b64decode']}"
    )
