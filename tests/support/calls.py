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
# The senders a client can be built with (gewe.transport), and the modes each serves: the `route`
# fixture runs a suite once per sender of each mode. "aiohttp-session" is the async default
# through `aiohttp.ClientSession.request`, what it falls back to on an aiohttp release it was not
# tested with (`gewe.transport.async_default.DIRECT`); "httpx" is a transport the user passes.
SENDERS: dict[str, tuple[str, ...]] = {
    "httpcore": ("sync",),
    "aiohttp": ("async",),
    "aiohttp-session": ("async",),
    "httpx": ("sync", "async"),
}
DEFAULT = "default"  # outside the fixture: each client's default sender
route = DEFAULT


def user_transport(mode: str) -> httpx.BaseTransport | httpx.AsyncBaseTransport | None:
    """The transport a call gets when it names none: the user's on the "httpx" sender, else None."""
    if route != "httpx":
        return None
    return httpx.HTTPTransport() if mode == "sync" else httpx.AsyncHTTPTransport()


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
