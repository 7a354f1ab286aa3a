"""A small fake GeWe on 127.0.0.1 for the login, send and download tests.

Like GeWe, the media sends download the URL they are given (over real HTTP) and check the bytes:
an image must be a JPEG/PNG/GIF/WebP, a voice SILK whose decoded length matches `voiceDuration`
(ms) within 5 %, a video one PyAV can open whose length matches `videoDuration` (s), with a JPEG
thumbnail. A send that fails its check is answered `ret: 500` (as GeWe does), and `fetched` keeps
what was downloaded. Downloads answer a `fileUrl` served by the fake itself.

Login: `check_login` is a script of replies (`data` dicts, or `CAPTCHA` for GeWe's "a
verification code is needed" failure) consumed one per checkLogin; `qr_calls` counts
getLoginQrCode. (Issue 24's `gewe.testing.FakeGewe` is the spec-driven fake; this one only covers
what these tests need.)
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

CAPTCHA = object()
CAPTCHA_MSG = "本次登录需要输入安全验证码"
QR_PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg=="
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF8", b"RIFF")


def silk_duration_ms(data: bytes) -> int:
    """The length of SILK audio in ms, by decoding it (24 kHz, 16-bit mono PCM)."""
    import pysilk

    if not (data.startswith(b"#!SILK_V3") or data.startswith(b"\x02#!SILK_V3")):
        raise ValueError("not SILK (no #!SILK_V3 header)")
    pcm = io.BytesIO()
    pysilk.decode(io.BytesIO(data), pcm, 24000)
    return round(len(pcm.getvalue()) / 2 / 24000 * 1000)


def video_seconds(data: bytes) -> float:
    import av

    with av.open(io.BytesIO(data)) as container:
        if container.duration is not None:
            return float(container.duration) / 1_000_000
        stream = container.streams.video[0]
        assert stream.duration is not None and stream.time_base is not None
        return float(stream.duration * stream.time_base)


@dataclass
class FakeGewe:
    url: str = ""
    token: str = ""
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)  # time.monotonic() of each request, in order
    check_login: list[Any] = field(default_factory=list)
    qr_app_id: str = "wx_new_device_1"
    qr_calls: int = 0
    fetched: dict[str, list[tuple[str, bytes]]] = field(default_factory=dict)  # op -> [(url, bytes)]
    checks: list[str] = field(default_factory=list)  # what each media check found, or why it failed
    files: dict[str, bytes] = field(default_factory=dict)  # served at /files/<name>
    missing_image_types: set[int] = field(default_factory=set)
    fail_fetch_after: bool = False  # fetch each media URL twice (GeWe sometimes does): the 2nd must work too
    new_msg_id: int = 9_123_456_789_012_345_678  # beyond 2**53
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ops(self, op: str) -> list[dict[str, Any]]:
        return [body for name, body in self.requests if name == op]

    # -- the API ---------------------------------------------------------------------------------
    def answer(self, op: str, body: dict[str, Any]) -> tuple[int, Any, str]:
        """(ret, data, msg) for one call."""
        with self.lock:
            self.requests.append((op, body))
            self.arrived.append(time.monotonic())
        if op == "login/getLoginQrCode":
            self.qr_calls += 1
            app_id = body.get("appId") or self.qr_app_id
            return (
                200,
                {
                    "appId": app_id,
                    "qrData": "http://weixin.qq.com/x/fake-login-code",
                    "qrImgBase64": "data:image/png;base64," + QR_PNG_B64,
                    "uuid": "uuid-1",
                },
                "ok",
            )
        if op == "login/checkLogin":
            step = self.check_login.pop(0) if self.check_login else {"status": 0, "expiredTime": 0}
            if step is CAPTCHA:
                return 500, {"code": "-1", "msg": CAPTCHA_MSG}, CAPTCHA_MSG
            return 200, step, "ok"
        if op.startswith("message/post") or op.startswith("message/forward"):
            problem = self.check_media(op, body)
            if problem:
                self.checks.append(f"{op}: {problem}")
                return 500, None, f"fetch failed: {problem}"
            return (
                200,
                {
                    "toWxid": body.get("toWxid"),
                    "createTime": None,
                    "msgId": 769533801,
                    "newMsgId": self.new_msg_id,
                    "type": None,
                },
                "ok",
            )
        if op == "message/revokeMsg":
            return 200, None, "ok"
        if op.startswith("message/download"):
            kind = op.removeprefix("message/download").lower()
            if kind == "image" and body.get("type") in self.missing_image_types:
                return 500, None, "图片不存在"
            name = f"{kind}-{body.get('type', 0)}" if kind == "image" else kind
            if name not in self.files:
                return 500, None, "下载失败"
            return 200, {"fileUrl": f"{self.url}/files/{name}"}, "ok"
        if op in ("login/setCallback", "login/logout"):
            return 200, None, "ok"
        if op == "login/checkOnline":
            return 200, True, "ok"
        return 404, None, f"no such operation {op}"

    def fetch(self, op: str, url: str) -> bytes:
        reply = httpx.get(url, timeout=10)
        reply.raise_for_status()
        with self.lock:
            self.fetched.setdefault(op, []).append((url, reply.content))
        return reply.content

    def check_media(self, op: str, body: dict[str, Any]) -> str | None:
        try:
            if op == "message/postImage":
                data = self.fetch(op, body["imgUrl"])
                if not data.startswith(IMAGE_MAGIC):
                    return "not an image"
                self.checks.append(f"{op}: image {len(data)} bytes")
            elif op == "message/postFile":
                data = self.fetch(op, body["fileUrl"])
                self.checks.append(f"{op}: file {body['fileName']} {len(data)} bytes")
            elif op == "message/postVoice":
                data = self.fetch(op, body["voiceUrl"])
                real = silk_duration_ms(data)
                stated = int(body["voiceDuration"])
                if abs(real - stated) > 0.05 * real:
                    return f"voiceDuration {stated} ms, the SILK lasts {real} ms"
                self.checks.append(f"{op}: SILK {real} ms, stated {stated} ms")
            elif op == "message/postVideo":
                data = self.fetch(op, body["videoUrl"])
                thumb = self.fetch(op, body["thumbUrl"])
                if not thumb.startswith(b"\xff\xd8\xff"):
                    return "the thumbnail is not a JPEG"
                real_s = video_seconds(data)
                stated_s = int(body["videoDuration"])
                if abs(real_s - stated_s) > max(1.0, 0.05 * real_s):
                    return f"videoDuration {stated_s} s, the video lasts {real_s:.2f} s"
                self.checks.append(f"{op}: video {real_s:.2f} s, stated {stated_s} s, JPEG thumbnail")
            if self.fail_fetch_after:
                for key in ("imgUrl", "fileUrl", "voiceUrl", "videoUrl"):
                    if key in body:
                        self.fetch(op, body[key])
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        return None


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGewe

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        name = self.path.removeprefix("/files/")
        data = self.fake.files.get(name)
        if data is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.fake.token and self.headers.get("X-GEWE-TOKEN") != self.fake.token:
            ret, data, msg = 401, None, "token无效"
        else:
            ret, data, msg = self.fake.answer(self.path.removeprefix("/gewe/v2/api/"), body)
        out = json.dumps({"ret": ret, "msg": msg, "data": data}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


@contextmanager
def fake_gewe(token: str = "") -> Iterator[FakeGewe]:
    fake = FakeGewe(token=token)
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=lambda: server.serve_forever(poll_interval=0.05), name="fake-gewe", daemon=True
    )
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
