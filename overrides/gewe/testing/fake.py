"""`FakeGewe`: a GeWe on 127.0.0.1 that answers, checks, records and pushes, for tests and demos.

    async with FakeGewe() as fake:                   # on the running event loop
        async with AsyncGeweClient(token=fake.token, app_id=fake.app_id, base_url=fake.base_url) as c:
            fake.reply("group.getChatroomQrCode", data={"qrBase64": "...", "qrTips": "..."})
            await c.group.get_chatroom_qr_code(chatroom_id="1@chatroom")
        assert fake.calls("group.getChatroomQrCode")[0]["chatroomId"] == "1@chatroom"

    with FakeGewe() as fake:                         # in a thread of its own, for sync code
        ...

It serves every operation of the spec the package was generated from (`gewe_api/_operations.json`),
at its path, checking each request (path, token header, appId, required fields, types) and
answering a GeWe-shaped error (`{"ret": 500, "msg": ...}`) when it does not match, else the
page's example reply, or what the test set with `reply()` / `fail()`. It records every call
(`calls()`), plays GeWe's side of the callback URL (the test message on `login.setCallback`,
`push()` with GeWe's 3 s deadline and re-delivery) and of the login flow, and fetches the media
URLs given in sends (`fetched`) and checks them as GeWe does (gewe.testing._media: an image, SILK
of the stated length, a video of the stated length, a JPEG thumbnail). A download
(`message.downloadImage`, `downloadVoice`, `downloadVideo`, `downloadFile`: any operation whose
example reply has `data.fileUrl`) answers a `fileUrl` the fake serves itself, of the right kind (a
JPEG, SILK, an MP4, a text file: gewe.testing._samples), so `client.message.download(event)` works
offline. `serve()` puts bytes at a URL of the fake's own, for a download reply of a test's own
(`reply(op, data={"fileUrl": fake.serve(...)})`) or a send's URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, TypeVar

import aiohttp
from aiohttp import web

from .._loop_thread import LoopThread, NotInTime
from ..errors import GeweConfigError
from ._media import media_problem
from ._samples import SAMPLES, download_kind, file_url_reply, sample
from ._spec import Operation, check, load_operations

T = TypeVar("T")

API_PREFIX = "/gewe/v2/api/"
TOKEN_HEADER = "X-GEWE-TOKEN"
OK_MSG = "操作成功"
TEST_MESSAGE = "回调地址链接成功！"  # the text of GeWe's test message (any text will do)
#: Fields of a send whose URL GeWe downloads (so the fake does too).
MEDIA_FIELDS = ("imgUrl", "fileUrl", "voiceUrl", "videoUrl", "thumbUrl")
PUSH_DEADLINE = 3.0  # seconds GeWe waits for a receiver's answer
LOGIN_QR = "login.getLoginQrCode"
LOGIN_CHECK = "login.checkLogin"
SET_CALLBACK = "login.setCallback"
BUILT_IN = (LOGIN_QR, LOGIN_CHECK, SET_CALLBACK)
CONTROL_PREFIX = "/_fake/"  # the fake's own routes (gewe fake push), never GeWe's
FILES_PREFIX = CONTROL_PREFIX + "files/"  # what serve() serves (GET, no token: GeWe's CDN)
SAMPLES_PREFIX = FILES_PREFIX + "samples/"  # the default downloads' files (serve()'s are /<hex>/)


class Call(dict[str, Any]):
    """One request the fake received: the decoded body (a dict), plus `.op`, `.at` and `.problems`.

    `.at` is the `time.time()` it arrived; `.problems` what the request check found wrong (empty
    when it matched the spec; the fake answered an error otherwise).
    """

    op: str
    at: float
    problems: tuple[str, ...]

    def __init__(self, op: str, body: Mapping[str, Any], at: float, problems: Sequence[str] = ()) -> None:
        super().__init__(body)
        self.op = op
        self.at = at
        self.problems = tuple(problems)

    def __repr__(self) -> str:  # a body's `token` (setCallback's) is never shown
        shown = {k: ("***" if k == "token" else v) for k, v in self.items()}
        return f"Call({self.op!r}, {shown!r})"


@dataclass(frozen=True)
class Delivery:
    """One attempt to deliver a push: `status` is the receiver's answer (None: none in time, or refused)."""

    url: str
    body: Any
    attempt: int
    status: int | None
    at: float


@dataclass(frozen=True)
class Fetch:
    """A media URL the fake downloaded for a send: which field gave it, what came back."""

    op: str
    field: str
    url: str
    status: int | None
    content: bytes = dataclass_field(repr=False)
    content_type: str | None = None


@dataclass
class _Rule:
    kind: str  # "reply", "timeout", "drop", "status"
    body: Any = None
    status: int = 200
    remaining: int | None = None  # None: always


@dataclass
class LoginFlow:
    """The login the fake plays: `checkLogin` answers `states` in turn (the last one repeats).

    `captcha`: the code `checkLogin` must carry (`captchCode`) before it answers status 2, else
    "本次登录需要输入安全验证码"; `expires_after`: the number of checks after which the QR has
    expired (status 0 and `expiredTime` 0 from then on). `wxid` and `nickname` are the account
    that logs in.
    """

    states: tuple[int, ...] = (0, 1, 2)
    captcha: str | None = None
    expires_after: int | None = None
    wxid: str = "wxid_bot01"
    nickname: str = "Fake Bot"
    uuid: str | None = None
    checks: int = 0
    logged_in: bool = False


class FakeGewe:
    """A fake GeWe cloud on 127.0.0.1 built from the package's spec (see the module docstring).

    `token` and `app_id` are what it accepts (a random token by default: `fake.token`);
    `operations` another table than the package's (tests over another spec); `validate=False`
    answers requests that break the spec instead of refusing them; `check_media=False` fetches
    the media URLs of sends without checking their formats (which, for voice and video lengths,
    need the media extra); `redeliveries` is how many more times a push is sent after a failed
    delivery, `redelivery_delay` the seconds between.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        app_id: str = "wx_fake_app",
        host: str = "127.0.0.1",
        port: int = 0,
        operations: Mapping[str, Operation] | None = None,
        validate: bool = True,
        check_media: bool = True,
        redeliveries: int = 2,
        redelivery_delay: float = 0.05,
        push_timeout: float = PUSH_DEADLINE,
    ) -> None:
        if token is not None and (not isinstance(token, str) or not token.strip() or not token.isascii()):
            raise GeweConfigError("FakeGewe(token=...) must be a non-empty ASCII string", setting="token")
        if redeliveries < 0 or not push_timeout > 0 or redelivery_delay < 0:
            raise GeweConfigError("FakeGewe: redeliveries and redelivery_delay >= 0, push_timeout > 0")
        self.token = token.strip() if token is not None else "fake-" + secrets.token_hex(12)
        self.app_id = app_id
        self.host = host
        self.validate = validate
        self.check_media = check_media
        self.redeliveries = redeliveries
        self.redelivery_delay = redelivery_delay
        self.push_timeout = push_timeout
        self.operations = load_operations(operations)
        for name in BUILT_IN:  # GeWe's own behaviour: served even when the spec lacks their pages
            module, _, operation = name.partition(".")
            self.operations.setdefault(
                name,
                {
                    "path": f"{API_PREFIX}{module}/{operation}",
                    "read_only": False,
                    "request": {},
                    "reply": None,
                },
            )
        self._by_path = {row["path"]: name for name, row in self.operations.items()}
        self._port = port
        self._rules: dict[str, deque[_Rule]] = {}
        self._standing: dict[str, _Rule] = {}
        self._calls: list[Call] = []
        self._lock = threading.Lock()
        self.app_ids: set[str] = {app_id}
        self.callback_url: str | None = None
        self.deliveries: list[Delivery] = []
        self.fetched: list[Fetch] = []
        self._files: dict[str, tuple[bytes, str]] = {}  # path -> (bytes, content type)
        self.login = LoginFlow(logged_in=True)
        #: called with each `Call` as it arrives (on the fake's loop; `gewe fake` prints them)
        self.on_call: Callable[[Call], None] | None = None
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: LoopThread | None = None
        self._closing: asyncio.Event | None = None
        self._http: aiohttp.ClientSession | None = None
        self._ids = itertools.count(1)
        self.base_url = ""

    def __repr__(self) -> str:  # never the token
        return (
            f"FakeGewe(base_url={self.base_url!r}, app_id={self.app_id!r}, {len(self.operations)} operations)"
        )

    # ----------------------------------------------------------------- what a test sets and reads

    def reply(
        self,
        op: str,
        data: Any = None,
        *,
        ret: int = 200,
        msg: str | None = OK_MSG,
        body: Any = None,
        times: int | None = None,
    ) -> None:
        """Answer `op` with `{"ret": ret, "msg": msg, "data": data}` (or exactly `body`), `times` times
        or always.

        An operation the spec does not have becomes known to the fake (at /gewe/v2/api/<module>/<op>,
        unchecked), so a test can cover a call its package has no page for.
        """
        if body is None:
            body = {"ret": ret, "msg": msg, "data": data}
        self._add(op, _Rule("reply", body=body, remaining=times))

    def fail(
        self,
        op: str,
        *,
        ret: int = 500,
        msg: str = "操作失败",
        data: Any = None,
        status: int | None = None,
        timeout: bool = False,
        drop: bool = False,
        times: int | None = None,
    ) -> None:
        """Make `op` fail like GeWe does, `times` times or always.

        By default GeWe's error envelope (`{"ret": 500, "msg": msg, "data": data}`, e.g.
        `msg="微信已离线"`); `status=502` an HTTP error; `timeout=True` no answer at all (the
        client's timeout ends the call); `drop=True` the connection closed without an answer.
        """
        if sum((status is not None, timeout, drop)) > 1:
            raise GeweConfigError("fail(): choose one of status=, timeout=True or drop=True")
        if timeout:
            rule = _Rule("timeout", remaining=times)
        elif drop:
            rule = _Rule("drop", remaining=times)
        elif status is not None:
            rule = _Rule(
                "status", body={"ret": status, "msg": msg, "data": data}, status=status, remaining=times
            )
        else:
            rule = _Rule("reply", body={"ret": ret, "msg": msg, "data": data}, remaining=times)
        self._add(op, rule)

    def _add(self, op: str, rule: _Rule) -> None:
        if not isinstance(op, str) or "." not in op:
            raise GeweConfigError(
                f"operation names are 'module.operation' (e.g. group.getChatroomQrCode), got {op!r}"
            )
        if rule.remaining is not None and rule.remaining < 1:
            raise GeweConfigError("times must be a positive number, or None for always")
        with self._lock:
            if op not in self.operations:
                module, _, name = op.partition(".")
                path = f"{API_PREFIX}{module}/{name}"
                self.operations[op] = {"path": path, "read_only": False, "request": {}, "reply": None}
                self._by_path[path] = op
            if rule.remaining is None:
                self._standing[op] = rule
            else:
                self._rules.setdefault(op, deque()).append(rule)

    def calls(self, op: str | None = None) -> list[Call]:
        """The requests received for `op` (every operation when None), in the order they arrived."""
        with self._lock:
            return [c for c in self._calls if op is None or c.op == op]

    def serve(
        self, data: bytes, *, name: str = "file", content_type: str = "application/octet-stream"
    ) -> str:
        """Serve `data` at a URL of the fake's own (GET) and return the URL.

        What GeWe's CDN does for a download: `fake.reply("message.downloadImage", data={"fileUrl":
        fake.serve(png, name="a.png")})`; also a URL to send (`send_voice(to, fake.serve(silk),
        duration_ms=...)`). `name` is the URL's last segment.
        """
        if not self.base_url:
            raise GeweConfigError("serve(): start the FakeGewe first (its URL is not known yet)")
        if not isinstance(data, bytes | bytearray | memoryview):
            raise GeweConfigError(f"serve(): data must be bytes, not {type(data).__name__}")
        safe = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name) or "file"
        path = f"{FILES_PREFIX}{secrets.token_hex(8)}/{safe}"
        with self._lock:
            self._files[path] = (bytes(data), content_type)
        return self.base_url + path

    def reset(self) -> None:
        """Forget calls, replies, failures, deliveries, fetches and served files (the callback URL
        stays)."""
        with self._lock:
            self._files.clear()
            self._calls.clear()
            self._rules.clear()
            self._standing.clear()
            self.deliveries.clear()
            self.fetched.clear()

    def login_flow(
        self,
        states: Sequence[int] = (0, 1, 2),
        *,
        captcha: str | None = None,
        expires_after: int | None = None,
        wxid: str = "wxid_bot01",
        nickname: str = "Fake Bot",
    ) -> LoginFlow:
        """Script the next login (`login.getLoginQrCode`, then `login.checkLogin`).

        The account is logged out until a `checkLogin` answers status 2.
        """
        if not states or any(s not in (0, 1, 2) for s in states):
            raise GeweConfigError("login states are 0 (not scanned), 1 (scanned) and 2 (logged in)")
        self.login = LoginFlow(tuple(states), captcha, expires_after, wxid, nickname)
        return self.login

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> str:
        """Listen on `host` (a free port unless given) and return `base_url`."""
        if self._runner is not None:
            return self.base_url
        self._loop = asyncio.get_running_loop()
        self._closing = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._port)
        await site.start()
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self.base_url

    async def stop(self) -> None:
        """Stop listening; requests held by `fail(timeout=True)` end."""
        if self._closing is not None:
            self._closing.set()
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeGewe:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def __enter__(self) -> FakeGewe:
        """Run the fake on an event loop in a thread of its own (for sync tests)."""
        if self._thread is not None:
            raise GeweConfigError("this FakeGewe is already running")
        worker = LoopThread("FakeGewe")
        try:
            worker.run(self.start(), 30)
        except NotInTime:
            worker.close(10)
            raise GeweConfigError("the FakeGewe did not start within 30 s") from None
        except BaseException:
            worker.close(10)
            raise
        self._thread = worker
        return self

    def __exit__(self, *exc: object) -> None:
        worker = self._thread
        if worker is None:
            return
        with contextlib.suppress(Exception):
            worker.run(self.stop(), 30)
        worker.close(30)
        self._thread = None

    def _run(self, make: Callable[[], Awaitable[T]]) -> Awaitable[T]:
        """Run a coroutine on the fake's loop, awaitable from any loop."""
        loop = self._loop
        if loop is None:
            raise GeweConfigError(
                "the FakeGewe is not running: use `async with FakeGewe()` or `with FakeGewe()`"
            )
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            return make()

        async def on_fake_loop() -> T:
            return await make()

        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(on_fake_loop(), loop))

    def _blocking(self, make: Callable[[], Awaitable[T]]) -> T:
        loop = self._loop
        if loop is None or self._thread is None:
            raise GeweConfigError("the *_sync methods are for a FakeGewe run with `with FakeGewe() as fake:`")

        async def on_fake_loop() -> T:
            return await make()

        return asyncio.run_coroutine_threadsafe(on_fake_loop(), loop).result()

    # ----------------------------------------------------------------- pushes

    async def push(
        self,
        body: Mapping[str, Any] | str | bytes,
        *,
        duplicate: bool = False,
        url: str | None = None,
    ) -> int | None:
        """Deliver `body` to the callback URL as GeWe does; the receiver's final answer (None: none).

        Each delivery waits `push_timeout` seconds (3, GeWe's deadline) for an answer; an answer other
        than 2xx, no answer or a refused connection is delivered again, up to `redeliveries` more
        times. `duplicate=True` delivers it once more after that (as GeWe sometimes does). Every
        attempt is in `deliveries`.
        """
        target = url or self.callback_url
        if not target:
            raise GeweConfigError("no callback URL: call login.setCallback first, or pass url=")
        try:
            data = (
                body
                if isinstance(body, bytes)
                else (body.encode() if isinstance(body, str) else _dumps(body))
            )
        except (TypeError, ValueError) as exc:
            raise GeweConfigError(f"push(): the body is not JSON-serialisable ({exc})") from None
        return await self._run(lambda: self._deliver_all(target, body, data, 2 if duplicate else 1))

    def push_sync(
        self, body: Mapping[str, Any] | str | bytes, *, duplicate: bool = False, url: str | None = None
    ) -> int | None:
        """`push` for a FakeGewe run in its thread (`with FakeGewe() as fake:`), from sync code."""
        return self._blocking(lambda: self.push(body, duplicate=duplicate, url=url))

    async def _deliver_all(self, url: str, body: Any, data: bytes, rounds: int) -> int | None:
        status: int | None = None
        for _ in range(rounds):
            for attempt in range(1, self.redeliveries + 2):
                status = await self._deliver(url, data)
                with self._lock:
                    self.deliveries.append(Delivery(url, body, attempt, status, time.time()))
                if status is not None and 200 <= status < 300:
                    break
                if attempt <= self.redeliveries:
                    await asyncio.sleep(self.redelivery_delay)
        return status

    async def _deliver(self, url: str, data: bytes) -> int | None:
        http = await self._session()
        try:
            async with http.post(
                url,
                data=data,
                headers={"Content-Type": "application/json"},
                timeout=aiohttp.ClientTimeout(total=self.push_timeout),
            ) as resp:
                await resp.read()
                return resp.status
        except (aiohttp.ClientError, TimeoutError, OSError):
            return None

    async def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        return self._http

    # ----------------------------------------------------------------- the server

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.path.startswith(FILES_PREFIX):
            return self._file(request)
        if request.path.startswith(CONTROL_PREFIX):
            return await self._control(request)
        op = self._by_path.get(request.path)
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
            problems = ["the body is not JSON"]
        else:
            problems = []
        if op is None:
            name = _op_name(request.path)
            self._record(
                Call(name, body if isinstance(body, dict) else {}, time.time(), ["no such operation"])
            )
            return _error(
                f"fake GeWe: no operation at {request.path} (the spec has {len(self.operations)})", 404
            )
        if request.method != "POST":
            return _error(f"fake GeWe: {op} takes POST, not {request.method}", 405)
        if self.validate:
            problems += self._problems(op, request, body)
        call = Call(op, body if isinstance(body, dict) else {}, time.time(), problems)
        self._record(call)
        if problems:
            return _reply(_refusal(problems))
        rule = self._next_rule(op)
        if rule is not None and rule.kind == "timeout":
            assert self._closing is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), 600)
            return _error("fake GeWe: stopped", 503)
        if rule is not None and rule.kind == "drop":
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500)
        if rule is not None and rule.kind == "status":
            return _reply(rule.body, rule.status)
        media_error = await self._fetch_media(op, body)
        if media_error is not None:
            with self._lock:
                call.problems = (media_error,)
            return _reply({"ret": 500, "msg": media_error, "data": None})
        if rule is not None:
            return _reply(rule.body)
        special = await self._play(op, body)
        if special is not None:
            return _reply(special)
        return _reply(self._example(op))

    def _file(self, request: web.Request) -> web.Response:
        with self._lock:
            found = self._files.get(request.path)
        if found is None and request.path.startswith(SAMPLES_PREFIX):
            name = request.path.removeprefix(SAMPLES_PREFIX)
            found = next(((sample(n), t) for n, t in SAMPLES.values() if n == name), None)
        if request.method not in ("GET", "HEAD"):
            return web.Response(status=405)
        if found is None:
            return web.Response(status=404)
        return web.Response(body=found[0], content_type=found[1])

    async def _control(self, request: web.Request) -> web.Response:
        """`gewe fake push` drives a running fake here: POST /_fake/push {"body", "duplicate"}."""
        token = request.headers.get(TOKEN_HEADER, "")
        if not secrets.compare_digest(token.encode(), self.token.encode()):
            return _error("fake GeWe: the control routes take the fake's token in X-GEWE-TOKEN", 403)
        if request.path == CONTROL_PREFIX + "push" and request.method == "POST":
            try:
                order = json.loads(await request.read())
                body, duplicate = order["body"], bool(order.get("duplicate", False))
            except (ValueError, KeyError, TypeError):
                return _error('fake GeWe: expected {"body": {...}, "duplicate": false}', 400)
            if not self.callback_url:
                return _error(
                    "fake GeWe: no callback URL yet: the bot must call login.setCallback first", 409
                )
            status = await self.push(body, duplicate=duplicate)
            return _reply({"ret": 200, "msg": OK_MSG, "data": {"status": status, "url": self.callback_url}})
        if request.path == CONTROL_PREFIX + "calls" and request.method == "GET":
            rows = [
                {"op": c.op, "at": c.at, "body": json.loads(repr_safe(c)), "problems": c.problems}
                for c in self.calls()
            ]
            return _reply({"ret": 200, "msg": OK_MSG, "data": rows})
        return _error(f"fake GeWe: no control route {request.method} {request.path}", 404)

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)
        if self.on_call is not None:
            self.on_call(call)

    def _problems(self, op: str, request: web.Request, body: Any) -> list[str]:
        token = request.headers.get(TOKEN_HEADER)
        if not token:
            return ["header:X-GEWE-TOKEN 不可为空"]
        if not secrets.compare_digest(token.encode(), self.token.encode()):
            return ["X-GEWE-TOKEN 不可用或已过期"]
        row = self.operations[op]
        schema = row.get("request") or {}
        if schema and body is None:
            return ["the body is not a JSON object"]
        problems = check(schema, body)
        app_id = body.get("appId") if isinstance(body, dict) else None
        wants_app = "appId" in (schema.get("properties") or {})
        known = not isinstance(app_id, str) or app_id in self.app_ids
        if wants_app and op != LOGIN_QR and not known and not problems:
            problems.append(f"appId {app_id!r}: 设备不存在")
        return problems

    def _next_rule(self, op: str) -> _Rule | None:
        with self._lock:
            queue = self._rules.get(op)
            if queue:
                rule = queue[0]
                assert rule.remaining is not None
                rule.remaining -= 1
                if rule.remaining <= 0:
                    queue.popleft()
                return rule
            return self._standing.get(op)

    def _example(self, op: str) -> Any:
        reply = self.operations[op].get("reply")
        if reply is None:
            return {"ret": 200, "msg": OK_MSG, "data": None}
        data = file_url_reply(reply)
        if data is not None:  # a download: the page's CDN address cannot be fetched, the fake's can
            return {**reply, "data": {**data, "fileUrl": self._sample_url(op)}}
        return reply

    def _sample_url(self, op: str) -> str:
        """The `fileUrl` the download operation `op` answers by default: a file the fake serves,
        of the kind the operation's name says (image: a JPEG, voice: SILK, video: an MP4, else a
        text file; see gewe.testing._samples)."""
        return f"{self.base_url}{SAMPLES_PREFIX}{SAMPLES[download_kind(op)][0]}"

    async def _fetch_media(self, op: str, body: Any) -> str | None:
        """Download each media URL of a send, as GeWe does; why GeWe would fail the send, or None."""
        if not isinstance(body, dict):
            return None
        got: dict[str, bytes] = {}
        for name in MEDIA_FIELDS:
            url = body.get(name)
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                continue
            http = await self._session()
            status: int | None = None
            content = b""
            ctype: str | None = None
            try:
                async with http.get(url, timeout=aiohttp.ClientTimeout(total=10)) as resp:
                    status, content, ctype = resp.status, await resp.read(), resp.content_type
            except (aiohttp.ClientError, TimeoutError, OSError):
                pass
            with self._lock:
                self.fetched.append(Fetch(op, name, url, status, content, ctype))
            if status != 200:
                answer = "no answer" if status is None else f"HTTP {status}"
                return f"{name} 文件下载失败 ({answer})"
            got[name] = content
        if not got or not self.check_media:
            return None
        return await asyncio.to_thread(media_problem, body, got)

    # ----------------------------------------------------------------- GeWe's own behaviour

    async def _play(self, op: str, body: Any) -> Any:
        if op == SET_CALLBACK:
            return await self._set_callback(body)
        if op == LOGIN_QR:
            return self._login_qr(body)
        if op == LOGIN_CHECK:
            return self._check_login(body)
        return None

    async def _set_callback(self, body: Any) -> dict[str, Any]:
        url = body.get("callbackUrl") if isinstance(body, dict) else None
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return {"ret": 500, "msg": f"回调地址不可用: {url!r} is not an http(s) URL", "data": None}
        status = await self._deliver(url, _dumps({"testMsg": TEST_MESSAGE, "token": token}))
        if status is None or not 200 <= status < 300:
            answer = "no answer" if status is None else f"HTTP {status}"
            return {"ret": 500, "msg": f"回调地址不可用: the test message got {answer}", "data": None}
        self.callback_url = url
        return {"ret": 200, "msg": OK_MSG, "data": None}

    def _login_qr(self, body: Any) -> dict[str, Any]:
        flow = self.login
        app_id = body.get("appId") if isinstance(body, dict) else None
        if flow.logged_in and app_id in self.app_ids:
            return {"ret": 500, "msg": "微信已登录，请勿重复登录", "data": None}
        if not app_id:
            app_id = f"wx_fake_{next(self._ids):04d}"
        elif app_id not in self.app_ids:
            return {"ret": 500, "msg": f"appId {app_id!r}: 设备不存在", "data": None}
        self.app_ids.add(app_id)
        flow.uuid = "fake-uuid-" + secrets.token_hex(6)
        flow.checks = 0
        qr_data = f"http://weixin.qq.com/x/{flow.uuid}"
        return {
            "ret": 200,
            "msg": OK_MSG,
            "data": {"appId": app_id, "qrData": qr_data, "qrImgBase64": _QR_DATA_URI, "uuid": flow.uuid},
        }

    def _check_login(self, body: Any) -> dict[str, Any]:
        flow = self.login
        body = body if isinstance(body, dict) else {}
        if flow.uuid is None or body.get("uuid") != flow.uuid:
            return {"ret": 500, "msg": "uuid无效: call login.getLoginQrCode first", "data": None}
        flow.checks += 1
        expired = flow.expires_after is not None and flow.checks > flow.expires_after
        state = 0 if expired else flow.states[min(flow.checks - 1, len(flow.states) - 1)]
        if state == 2 and flow.captcha is not None and body.get("captchCode") != flow.captcha:
            return {"ret": 500, "msg": "本次登录需要输入安全验证码", "data": None}
        left = 0 if expired else max(1, 240 - 5 * flow.checks)  # seconds the QR stays valid
        data: dict[str, Any] = {
            "uuid": flow.uuid,
            "headImgUrl": None if state == 0 else "http://wx.qlogo.cn/fake",
            "nickName": None if state == 0 else flow.nickname,
            "expiredTime": left,
            "status": state,
            "loginInfo": None,
        }
        if state == 2:
            flow.logged_in = True
            data["loginInfo"] = {"uin": 1234567, "wxid": flow.wxid, "nickName": flow.nickname, "mobile": None}
        return {"ret": 200, "msg": OK_MSG, "data": data}


# A 1x1 PNG as a data URI: the login QR's image (GeWe sends a data: URI there).
_QR_DATA_URI = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg=="
)


def repr_safe(call: Call) -> str:
    """A call's body as JSON, its `token` field (setCallback's) masked."""
    return json.dumps({k: ("***" if k == "token" else v) for k, v in call.items()}, ensure_ascii=False)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def _op_name(path: str) -> str:
    parts = path.removeprefix(API_PREFIX).strip("/").split("/")
    return ".".join(parts[-2:]) if len(parts) >= 2 else path


def _refusal(problems: Sequence[str]) -> dict[str, Any]:
    first = problems[0]
    if first.startswith(("header:", "X-GEWE-TOKEN")) or first.endswith("设备不存在"):
        return {"ret": 500, "msg": first, "data": None}
    return {"ret": 500, "msg": "参数错误: " + "; ".join(problems), "data": None}


def _reply(body: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=_dumps(body), content_type="application/json")


def _error(msg: str, status: int) -> web.Response:
    return _reply({"ret": status, "msg": msg, "data": None}, status)


__all__ = ["Call", "Delivery", "FakeGewe", "Fetch", "LoginFlow"]
