"""The typed events `parse_event` returns: one frozen class per kind, `Event` their union.

Narrow on the class (`match event: case TextEvent(text=t): ...`) or on `.kind` (a `Literal` per
class, so `if event.kind == "text":` narrows `Event` to `TextEvent` under mypy --strict). Every
field the push may leave out is `None` then; `raw` (the decoded body) is never in a repr.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from ..images import Image


class Secret:
    """A value kept out of every copy: its repr is `'***'`, and `dataclasses.asdict`, `copy.deepcopy`
    and pickling give an empty `Secret` (so the ping's token never leaves the event it came in)."""

    __slots__ = ("value",)

    def __init__(self, value: str | None) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "'***'"

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return Secret(None)

    def __reduce__(self) -> tuple[type[Secret], tuple[None]]:
        return (Secret, (None,))


@dataclass(frozen=True, slots=True, kw_only=True)
class BaseEvent:
    """What every event has. `app_id` is the push's `Appid`, `wxid` the bot's own wxid (or None)."""

    kind: str = field(init=False, default="unknown")
    app_id: str | None = None
    wxid: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageEvent(BaseEvent):
    """An `AddMsg` push: the fields every message and notice has.

    `chat_id` is the conversation (the other person, or the `@chatroom`), `room_id` the group or
    None, `sender_wxid` the author (in groups from the `"<wxid>:\\n"` prefix), `content` the text or
    XML without that prefix, `mentions` the wxids in `<atuserlist>`. `kind` is "message" for a
    `MsgType` this SDK does not know (e.g. 51, status sync): `msg_type` says which.
    """

    kind: str = field(init=False, default="message")
    msg_id: int | None = None
    new_msg_id: int | None = None
    msg_type: int | None = None
    from_wxid: str | None = None
    to_wxid: str | None = None
    chat_id: str | None = None
    room_id: str | None = None
    sender_wxid: str | None = None
    is_group: bool = False
    is_self: bool = False
    created_at: datetime | None = None
    content: str | None = None
    mentions: tuple[str, ...] = ()
    mentions_me: bool = False
    push_content: str | None = None

    @property
    def text_without_mentions(self) -> str | None:
        """The message's text without the @-mentions at its start when it mentions this account
        (`"@Bot\u2005hi"` -> `"hi"`), else the text as it came; None for a message without text.

        WeChat puts U+2005 after every `@name`; which name is this account's is not in the push, so
        all leading mentions go (`strip_leading_mentions(text, names=[...])` keeps other people's).
        """
        text = getattr(self, "text", None)
        if not isinstance(text, str):
            return None
        if not self.mentions_me:
            return text
        from .mentions import strip_leading_mentions

        return strip_leading_mentions(text)


@dataclass(frozen=True, slots=True, kw_only=True)
class OtherMessageEvent(MessageEvent):
    """A message whose `MsgType` is not one of the kinds below (`msg_type` says which)."""

    kind: Literal["message"] = field(init=False, default="message")


@dataclass(frozen=True, slots=True, kw_only=True)
class TextEvent(MessageEvent):
    kind: Literal["text"] = field(init=False, default="text")
    text: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageEvent(MessageEvent):
    """`size` in bytes; `thumbnail` from `ImgBuf` when the push carries one."""

    kind: Literal["image"] = field(init=False, default="image")
    aes_key: str | None = None
    md5: str | None = None
    size: int | None = None
    cdn_mid_url: str | None = None
    cdn_thumb_url: str | None = None
    thumbnail: Image | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VoiceEvent(MessageEvent):
    kind: Literal["voice"] = field(init=False, default="voice")
    duration: timedelta | None = None
    aes_key: str | None = None
    size: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VideoEvent(MessageEvent):
    kind: Literal["video"] = field(init=False, default="video")
    duration: timedelta | None = None
    aes_key: str | None = None
    size: int | None = None
    md5: str | None = None
    cdn_video_url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EmojiEvent(MessageEvent):
    kind: Literal["emoji"] = field(init=False, default="emoji")
    md5: str | None = None
    size: int | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LocationEvent(MessageEvent):
    kind: Literal["location"] = field(init=False, default="location")
    latitude: float | None = None
    longitude: float | None = None
    label: str | None = None
    poi_name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CardEvent(MessageEvent):
    """A contact card: whose (`card_wxid`) and their name."""

    kind: Literal["card"] = field(init=False, default="card")
    card_wxid: str | None = None
    card_nickname: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FriendRequestEvent(MessageEvent):
    """Accept it with `v3` and `v4` (both needed); `scene` is how they found the bot."""

    kind: Literal["friend_request"] = field(init=False, default="friend_request")
    requester_wxid: str | None = None
    nickname: str | None = None
    v3: str | None = None
    v4: str | None = None
    scene: int | None = None
    greeting: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AppEvent(MessageEvent):
    """An app message (`MsgType` 49) of a type not listed below: `app_type` says which."""

    kind: str = field(init=False, default="app")
    app_type: int | None = None
    title: str | None = None
    description: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OtherAppEvent(AppEvent):
    kind: Literal["app"] = field(init=False, default="app")


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkEvent(AppEvent):
    kind: Literal["link"] = field(init=False, default="link")


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupInviteEvent(AppEvent):
    """An invitation to a group: `url` is the invite link, `title` the invitation text."""

    kind: Literal["group_invite"] = field(init=False, default="group_invite")


@dataclass(frozen=True, slots=True, kw_only=True)
class FileEvent(AppEvent):
    """A file, ready to download (`size` in bytes, `ext` without the dot)."""

    kind: Literal["file"] = field(init=False, default="file")
    file_name: str | None = None
    size: int | None = None
    ext: str | None = None
    md5: str | None = None
    attach_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FileNoticeEvent(AppEvent):
    """A file announced, still uploading (a `file` event follows)."""

    kind: Literal["file_notice"] = field(init=False, default="file_notice")
    file_name: str | None = None
    size: int | None = None
    ext: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MiniProgramEvent(AppEvent):
    kind: Literal["mini_program"] = field(init=False, default="mini_program")
    page_path: str | None = None
    mini_program_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelsEvent(AppEvent):
    """A channels (视频号) post."""

    kind: Literal["channels"] = field(init=False, default="channels")
    nickname: str | None = None
    object_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class QuoteEvent(AppEvent):
    """A reply quoting an earlier message: `text` is the reply, `quoted_*` the earlier message."""

    kind: Literal["quote"] = field(init=False, default="quote")
    text: str | None = None
    quoted_new_msg_id: int | None = None
    quoted_sender_wxid: str | None = None
    quoted_content: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferEvent(AppEvent):
    """A money transfer; `amount_text` as WeChat shows it (e.g. "￥0.01")."""

    kind: Literal["transfer"] = field(init=False, default="transfer")
    transfer_id: str | None = None
    amount_text: str | None = None
    payer_wxid: str | None = None
    receiver_wxid: str | None = None
    memo: str | None = None
    pay_subtype: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RedPacketEvent(AppEvent):
    kind: Literal["red_packet"] = field(init=False, default="red_packet")


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemEvent(MessageEvent):
    """A system message (`MsgType` 10002) of a type not listed below: `sys_type` says which."""

    kind: str = field(init=False, default="system")
    sys_type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OtherSystemEvent(SystemEvent):
    kind: Literal["system"] = field(init=False, default="system")


@dataclass(frozen=True, slots=True, kw_only=True)
class RevokeEvent(SystemEvent):
    kind: Literal["revoke"] = field(init=False, default="revoke")
    revoked_new_msg_id: int | None = None
    notice: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PatEvent(SystemEvent):
    kind: Literal["pat"] = field(init=False, default="pat")
    patter_wxid: str | None = None
    patted_wxid: str | None = None
    template: str | None = None


@dataclass(frozen=True, slots=True)
class Member:
    """A group member named in a group event."""

    wxid: str | None
    nickname: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupEvent(SystemEvent):
    """Members invited, joined or removed, a group dissolved: `text` is `template` with its
    `$name$` slots filled with the members' nicknames."""

    kind: Literal["group_event"] = field(init=False, default="group_event")
    template: str | None = None
    members: tuple[Member, ...] = ()
    text: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupAnnouncementEvent(SystemEvent):
    kind: Literal["group_announcement"] = field(init=False, default="group_announcement")
    text: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupTodoEvent(SystemEvent):
    kind: Literal["group_todo"] = field(init=False, default="group_todo")
    title: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemNoticeEvent(MessageEvent):
    """A plain-text notice (`MsgType` 10000), in the phone's language."""

    kind: Literal["system_notice"] = field(init=False, default="system_notice")
    text: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactUpdateEvent(BaseEvent):
    """`ModContacts`: a contact or group changed, or a friend request was accepted."""

    kind: Literal["contact_update"] = field(init=False, default="contact_update")
    user_name: str | None = None
    nick_name: str | None = None
    remark: str | None = None
    is_group: bool = False
    owner_wxid: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactDeletedEvent(BaseEvent):
    kind: Literal["contact_deleted"] = field(init=False, default="contact_deleted")
    user_name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupLeftEvent(BaseEvent):
    kind: Literal["group_left"] = field(init=False, default="group_left")
    room_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OfflineEvent(BaseEvent):
    """The account went offline: it needs a new login."""

    kind: Literal["offline"] = field(init=False, default="offline")


@dataclass(frozen=True, slots=True, kw_only=True)
class PingEvent(BaseEvent):
    """GeWe's test message, sent when the callback URL is set. Not a user event.

    The account token it carries is kept out of every repr and out of `raw`; compare it with
    `token_matches(token)`.
    """

    kind: Literal["ping"] = field(init=False, default="ping")
    message: str | None = None
    _token: Secret | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self._token, str):  # given as plain text: kept as a Secret all the same
            object.__setattr__(self, "_token", Secret(self._token))

    def token_matches(self, token: str) -> bool:
        """Whether the test message carried `token` (compared in constant time)."""
        secret = self._token.value if isinstance(self._token, Secret) else None
        if secret is None:
            return False
        return hmac.compare_digest(secret.encode(), token.strip().encode())


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownEvent(BaseEvent):
    """A JSON object that is no push this SDK knows: `type_name` (if any) and `raw` say what came."""

    kind: Literal["unknown"] = field(init=False, default="unknown")
    type_name: str | None = None


Event = (
    TextEvent
    | ImageEvent
    | VoiceEvent
    | VideoEvent
    | EmojiEvent
    | LocationEvent
    | CardEvent
    | FriendRequestEvent
    | LinkEvent
    | GroupInviteEvent
    | FileEvent
    | FileNoticeEvent
    | MiniProgramEvent
    | ChannelsEvent
    | QuoteEvent
    | TransferEvent
    | RedPacketEvent
    | OtherAppEvent
    | RevokeEvent
    | PatEvent
    | GroupEvent
    | GroupAnnouncementEvent
    | GroupTodoEvent
    | OtherSystemEvent
    | SystemNoticeEvent
    | OtherMessageEvent
    | ContactUpdateEvent
    | ContactDeletedEvent
    | GroupLeftEvent
    | OfflineEvent
    | PingEvent
    | UnknownEvent
)
"""Every event `parse_event` returns; narrow it with `match` on the classes or on `.kind`."""

KINDS: tuple[str, ...] = (
    "text",
    "image",
    "voice",
    "video",
    "emoji",
    "location",
    "card",
    "friend_request",
    "link",
    "group_invite",
    "file",
    "file_notice",
    "mini_program",
    "channels",
    "quote",
    "transfer",
    "red_packet",
    "app",
    "revoke",
    "pat",
    "group_event",
    "group_announcement",
    "group_todo",
    "system",
    "system_notice",
    "message",
    "contact_update",
    "contact_deleted",
    "group_left",
    "offline",
    "ping",
    "unknown",
)
"""Every `.kind` an event can have (stable strings)."""
