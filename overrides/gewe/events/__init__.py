"""Receiving GeWe's pushes: typed events, a receiver that answers in time, de-duplication.

    from gewe.events import Receiver, TextEvent

    async def handle(event):
        match event:
            case TextEvent(text=text, chat_id=chat):
                ...

    Receiver(handle, path="/gewe/<a long random secret>").run(port=8080)

`parse_event(body)` turns one push body into an `Event` (a union of frozen classes, narrowed with
`match` or on `.kind`). The envelope and `Data` shapes are described in openapi/pushes.yaml and read
through their generated models; the XML inside `Content` is parsed with defusedxml.
"""

from .callback import callback_url, set_callback
from .dedup import DedupStore, MemoryDedup, RedisDedup, dedup_key
from .models import (
    KINDS,
    AppEvent,
    BaseEvent,
    CardEvent,
    ChannelsEvent,
    ContactDeletedEvent,
    ContactUpdateEvent,
    EmojiEvent,
    Event,
    FileEvent,
    FileNoticeEvent,
    FriendRequestEvent,
    GroupAnnouncementEvent,
    GroupEvent,
    GroupInviteEvent,
    GroupLeftEvent,
    GroupTodoEvent,
    ImageEvent,
    LinkEvent,
    LocationEvent,
    Member,
    MessageEvent,
    MiniProgramEvent,
    OfflineEvent,
    OtherAppEvent,
    OtherMessageEvent,
    OtherSystemEvent,
    PatEvent,
    PingEvent,
    QuoteEvent,
    RedPacketEvent,
    RevokeEvent,
    SystemEvent,
    SystemNoticeEvent,
    TextEvent,
    TransferEvent,
    UnknownEvent,
    VideoEvent,
    VoiceEvent,
)
from .parse import parse_event
from .receiver import Receiver, secret_path

__all__ = [
    "KINDS",
    "AppEvent",
    "BaseEvent",
    "CardEvent",
    "ChannelsEvent",
    "ContactDeletedEvent",
    "ContactUpdateEvent",
    "DedupStore",
    "EmojiEvent",
    "Event",
    "FileEvent",
    "FileNoticeEvent",
    "FriendRequestEvent",
    "GroupAnnouncementEvent",
    "GroupEvent",
    "GroupInviteEvent",
    "GroupLeftEvent",
    "GroupTodoEvent",
    "ImageEvent",
    "LinkEvent",
    "LocationEvent",
    "Member",
    "MemoryDedup",
    "MessageEvent",
    "MiniProgramEvent",
    "OfflineEvent",
    "OtherAppEvent",
    "OtherMessageEvent",
    "OtherSystemEvent",
    "PatEvent",
    "PingEvent",
    "QuoteEvent",
    "Receiver",
    "RedPacketEvent",
    "RedisDedup",
    "RevokeEvent",
    "SystemEvent",
    "SystemNoticeEvent",
    "TextEvent",
    "TransferEvent",
    "UnknownEvent",
    "VideoEvent",
    "VoiceEvent",
    "callback_url",
    "dedup_key",
    "parse_event",
    "secret_path",
    "set_callback",
]
