"""A callback bot: when someone in a group says "qr", fetch that group's join QR code and save it.

    export GEWE_TOKEN=... GEWE_APP_ID=wx_...   # GEWE_BASE_URL too, for a mock or a private cloud
    python examples/callback_bot.py https://bot.example.com   # listen, set the callback, run until Ctrl-C
    python examples/callback_bot.py                           # try it here: push it what GeWe would

With a public URL, the receiver listens on 127.0.0.1:8080 behind your reverse proxy (see "Receiving
messages" in the README), sets `<url>/gewe/<secret>` as the account's callback and waits for GeWe's
test message. Without one, it listens on a free local port and posts itself a group message twice,
as GeWe does when it re-delivers: the bot must fetch the QR code once.
A real bot would send the image back with `client.message.send_image(event.chat_id, qr.image.data)`
(see media_bot.py for the media host that needs); this one saves it in the current folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys

import aiohttp

from gewe import AsyncGeweClient, GeweError
from gewe.events import Event, Receiver, secret_path, set_callback
from gewe.testing import pushes

client = AsyncGeweClient()  # token and app id from GEWE_TOKEN and GEWE_APP_ID
fetched: list[str] = []


async def handle(event: Event) -> None:
    """Called once per message, after the receiver has answered GeWe."""
    if event.kind == "text" and event.room_id and not event.is_self and (event.text or "").strip() == "qr":
        try:
            qr = await client.group.get_chatroom_qr_code(chatroom_id=event.room_id)
        except GeweError as err:  # logged by the receiver too if re-raised; here we say it and go on
            print(f"{event.room_id}: no QR code: {err}", file=sys.stderr)
            return
        saved = qr.image.save(f"qr-{event.room_id.split('@')[0]}")
        fetched.append(event.room_id)
        print(f"{event.sender_wxid} asked in {event.room_id}: saved {saved.name}, until {qr.expires_at}")


async def serve(public_url: str) -> None:
    receiver = Receiver(handle, path=secret_path())
    async with client:
        await set_callback(client, receiver, public_url, port=8080)  # listening first, then the URL
        print(f"listening; GeWe pushes to {public_url}/… (Ctrl-C stops)")
        try:
            await asyncio.Event().wait()
        finally:
            await receiver.stop()  # drains what was already received


async def try_locally() -> int:
    receiver = Receiver(handle, path=secret_path())
    async with client:
        url = await receiver.start()  # 127.0.0.1, a free port
        # a group text from someone else, shaped as GeWe pushes it ("wxid_ann:\nqr" in Content)
        push = json.dumps(
            pushes.group_text(
                "qr", room="34757816141@chatroom", sender="wxid_ann", app_id=client.app_id or ""
            )
        )
        async with aiohttp.ClientSession() as http:
            for _ in range(2):  # the second delivery is a duplicate: answered 200, not handled
                async with http.post(url, data=push, headers={"Content-Type": "application/json"}) as r:
                    print(f"pushed, the receiver answered {r.status}")
        left = await receiver.stop()
    print(f"handled {len(fetched)}, duplicates {receiver.duplicates}, left unhandled {left}")
    return 0 if fetched == ["34757816141@chatroom"] and receiver.duplicates == 1 else 1


if __name__ == "__main__":
    if len(sys.argv) > 1:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: the receiver was stopped and drained
            asyncio.run(serve(sys.argv[1]))
    else:
        sys.exit(asyncio.run(try_locally()))
