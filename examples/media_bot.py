"""A media bot: send a local image and a voice note, and save every image, voice, video or file
that arrives.

    pip install 'gewe-sdk[media]'                 # voice -> SILK, video length and thumbnail
    export GEWE_TOKEN=... GEWE_APP_ID=wx_...       # GEWE_BASE_URL too, for a mock or a private cloud
    python examples/media_bot.py https://bot.example.com wxid_friend   # serve, send, save until Ctrl-C
    python examples/media_bot.py                   # try it here, against `gewe fake` (or `make mock`)

GeWe fetches every image, file, voice and video by URL, so the bot's own server (the receiver,
behind your reverse proxy at the public URL) also serves the local media, under a secret prefix
and with signed URLs that expire; each is removed once GeWe has fetched it. Without a public URL
the script listens on 127.0.0.1, checks each URL it hands over by fetching it as GeWe would, then
pushes itself an image, a voice, a video and a file message and downloads each. Against the fake
GeWe (`gewe fake`, which serves a JPEG, SILK, an MP4 and a file for its downloads) all four are
saved, the voice as WAV; Prism answers its page's example `fileUrl`, which cannot be fetched, and
the script says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import struct
import sys
import wave
from pathlib import Path
from typing import Any

import aiohttp

from gewe import AsyncGeweClient, GeweError, GeweMediaError
from gewe.events import Event, Receiver, secret_path, set_callback
from gewe.media import Hosted, ReceiverMediaHost, set_media_host
from gewe.testing import pushes

client = AsyncGeweClient()  # token and app id from GEWE_TOKEN and GEWE_APP_ID
saved: list[Path] = []
download_failures: list[str] = []

# A 1x1 PNG and a 1.5 s tone: the "local files" the bot sends.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
    "3a7e9b550000000a49444154789c63600000000200015cd9e96e0000000049454e44ae426082"
)


def make_local_files() -> tuple[Path, Path]:
    image = Path("hello.png")
    image.write_bytes(PNG)
    voice = Path("hello.wav")
    rate = 16_000
    with wave.open(str(voice), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(6000 * math.sin(i / 5))) for i in range(rate * 3 // 2)))
    return image, voice


async def handle(event: Event) -> None:
    """Save what arrives (not what the bot itself sent): voice as WAV, the rest as it comes."""
    if event.kind not in ("image", "voice", "video", "file") or event.is_self:
        return
    # a name without an extension gets the one the bytes call for: .jpg/.png, .wav (wav=True), .mp4
    name = getattr(event, "file_name", None) or f"received-{event.new_msg_id}"
    try:
        path = await client.message.download(event, to=Path(name).name, wav=True)
    except GeweError as err:
        download_failures.append(f"{event.kind}: {err}")
        print(f"could not download the {event.kind}: {err}", file=sys.stderr)
        return
    assert isinstance(path, Path)
    saved.append(path)
    who = event.sender_wxid or event.chat_id
    print(f"saved the {event.kind} from {who}: {path} ({path.stat().st_size} bytes)")


async def send(to: str) -> None:
    image, voice = make_local_files()
    sent = await client.message.send_image(to, image)
    print(f"image sent: newMsgId {sent.new_msg_id}")
    sent_voice = await client.message.send_voice(to, voice)  # -> SILK, its real length in ms
    print(f"voice sent: newMsgId {sent_voice.new_msg_id}")


async def serve(public_url: str, to: str) -> None:
    host = ReceiverMediaHost(public_url)
    receiver = Receiver(handle, path=secret_path(), media=host)
    async with client:
        set_media_host(client, host)
        await set_callback(client, receiver, public_url, port=8080)  # listening first, then the URL
        await send(to)
        print("saving what arrives (Ctrl-C stops)")
        try:
            await asyncio.Event().wait()
        finally:
            await receiver.stop()


class CheckedHost:
    """For the local try: fetches each URL as GeWe would before handing it over."""

    def __init__(
        self, inner: ReceiverMediaHost, http: aiohttp.ClientSession, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.inner, self.http, self.loop = inner, http, loop
        self.checked: list[str] = []

    def publish(self, data: bytes, *, name: str, content_type: str) -> Hosted:
        hosted = self.inner.publish(data, name=name, content_type=content_type)
        body = asyncio.run_coroutine_threadsafe(self._get(hosted.url), self.loop).result(30)
        if body != data:
            raise GeweMediaError(f"{name}: the URL did not serve what was published")
        self.checked.append(f"{name} ({content_type}, {len(data)} bytes)")
        return hosted

    async def _get(self, url: str) -> bytes:
        async with self.http.get(url) as reply:
            return await reply.read()

    def remove(self, hosted: Hosted) -> None:
        self.inner.remove(hosted)


async def try_locally() -> int:
    host = ReceiverMediaHost("http://127.0.0.1:1", ttl=60)  # the public URL is known once listening
    receiver = Receiver(handle, path=secret_path(), media=host)
    async with client, aiohttp.ClientSession() as http:
        url = await receiver.start()  # 127.0.0.1, a free port
        host.public_url = url.split("/gewe/")[0]
        checked = CheckedHost(host, http, asyncio.get_running_loop())
        set_media_host(client, checked)
        await send("filehelper")
        print(f"served and fetched like GeWe: {', '.join(checked.checked)}; held now: {len(host)}")
        for kind, push in incoming(client.app_id or "wx_example").items():  # as GeWe would post them
            async with http.post(url, json=push) as reply:
                print(f"pushed the {kind} message, the receiver answered {reply.status}")
        await receiver.stop()  # handles what arrived: each download, then saved
    mock_address = bool(download_failures) and all("cdn.example.com" in f for f in download_failures)
    if mock_address:
        print("(Prism's download replies hold their page's example fileUrl, which cannot be fetched;")
        print(" GeWe's and `gewe fake`'s can: try `gewe fake`)")
    sends_ok = len(checked.checked) == 2 and checked.checked[1].startswith("hello.silk") and len(host) == 0
    downloaded = sorted(p.suffix for p in saved) == [".jpg", ".mp4", ".txt", ".wav"] or mock_address
    return 0 if sends_ok and downloaded else 1


def incoming(app_id: str) -> dict[str, dict[str, Any]]:
    """An image, a voice, a video and a file from wxid_friend01, shaped as GeWe pushes them."""
    common: dict[str, Any] = {"app_id": app_id, "sender": "wxid_friend01"}
    return {
        "image": pushes.image(**common),
        "voice": pushes.voice(**common),
        "video": pushes.video(**common),
        "file": pushes.file(file_name="notes.txt", ext="txt", **common),
    }


if __name__ == "__main__":
    if len(sys.argv) > 2:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(sys.argv[1], sys.argv[2]))
    else:
        sys.exit(asyncio.run(try_locally()))
