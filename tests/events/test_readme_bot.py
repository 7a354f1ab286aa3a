"""The bot in README.md and the wheel's README runs as written, against gewe.testing.FakeGewe.

The fake answers setCallback the way GeWe does (it posts the test message to the URL first), then
pushes a private text, a group text mentioning the bot, a group text that does not, the bot's own
message and a duplicate; the bot must reply to exactly the first two, once each, through its
SQLite queue, and stop on SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import pytest

from gewe.testing import FakeGewe, pushes
from tests.support.readme import first_python_block
from tools.servers import ROOT, free_port

TOKEN = "tok-SECRET-5f3a9c"


def bot_code(readme: Path) -> str:
    return first_python_block(readme, "## Receiving messages")


@pytest.mark.parametrize(
    "readme", [ROOT / "README.md", ROOT / "overrides" / "README.md"], ids=["repo", "wheel"]
)
async def test_the_readme_bot_replies_once_to_what_it_should(
    readme: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code = bot_code(readme)
    assert bot_code(ROOT / "README.md") == code  # both READMEs show the same bot
    stream = [
        pushes.text("hello", sender="wxid_carol"),
        pushes.group_text("hi", mentions=[pushes.BOT]),
        pushes.group_text("chatter"),
        pushes.text("my own", self_sent=True),
    ]
    stream.append(stream[0])  # GeWe's duplicate
    async with FakeGewe(token=TOKEN, app_id=pushes.APP_ID) as gewe:
        gewe.reply("message.postText", data={"msgId": 1, "newMsgId": 2})
        monkeypatch.setenv("GEWE_TOKEN", TOKEN)
        monkeypatch.setenv("GEWE_APP_ID", gewe.app_id)
        monkeypatch.setenv("GEWE_BASE_URL", gewe.base_url)
        port = free_port()
        code = code.replace('"https://bot.example.com", port=8080', f'"http://127.0.0.1:{port}", port={port}')
        code = code.replace("asyncio.run(main())", "")
        monkeypatch.chdir(tmp_path)  # its SqliteQueue("bot.db")
        namespace: dict[str, Any] = {}
        exec(compile(code, str(readme), "exec"), namespace)
        bot = asyncio.create_task(namespace["main"]())
        try:
            for _ in range(500):
                if gewe.callback_url:
                    break
                await asyncio.sleep(0.01)
            assert gewe.callback_url is not None and gewe.callback_url.startswith(f"http://127.0.0.1:{port}/")
            for push in stream:
                assert await gewe.push(push) == 200
            for _ in range(500):
                if len(gewe.calls("message.postText")) >= 2:
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.2)
            # SIGTERM (docker stop): the bot's own handler stops it cleanly (never this test process)
            assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN, None)
            signal.raise_signal(signal.SIGTERM)
            await asyncio.wait_for(bot, 15)
        finally:
            bot.cancel()
            await asyncio.gather(bot, return_exceptions=True)
        replies = gewe.calls("message.postText")
    assert sorted((r["toWxid"], r["content"]) for r in replies) == sorted(
        [("wxid_carol", "you said: hello"), (pushes.ROOM, "you said: hi")]  # the mention left out
    )
    assert all(r["appId"] == pushes.APP_ID and r.problems == () for r in replies)
    assert [d.status for d in gewe.deliveries] == [200] * 5
    assert (tmp_path / "bot.db").is_file()  # the pushes went through the durable queue
