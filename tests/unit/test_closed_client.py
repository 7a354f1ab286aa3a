"""The error of a call on a closed client says what happened to that call, truly in each case:
closed before its first attempt (nothing sent: `.attempts` 0), or between retries (the attempts
made, and the retry that is not sent)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from gewe import AsyncGeweClient, GeweClient, GeweConfigError, RetryPolicy
from tests.conftest import TOKEN
from tests.support.loopback import closed_port

READ = ("group.getChatroomInfo", "/gewe/v2/api/group/getChatroomInfo")  # read-only: retried when refused


def test_a_call_on_a_closed_sync_client_was_never_sent() -> None:
    client = GeweClient(token=TOKEN, app_id="wx", base_url=f"http://127.0.0.1:{closed_port()}")
    client.close()
    with pytest.raises(GeweConfigError) as info:
        client.invoke(*READ, {}, None)
    text = str(info.value)
    assert info.value.attempts == 0
    assert "closed before this call was sent" in text and "create a new client" in text
    assert "after no attempt" in text and "1 attempt" not in text and TOKEN not in text


async def test_a_call_on_a_closed_async_client_was_never_sent() -> None:
    client = AsyncGeweClient(token=TOKEN, app_id="wx", base_url=f"http://127.0.0.1:{closed_port()}")
    await client.close()
    with pytest.raises(GeweConfigError, match="closed before this call was sent") as info:
        await client.invoke(*READ, {}, None)
    assert info.value.attempts == 0 and "1 attempt" not in str(info.value)


def test_a_sync_call_closed_between_retries_counts_what_it_sent() -> None:
    patient = RetryPolicy(max_retries=3, base_delay=1.0, max_delay=1.0)
    url = f"http://127.0.0.1:{closed_port()}"
    client = GeweClient(token=TOKEN, app_id="wx", base_url=url, retry_policy=patient)
    closer = threading.Timer(0.2, client.close)  # while the call sleeps before its first retry
    closer.start()
    try:
        with pytest.raises(GeweConfigError) as info:
            client.invoke(*READ, {}, None)
    finally:
        closer.join(10)
    text = str(info.value)
    assert info.value.attempts == 1
    assert "closed before retry 1 of this call" in text and "not sent" in text
    assert "after 1 attempt " in text


async def test_an_async_call_closed_between_retries_counts_what_it_sent() -> None:
    patient = RetryPolicy(max_retries=3, base_delay=30.0, max_delay=30.0)
    url = f"http://127.0.0.1:{closed_port()}"
    client = AsyncGeweClient(token=TOKEN, app_id="wx", base_url=url, retry_policy=patient)
    pending = asyncio.ensure_future(client.invoke(*READ, {}, None))
    await asyncio.sleep(0.3)  # refused once; now sleeping 15-30 s before the retry
    await client.close()
    with pytest.raises(GeweConfigError, match="closed before retry 1 of this call") as info:
        await pending
    assert info.value.attempts == 1 and "after 1 attempt " in str(info.value)
