"""The bot in README.md and the wheel's README runs as written, against a fake GeWe on 127.0.0.1.

The fake answers setCallback the way GeWe does (it posts the test message to the URL first), then
pushes a private text, a group text mentioning the bot, a group text that does not, the bot's own
message and a duplicate; the bot must reply to exactly the first two, once each.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.fixtures import pushes as P
from tools.servers import ROOT, free_port

TOKEN = "tok-SECRET-5f3a9c"


def bot_code(readme: Path) -> str:
    text = readme.read_text(encoding="utf-8")
    section = text[text.index("## Receiving messages") :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


@pytest.mark.parametrize(
    "readme", [ROOT / "README.md", ROOT / "overrides" / "README.md"], ids=["repo", "wheel"]
)
async def test_the_readme_bot_replies_once_to_what_it_should(
    readme: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = bot_code(readme)
    assert bot_code(ROOT / "README.md") == code  # both READMEs show the same bot
    replies: list[dict[str, Any]] = []
    callback: list[str] = []
    stream = [
        P.push(1, "hello", sender="wxid_carol"),
        P.push(1, "@bot\u2005hi", room=P.ROOM, mentions=[P.BOT]),
        P.push(1, "chatter", room=P.ROOM),
        P.push(1, "my own", self_sent=True),
    ]
    stream.append(stream[0])  # GeWe's duplicate

    async def set_cb(request: web.Request) -> web.Response:
        body = await request.json()
        callback.append(body["callbackUrl"])
        async with (
            aiohttp.ClientSession() as http,
            http.post(body["callbackUrl"], json={"testMsg": "验证", "token": body["token"]}) as resp,
        ):
            assert resp.status == 200
        return web.json_response({"ret": 200, "msg": "操作成功"})

    async def post_text(request: web.Request) -> web.Response:
        replies.append(await request.json())
        return web.json_response({"ret": 200, "msg": "操作成功", "data": {"msgId": 1, "newMsgId": 2}})

    app = web.Application()
    app.router.add_post("/gewe/v2/api/login/setCallback", set_cb)
    app.router.add_post("/gewe/v2/api/message/postText", post_text)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, gewe_port = runner.addresses[0][:2]
    monkeypatch.setenv("GEWE_TOKEN", TOKEN)
    monkeypatch.setenv("GEWE_APP_ID", P.APP)
    monkeypatch.setenv("GEWE_BASE_URL", f"http://{host}:{gewe_port}")
    port = free_port()
    code = code.replace('"https://bot.example.com", port=8080', f'"http://127.0.0.1:{port}", port={port}')
    code = code.replace("asyncio.run(main())", "")
    namespace: dict[str, Any] = {}
    exec(compile(code, str(readme), "exec"), namespace)
    bot = asyncio.create_task(namespace["main"]())
    try:
        for _ in range(500):
            if callback:
                break
            await asyncio.sleep(0.01)
        assert callback == [f"http://127.0.0.1:{port}" + callback[0].split(str(port), 1)[1]]
        async with aiohttp.ClientSession() as http:
            for push in stream:
                async with http.post(callback[0], json=push) as resp:
                    assert resp.status == 200
        for _ in range(500):
            if len(replies) >= 2:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
    finally:
        bot.cancel()  # Ctrl-C
        await asyncio.gather(bot, return_exceptions=True)
        await runner.cleanup()
    assert sorted((r["toWxid"], r["content"]) for r in replies) == sorted(
        [("wxid_carol", "you said: hello"), (P.ROOM, "you said: hi")]  # the mention left out
    )
    assert all(r["appId"] == P.APP for r in replies)
