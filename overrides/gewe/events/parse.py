"""`parse_event(body) -> Event`: one typed event per push.

The envelope and `Data` are the shapes openapi/pushes.yaml describes (and gewe_api.models.Push*
model); they are read here straight from the decoded JSON (`READS` lists every key read, by the
schema it belongs to, and a test holds those keys to the schemas), taking only values of the
expected type, so any JSON object gives an event and nothing raises. The generated models'
`from_dict` was a third of a text push's parse. The XML in `Content` is read in kinds.py.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element

from gewe_api.models.push_string import PushString

from ..envelope import _JSON_TYPES
from ..errors import GeweEventError, GeweImageError
from ..images import Image, decode_image
from .kinds import build_message
from .models import (
    ContactDeletedEvent,
    ContactUpdateEvent,
    Event,
    GroupLeftEvent,
    OfflineEvent,
    PingEvent,
    Secret,
    UnknownEvent,
)
from .xml import XMLRefused, attr_values, attributes, element, parse_xml, text

logger = logging.getLogger("gewe.events")
ROOM_SUFFIX = "@chatroom"
_MAX_INT = 2**63  # NewMsgId and friends are signed 64-bit numbers (or unsigned: below 2 * _MAX_INT)
_MAX_UINT = 2 * _MAX_INT
# Every JSON key this module reads, by the openapi/pushes.yaml schema that describes it.
READS: dict[str, tuple[str, ...]] = {
    "PushEnvelope": ("TypeName", "Appid", "Wxid", "Data"),
    "PushAddMsgData": (
        "MsgId",
        "NewMsgId",
        "FromUserName",
        "ToUserName",
        "MsgType",
        "Content",
        "ImgBuf",
        "CreateTime",
        "MsgSource",
        "PushContent",
    ),
    "PushModContactsData": ("UserName", "NickName", "Remark", "ChatRoomOwner"),
    "PushDelContactsData": ("UserName",),
    "PushImgBuf": ("buffer",),
    "PushString": ("string",),
}


_raw_decode = json.JSONDecoder().raw_decode  # the decoder json.loads uses (no hooks)


def decode_body(body: bytes | bytearray | memoryview | str | Mapping[str, Any]) -> dict[str, Any]:
    """The JSON object in `body`. Raises GeweEventError for anything else (never shows the body)."""
    if type(body) is not bytes:  # (bytes, the receiver's case, straight to the decoder)
        if isinstance(body, Mapping):
            return dict(body)
        if isinstance(body, bytearray | memoryview):
            body = bytes(body)
        elif not isinstance(body, str):
            raise GeweEventError(f"a push body is bytes, str or a mapping, not {type(body).__name__}")
    try:
        if type(body) is bytes and body[:1] == b"{" and body[1:2] != b"\x00":
            # UTF-8, as json.loads detects it (no BOM; no NUL where UTF-16/32 puts one): its work
            # without its per-call checks (no leading white space to skip; only " \t\n\r" may follow)
            decoded = body.decode("utf-8", "surrogatepass")
            value, end = _raw_decode(decoded)
            if end != len(decoded) and decoded[end:].strip(" \t\n\r"):
                raise json.JSONDecodeError("Extra data", decoded, end)
        else:
            value = json.loads(body)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        what = type(exc).__name__
        raise GeweEventError(f"the push body ({len(body)} bytes) is not JSON ({what})") from None
    if type(value) is not dict:  # (json.loads makes plain dicts only)
        raise GeweEventError(f"the push body is {_JSON_TYPES.get(type(value), 'JSON')}, not a JSON object")
    return value


def _str(value: Any) -> str | None:
    """A wrapped (`{"string": v}`) or plain string; None for `{}`, empty or any other type."""
    if type(value) is dict:  # the usual shapes, first
        value = value.get("string")
    elif type(value) is str:
        return value or None
    elif isinstance(value, PushString):
        value = value.string
    elif isinstance(value, dict):  # (a dict subclass; a wrapper also where the spec has a plain string)
        value = value.get("string")
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    """An exact int from an int or a decimal string (ids beyond 2^53 arrive as either)."""
    if type(value) is int:
        return value if -_MAX_INT <= value < _MAX_UINT else None
    if isinstance(value, str) and 0 < len(value) <= 24:
        try:
            number = int(value.strip())
        except ValueError:
            return None
        return number if -_MAX_INT <= number < _MAX_UINT else None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return None


_last_time: tuple[int, datetime] = (0, datetime.fromtimestamp(0, UTC))  # pushes in a burst share a second


def _time(value: Any) -> datetime | None:
    global _last_time
    seconds = _int(value)
    if seconds is None:
        return None
    last = _last_time  # (one tuple, read and replaced whole: safe in a parser thread too)
    if last[0] == seconds:
        return last[1]
    try:
        made = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    _last_time = (seconds, made)
    return made


class _Xml:
    """Parses a push's XML, logging the first failure of the push at WARNING (once per push)."""

    __slots__ = ("kind", "new_msg_id", "warned")

    def __init__(self, kind: int | None, new_msg_id: int | None) -> None:
        self.kind, self.new_msg_id, self.warned = kind, new_msg_id, False

    def __call__(self, content: str | None) -> Element | None:
        if not content:
            return None
        try:
            return parse_xml(content)
        except XMLRefused as exc:
            self._warn(exc)
            return None

    def attributes(
        self, content: str | None, tag: str | None, names: tuple[str, ...]
    ) -> tuple[str | None, ...]:
        """`attr(element(self(content), tag), name)` for each of `names`, without building a tree."""
        found = None
        if content:
            try:
                found = attributes(content, tag)
            except XMLRefused as exc:
                self._warn(exc)
        return attr_values(found, names)

    def _warn(self, exc: XMLRefused) -> None:
        if not self.warned:
            self.warned = True
            logger.warning(
                "MsgType %s push (new_msg_id %s): its XML is %s; the fields from it are None",
                self.kind,
                self.new_msg_id,
                exc.reason,
            )


def _mentions(source: str, xml: _Xml) -> tuple[str, ...]:
    listed = text(element(xml(source), "atuserlist"), ".")
    if not listed:
        return ()
    return tuple(dict.fromkeys(w.strip() for w in listed.split(",") if w.strip()))


def _thumbnail(buf: Any) -> Image | None:
    data = buf.get("buffer") if isinstance(buf, dict) else None
    if not isinstance(data, str) or not data:
        return None
    try:
        return decode_image(data)
    except GeweImageError:
        return None


_PREFIX = re.compile(r"([^\s:<>]{1,80}):\n")


def _split_prefix(content: str) -> tuple[str | None, str]:
    """("wxid", rest) for a group message's `"wxid:\\n..."`, else (None, content)."""
    match = _PREFIX.match(content)
    if match is None:
        return None, content
    return match.group(1), content[match.end() :]


def _message(d: dict[str, Any], app_id: str | None, wxid: str | None, raw: dict[str, Any]) -> Event:
    get = d.get
    msg_type = _int(get("MsgType"))
    new_msg_id = _int(get("NewMsgId"))
    from_wxid, to_wxid = _str(get("FromUserName")), _str(get("ToUserName"))
    wrapped: Any = get("Content")
    if isinstance(wrapped, dict):
        wrapped = wrapped.get("string")
    content = wrapped if isinstance(wrapped, str) else None
    if from_wxid and from_wxid.endswith(ROOM_SUFFIX):
        room_id: str | None = from_wxid
    else:
        room_id = to_wxid if to_wxid and to_wxid.endswith(ROOM_SUFFIX) else None
    sender = from_wxid
    if room_id is not None and from_wxid == room_id:  # from others in the room, or a room notice
        sender = None
        prefix, rest = _split_prefix(content) if content else (None, content)
        if prefix is not None:
            content = rest
            sender = None if prefix.endswith(ROOM_SUFFIX) else prefix
    # the bot's own message: sent from another device (From is the bot), or echoed into a room
    is_self = wxid is not None and (from_wxid == wxid or sender == wxid)
    xml = _Xml(msg_type, new_msg_id)
    source, push_content = get("MsgSource"), get("PushContent")
    mentions = _mentions(source, xml) if isinstance(source, str) and "atuserlist" in source else ()
    # MessageEvent's init fields, in their order (construct.maker takes them so)
    common = (
        app_id,
        wxid,
        raw,
        _int(get("MsgId")),
        new_msg_id,
        msg_type,
        from_wxid,
        to_wxid,
        room_id or (to_wxid if is_self else from_wxid),  # chat_id
        room_id,
        sender,
        room_id is not None,  # is_group
        is_self,
        _time(get("CreateTime")),
        content,
        mentions,
        wxid is not None and wxid in mentions,  # mentions_me
        push_content if isinstance(push_content, str) else None,
    )
    thumbnail = _thumbnail(get("ImgBuf")) if msg_type == 3 else None
    return build_message(common, msg_type, content, xml, thumbnail)


def is_test_message(raw: Mapping[str, Any]) -> bool:
    """Whether a decoded body is GeWe's test message (sent when the callback URL is set).

    Any body with `testMsg` is: one that also looks like a push is still the test message (it
    carries the token), never a push with the token in its `raw`.
    """
    return "testMsg" in raw


def push_key(raw: Mapping[str, Any]) -> str | None:
    """The de-duplication key of a decoded push, without parsing it: `"<Appid>:<NewMsgId>"`.

    The same as `dedup_key(parse_event(raw))`: None for pushes that are not messages (no id).
    """
    data = raw.get("Data")
    if raw.get("TypeName") != "AddMsg" or not isinstance(data, dict) or "testMsg" in raw:  # is_test_message
        return None
    new_msg_id = _int(data.get("NewMsgId"))
    if new_msg_id is None:
        return None
    return f"{_str(raw.get('Appid')) or ''}:{new_msg_id}"


def _ping(body: dict[str, Any]) -> PingEvent:
    token = body.get("token")
    raw = {**body, "token": "***"} if "token" in body else body
    message = body.get("testMsg")
    return PingEvent(
        raw=raw,
        message=message if isinstance(message, str) else None,
        _token=Secret(token.strip()) if isinstance(token, str) else None,
    )


def parse_event(body: bytes | bytearray | memoryview | str | Mapping[str, Any]) -> Event:
    """The typed event in one push body (JSON bytes or text, or an already decoded mapping).

    Any JSON object gives an event: a shape this SDK does not know is an `UnknownEvent` keeping
    `.raw`; XML that does not parse keeps the kind `MsgType` gives, with the fields from it None,
    and logs one WARNING on the `gewe.events` logger.

    Raises:
        GeweEventError: `body` is not JSON, or is JSON but not an object.
    """
    return _event_of(decode_body(body))


def _event_of(raw: dict[str, Any]) -> Event:
    """`parse_event` of an object `decode_body` made (the receiver's: decoded once, not copied)."""
    if "testMsg" in raw:  # is_test_message(raw)
        return _ping(raw)
    app_id, wxid = _str(raw.get("Appid")), _str(raw.get("Wxid"))
    type_name = raw.get("TypeName")
    type_name = type_name if isinstance(type_name, str) else None
    data = raw.get("Data")
    data = data if isinstance(data, dict) else None
    if type_name == "AddMsg" and data is not None:
        return _message(data, app_id, wxid, raw)
    if type_name == "ModContacts" and data is not None:
        user = _str(data.get("UserName"))
        return ContactUpdateEvent(
            app_id=app_id,
            wxid=wxid,
            raw=raw,
            user_name=user,
            nick_name=_str(data.get("NickName")),
            remark=_str(data.get("Remark")),
            is_group=bool(user and user.endswith(ROOM_SUFFIX)),
            owner_wxid=_str(data.get("ChatRoomOwner")),
        )
    if type_name == "DelContacts" and data is not None:
        user = _str(data.get("UserName"))
        if user and user.endswith(ROOM_SUFFIX):
            return GroupLeftEvent(app_id=app_id, wxid=wxid, raw=raw, room_id=user)
        return ContactDeletedEvent(app_id=app_id, wxid=wxid, raw=raw, user_name=user)
    if type_name == "Offline":
        return OfflineEvent(app_id=app_id, wxid=wxid, raw=raw)
    return UnknownEvent(app_id=app_id, wxid=wxid, raw=raw, type_name=type_name)
