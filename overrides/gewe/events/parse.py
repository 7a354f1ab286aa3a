"""`parse_event(body) -> Event`: one typed event per push.

The envelope and `Data` are read through the models generated from openapi/pushes.yaml
(gewe_api.models.Push*), whose `from_dict` keeps every value as it came; this module then takes
only values of the expected type, so any JSON object gives an event and nothing raises. The XML in
`Content` is read in kinds.py.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element

from gewe_api.models.push_add_msg_data import PushAddMsgData
from gewe_api.models.push_del_contacts_data import PushDelContactsData
from gewe_api.models.push_envelope import PushEnvelope
from gewe_api.models.push_img_buf import PushImgBuf
from gewe_api.models.push_mod_contacts_data import PushModContactsData
from gewe_api.models.push_string import PushString

from ..envelope import _JSON_TYPES
from ..errors import GeweEventError, GeweImageError
from ..images import Image, decode_image
from .kinds import message_event
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
from .xml import XMLRefused, element, parse_xml, text

logger = logging.getLogger("gewe.events")
ROOM_SUFFIX = "@chatroom"
_MAX_INT = 2**63  # NewMsgId and friends are signed 64-bit numbers


def decode_body(body: bytes | bytearray | memoryview | str | Mapping[str, Any]) -> dict[str, Any]:
    """The JSON object in `body`. Raises GeweEventError for anything else (never shows the body)."""
    if isinstance(body, Mapping):
        return dict(body)
    if isinstance(body, bytearray | memoryview):
        body = bytes(body)
    if not isinstance(body, bytes | str):
        raise GeweEventError(f"a push body is bytes, str or a mapping, not {type(body).__name__}")
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        what = type(exc).__name__
        raise GeweEventError(f"the push body ({len(body)} bytes) is not JSON ({what})") from None
    if not isinstance(value, dict):
        raise GeweEventError(f"the push body is {_JSON_TYPES.get(type(value), 'JSON')}, not a JSON object")
    return value


def _str(value: Any) -> str | None:
    """A wrapped (`{"string": v}`) or plain string; None for `{}`, empty or any other type."""
    if isinstance(value, PushString):
        value = value.string
    elif isinstance(value, dict):  # a wrapper where the spec has a plain string (e.g. ChatRoomOwner)
        value = value.get("string")
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    """An exact int from an int or a decimal string (ids beyond 2^53 arrive as either)."""
    if type(value) is int:
        return value if -_MAX_INT <= value < 2 * _MAX_INT else None
    if isinstance(value, str) and 0 < len(value) <= 24:
        try:
            number = int(value.strip())
        except ValueError:
            return None
        return number if -_MAX_INT <= number < 2 * _MAX_INT else None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return None


def _time(value: Any) -> datetime | None:
    seconds = _int(value)
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


class _Xml:
    """Parses a push's XML, logging the first failure of the push at WARNING (once per push)."""

    def __init__(self, kind: str, new_msg_id: int | None) -> None:
        self.kind, self.new_msg_id, self.warned = kind, new_msg_id, False

    def __call__(self, content: str | None) -> Element | None:
        if not content:
            return None
        try:
            return parse_xml(content)
        except XMLRefused as exc:
            if not self.warned:
                self.warned = True
                logger.warning(
                    "MsgType %s push (new_msg_id %s): its XML is %s; the fields from it are None",
                    self.kind,
                    self.new_msg_id,
                    exc.reason,
                )
            return None


def _mentions(source: str | None, xml: _Xml) -> tuple[str, ...]:
    if not source or "atuserlist" not in source:
        return ()
    listed = text(element(xml(source), "atuserlist"), ".")
    if not listed:
        return ()
    return tuple(dict.fromkeys(w.strip() for w in listed.split(",") if w.strip()))


def _thumbnail(buf: Any) -> Image | None:
    if not isinstance(buf, PushImgBuf) or not isinstance(buf.buffer, str) or not buf.buffer:
        return None
    try:
        return decode_image(buf.buffer)
    except GeweImageError:
        return None


_PREFIX = re.compile(r"([^\s:<>]{1,80}):\n")


def _split_prefix(content: str) -> tuple[str | None, str]:
    """("wxid", rest) for a group message's `"wxid:\\n..."`, else (None, content)."""
    match = _PREFIX.match(content)
    if match is None:
        return None, content
    return match.group(1), content[match.end() :]


def _message(data: Any, app_id: str | None, wxid: str | None, raw: dict[str, Any]) -> Event:
    d = PushAddMsgData.from_dict(data)
    msg_type = _int(d.msg_type)
    new_msg_id = _int(d.new_msg_id)
    from_wxid, to_wxid = _str(d.from_user_name), _str(d.to_user_name)
    wrapped: Any = d.content.string if isinstance(d.content, PushString) else d.content
    content = wrapped if isinstance(wrapped, str) else None
    room_id = next((u for u in (from_wxid, to_wxid) if u and u.endswith(ROOM_SUFFIX)), None)
    sender = from_wxid
    if room_id is not None and from_wxid == room_id:  # from others in the room, or a room notice
        sender = None
        prefix, rest = _split_prefix(content) if content else (None, content)
        if prefix is not None:
            content = rest
            sender = None if prefix.endswith(ROOM_SUFFIX) else prefix
    # the bot's own message: sent from another device (From is the bot), or echoed into a room
    is_self = wxid is not None and (from_wxid == wxid or sender == wxid)
    xml = _Xml(str(msg_type), new_msg_id)
    mentions = _mentions(d.msg_source if isinstance(d.msg_source, str) else None, xml)
    chat_id = room_id or (to_wxid if is_self else from_wxid)
    common: dict[str, Any] = {
        "app_id": app_id,
        "wxid": wxid,
        "raw": raw,
        "msg_id": _int(d.msg_id),
        "new_msg_id": new_msg_id,
        "msg_type": msg_type,
        "from_wxid": from_wxid,
        "to_wxid": to_wxid,
        "chat_id": chat_id,
        "room_id": room_id,
        "sender_wxid": sender,
        "is_group": room_id is not None,
        "is_self": is_self,
        "created_at": _time(d.create_time),
        "content": content,
        "mentions": mentions,
        "mentions_me": wxid is not None and wxid in mentions,
        "push_content": d.push_content if isinstance(d.push_content, str) else None,
    }
    thumbnail = _thumbnail(d.img_buf) if msg_type == 3 else None
    return message_event(common, content, xml, thumbnail)


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
    if raw.get("TypeName") != "AddMsg" or not isinstance(data, dict) or is_test_message(raw):
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
    raw = decode_body(body)
    if is_test_message(raw):
        return _ping(raw)
    env = PushEnvelope.from_dict(raw)
    app_id, wxid = _str(env.appid), _str(env.wxid)
    type_name = env.type_name if isinstance(env.type_name, str) else None
    data = env.data if isinstance(env.data, dict) else None
    if type_name == "AddMsg" and data is not None:
        return _message(data, app_id, wxid, raw)
    if type_name == "ModContacts" and data is not None:
        c = PushModContactsData.from_dict(data)
        user = _str(c.user_name)
        return ContactUpdateEvent(
            app_id=app_id,
            wxid=wxid,
            raw=raw,
            user_name=user,
            nick_name=_str(c.nick_name),
            remark=_str(c.remark),
            is_group=bool(user and user.endswith(ROOM_SUFFIX)),
            owner_wxid=_str(c.chat_room_owner),
        )
    if type_name == "DelContacts" and data is not None:
        user = _str(PushDelContactsData.from_dict(data).user_name)
        if user and user.endswith(ROOM_SUFFIX):
            return GroupLeftEvent(app_id=app_id, wxid=wxid, raw=raw, room_id=user)
        return ContactDeletedEvent(app_id=app_id, wxid=wxid, raw=raw, user_name=user)
    if type_name == "Offline":
        return OfflineEvent(app_id=app_id, wxid=wxid, raw=raw)
    return UnknownEvent(app_id=app_id, wxid=wxid, raw=raw, type_name=type_name)
