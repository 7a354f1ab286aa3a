"""Setting the callback URL in the right order: listen first, then tell GeWe, then check its test.

GeWe checks a callback URL when it is set, by POSTing a test message to it, so a URL set before
the receiver listens fails (the most frequent complaint about GeWe bots). `set_callback` starts
the receiver (if it is not running), makes sure it answers, calls `login.setCallback` and waits for
GeWe's test message to arrive with the account's token.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from ..async_client import AsyncGeweClient
from ..client import GeweClient
from ..errors import GeweConfigError, GeweEventError
from .receiver import Receiver


def callback_url(public_url: str, receiver_url: str) -> str:
    """The URL to give GeWe: `public_url` as it is, or with the receiver's secret path when it has none.

    `public_url` is where GeWe reaches the receiver (e.g. "https://bot.example.com", through a
    reverse proxy); without a path ("" or "/") the receiver's path is appended.
    """
    public = urlsplit(public_url)
    if public.scheme not in ("http", "https") or not public.netloc:
        raise GeweConfigError(
            "the public callback URL must be http(s)://host[:port][/path]", setting="callback_url"
        )
    if public.path in ("", "/"):
        public = public._replace(path=urlsplit(receiver_url).path)
    return urlunsplit(public)


async def _answers(url: str, timeout: float) -> bool:
    """Whether the receiver answers at `url` over HTTP (a GET is a 405 from it)."""
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http,
            http.get(url) as resp,
        ):
            return resp.status == 405
    except (aiohttp.ClientError, TimeoutError):
        return False


async def set_callback(
    client: GeweClient | AsyncGeweClient,
    receiver: Receiver,
    public_url: str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    timeout: float = 10.0,
) -> str:
    """Start `receiver` if needed, register it with GeWe, and confirm GeWe's test message arrived.

    Returns the callback URL set. Raises the call's `GeweError` if GeWe refuses the URL, and
    `GeweEventError` if the test message with this client's token did not arrive within `timeout`
    seconds (GeWe cannot reach `public_url`, or it does not lead to this receiver).
    """
    local = receiver.url or await receiver.start(host, port)
    if not await _answers(local, timeout):
        raise GeweEventError("the receiver does not answer on its own URL; is something else on the port?")
    url = callback_url(public_url, local)
    token = client._settings.token  # the body carries it too (the page's `token`)
    receiver.pinged.clear()
    if isinstance(client, AsyncGeweClient):
        await client.login.set_callback(token=token, callback_url=url)
    else:  # in a thread: GeWe posts its test message before it answers, and the loop must take it
        await asyncio.to_thread(client.login.set_callback, token=token, callback_url=url)
    try:
        await asyncio.wait_for(receiver.pinged.wait(), timeout)
    except TimeoutError:
        raise GeweEventError(
            f"GeWe accepted the callback URL but its test message did not arrive within {timeout:g} s: "
            "check that the public URL reaches this receiver"
        ) from None
    ping = receiver.last_ping
    if ping is None or not ping.token_matches(token):
        raise GeweEventError("a test message arrived, but not with this client's token")
    return url
