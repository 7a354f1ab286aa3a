"""Run the same call through GeweClient or AsyncGeweClient, so each test has its async twin."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from gewe import AsyncGeweClient, GeweClient
from gewe.retry import RetryPolicy

MODES = ("sync", "async")
# Retries in tests wait milliseconds, not seconds; the policy's rules are what is under test.
FAST = RetryPolicy(max_retries=2, base_delay=0.001, max_delay=0.005)
# How calls made here without a transport of their own are sent (the `route` fixture sets it):
# "default", the clients' own fast paths (straight to httpcore / aiohttp), "transport", a
# transport passed in by the user (httpx's objects, handed to it), or "session" (async only), the
# async fast path through `aiohttp.ClientSession.request`, the fallback for an aiohttp without the
# interfaces the default one uses (`gewe._transport.DIRECT`); so a suite runs over all of them.
ROUTES = ("default", "transport", "session")
ASYNC_ONLY_ROUTES = frozenset({"session"})
route = "default"


def user_transport(mode: str) -> httpx.BaseTransport | httpx.AsyncBaseTransport | None:
    """The transport a call gets when it names none: None on the default route."""
    if route in ("default", "session"):
        return None
    if mode == "sync":
        return httpx.HTTPTransport()
    from gewe._transport import AiohttpTransport  # the default pool, but passed in: the httpx path

    return AiohttpTransport()


def client_kwargs(**overrides: Any) -> dict[str, Any]:
    from tests.conftest import APP_ID, TOKEN

    kwargs: dict[str, Any] = {"token": TOKEN, "app_id": APP_ID, "retry_policy": FAST, "timeout": 5.0}
    kwargs.update(overrides)
    return kwargs


def qr(mode: str, *, transport: httpx.MockTransport | None = None, **overrides: Any) -> Any:
    """`client.group.get_chatroom_qr_code(chatroom_id=...)` in the given mode."""
    return call(
        mode, "group", "get_chatroom_qr_code", {"chatroom_id": "34757816141@chatroom"}, transport, **overrides
    )


def call(
    mode: str,
    module: str,
    method: str,
    kwargs: dict[str, Any],
    transport: httpx.MockTransport | None = None,
    **overrides: Any,
) -> Any:
    settings = client_kwargs(**overrides)
    transport = transport or user_transport(mode)  # type: ignore[assignment]
    if mode == "sync":
        with GeweClient(**settings, transport=transport) as client:
            return getattr(getattr(client, module), method)(**kwargs)

    async def run() -> Any:
        async with AsyncGeweClient(**settings, transport=transport) as client:
            return await getattr(getattr(client, module), method)(**kwargs)

    return asyncio.run(run())


def invoke(
    mode: str,
    operation: str,
    transport: httpx.MockTransport | None = None,
    body: dict[str, Any] | None = None,
    idempotent: bool | None = None,
    **overrides: Any,
) -> Any:
    """`client.invoke(...)` for any operation name (the retry rules depend on the name)."""
    module, _, name = operation.partition(".")
    path = f"/gewe/v2/api/{module}/{name}"
    settings = client_kwargs(**overrides)
    body = body if body is not None else {"appId": settings["app_id"]}
    transport = transport or user_transport(mode)  # type: ignore[assignment]
    if mode == "sync":
        with GeweClient(**settings, transport=transport) as client:
            return client.invoke(operation, path, body, None, idempotent=idempotent)

    async def run() -> Any:
        async with AsyncGeweClient(**settings, transport=transport) as client:
            return await client.invoke(operation, path, body, None, idempotent=idempotent)

    return asyncio.run(run())
