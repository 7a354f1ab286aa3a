"""`client.message.reply(...)` given something that is not a received message event is a typed
error saying what it takes, never a raw AttributeError; nothing is sent."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gewe import AsyncGeweClient, GeweClient, GeweMediaError
from gewe.events import parse_event
from gewe.testing import FakeGewe, pushes
from tests.conftest import TOKEN


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


NOT_MESSAGES = {
    "str": "wxid_a",
    "none": None,
    "int": 42,
    "dict": {"chat_id": "wxid_a", "kind": "text"},
    "offline-event": parse_event(pushes.offline()),  # an event, but not a message to answer
}


@pytest.mark.parametrize("event", NOT_MESSAGES.values(), ids=NOT_MESSAGES.keys())
def test_reply_to_what_is_not_an_event_is_a_typed_error(mode: str, event: Any) -> None:
    with FakeGewe(token=TOKEN, app_id="wx_app") as fake:
        with pytest.raises(GeweMediaError, match="reply takes a received message event") as info:
            if mode == "sync":
                with GeweClient(token=TOKEN, app_id="wx_app", base_url=fake.base_url) as client:
                    client.message.reply(event, "hi")
            else:

                async def main() -> None:
                    async with AsyncGeweClient(
                        token=TOKEN, app_id="wx_app", base_url=fake.base_url
                    ) as client:
                        await client.message.reply(event, "hi")

                asyncio.run(main())
        assert fake.calls() == []
    assert "client.message.post_text(to_wxid=..., content=...)" in str(info.value)
