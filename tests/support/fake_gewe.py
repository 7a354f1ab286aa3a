"""A small scripted fake GeWe on 127.0.0.1 for the login tests (tests/unit/test_login_*.py).

`check_login` is a script of replies (`data` dicts, or `CAPTCHA` for GeWe's "a verification code
is needed" failure) consumed one per checkLogin; `requests` is every call in order. The media tests
use `gewe.testing.FakeGewe`, which fetches and checks what a send points at; this one only plays a
login one reply at a time, as these tests script it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CAPTCHA = object()
CAPTCHA_MSG = "本次登录需要输入安全验证码"
QR_PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg=="


@dataclass
class FakeGewe:
    url: str = ""
    token: str = ""
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    check_login: list[Any] = field(default_factory=list)
    qr_app_id: str = "wx_new_device_1"  # the appId getLoginQrCode creates when sent none
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ops(self, op: str) -> list[dict[str, Any]]:
        return [body for name, body in self.requests if name == op]

    def answer(self, op: str, body: dict[str, Any]) -> tuple[int, Any, str]:
        """(ret, data, msg) for one call."""
        with self.lock:
            self.requests.append((op, body))
        if op == "login/getLoginQrCode":
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
        return 404, None, f"no such operation {op}"


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGewe

    def log_message(self, *args: Any) -> None:
        pass

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
