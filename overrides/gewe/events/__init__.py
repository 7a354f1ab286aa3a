"""Receiving GeWe's pushes: typed events, a receiver that answers in time, de-duplication.

    from gewe.events import Receiver, TextEvent

    async def handle(event):
        match event:
            case TextEvent(text=text, chat_id=chat):
                ...

    Receiver(handle, path="/gewe/<a long random secret>").run(port=8080)

`parse_event(body)` turns one push body into an `Event` (a union of frozen classes, narrowed with
`match` or on `.kind`). The envelope and `Data` shapes are described in openapi/pushes.yaml and read
through their generated models; the XML inside `Content` is parsed with expat (any DOCTYPE
refused: see xml.py).
"""

import importlib
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:  # imported on first use (they import aiohttp): parse_event alone stays light
    from .callback import callback_url, set_callback
    from .queues import DeadLetter, Delivery, MemoryQueue, PushQueue, open_queue
    from .receiver import Receiver, secret_path
    from .redis_queue import RedisStreamQueue
    from .sqlite_queue import SqliteQueue
    from .worker import Worker

_LAZY = {
    "DeadLetter": "queues",
    "Delivery": "queues",
    "MemoryQueue": "queues",
    "PushQueue": "queues",
    "open_queue": "queues",
    "RedisStreamQueue": "redis_queue",
    "SqliteQueue": "sqlite_queue",
    "Worker": "worker",
    "Receiver": "receiver",
    "secret_path": "receiver",
    "set_callback": "callback",
    "callback_url": "callback",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gewe.events' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "KINDS",
    "AppEvent",
    "BaseEvent",
    "CardEvent",
    "ChannelsEvent",
    "ContactDeletedEvent",
    "ContactUpdateEvent",
    "DeadLetter",
    "DedupStore",
    "Delivery",
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
    "MemoryQueue",
    "MessageEvent",
    "MiniProgramEvent",
    "OfflineEvent",
    "OtherAppEvent",
    "OtherMessageEvent",
    "OtherSystemEvent",
    "PatEvent",
    "PingEvent",
    "PushQueue",
    "QuoteEvent",
    "Receiver",
    "RedPacketEvent",
    "RedisDedup",
    "RedisStreamQueue",
    "RevokeEvent",
    "SqliteQueue",
    "SystemEvent",
    "SystemNoticeEvent",
    "TextEvent",
    "TransferEvent",
    "UnknownEvent",
    "VideoEvent",
    "VoiceEvent",
    "Worker",
    "callback_url",
    "dedup_key",
    "open_queue",
    "parse_event",
    "secret_path",
    "set_callback",
]
