"""Property: every push factory of gewe.testing.pushes round-trips through parse_event to its fields.

For each kind `parse_event` knows, Hypothesis draws the factory's fields (any text XML can carry,
ids beyond 2^53, private or group, the bot's own or not) and the parsed event must have the kind
and every field the factory was given.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gewe.events import KINDS, parse_event
from gewe.testing import pushes as P

# Text XML 1.0 can carry, without surrounding whitespace (the parser strips values).
words = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cn", "Co", "Zl", "Zp")),
    min_size=1,
    max_size=16,
).filter(lambda s: s == s.strip() and bool(s))
wxids = st.from_regex(r"wxid_[a-z0-9]{1,12}", fullmatch=True)
rooms = st.from_regex(r"[1-9][0-9]{2,11}@chatroom", fullmatch=True)
ids = st.integers(min_value=1, max_value=2**63 - 1)
sizes = st.integers(min_value=0, max_value=2**40)

# kind -> (strategy of the factory's own keyword arguments, call, expected event fields)
Case = tuple[
    st.SearchStrategy[dict[str, Any]],
    Callable[..., dict[str, Any]],
    Callable[[dict[str, Any]], dict[str, Any]],
]


def same(*names: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda kw: {n: kw[n] for n in names}


def fields(**strategies: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(strategies)


CASES: dict[str, Case] = {
    "text": (fields(content=words), P.text, lambda kw: {"text": kw["content"]}),
    "image": (
        fields(aes_key=words, md5=words, size=sizes, cdn_mid_url=words, cdn_thumb_url=words),
        P.image,
        same("aes_key", "md5", "size", "cdn_mid_url", "cdn_thumb_url"),
    ),
    "voice": (
        fields(duration_ms=st.integers(0, 10**7), size=sizes, aes_key=words),
        P.voice,
        lambda kw: {
            "duration": timedelta(milliseconds=kw["duration_ms"]),
            "size": kw["size"],
            "aes_key": kw["aes_key"],
        },
    ),
    "video": (
        fields(duration_s=st.integers(0, 10**6), size=sizes, aes_key=words, md5=words, cdn_video_url=words),
        P.video,
        lambda kw: {
            "duration": timedelta(seconds=kw["duration_s"]),
            **{k: kw[k] for k in ("size", "aes_key", "md5", "cdn_video_url")},
        },
    ),
    "emoji": (fields(md5=words, size=sizes, url=words), P.emoji, same("md5", "size", "url")),
    "location": (
        fields(
            latitude=st.floats(-90, 90, allow_nan=False),
            longitude=st.floats(-180, 180, allow_nan=False),
            label=words,
            poi_name=words,
        ),
        P.location,
        same("latitude", "longitude", "label", "poi_name"),
    ),
    "card": (fields(card_wxid=wxids, card_nickname=words), P.card, same("card_wxid", "card_nickname")),
    "friend_request": (
        fields(
            requester_wxid=wxids, nickname=words, v3=words, v4=words, scene=st.integers(0, 99), greeting=words
        ),
        P.friend_request,
        same("requester_wxid", "nickname", "v3", "v4", "scene", "greeting"),
    ),
    "link": (fields(title=words, description=words, url=words), P.link, same("title", "description", "url")),
    "group_invite": (
        fields(title=words, description=words, url=words.map(lambda w: f"https://x/addchatroombyinvite?{w}")),
        P.group_invite,
        same("title", "description", "url"),
    ),
    "file": (
        fields(file_name=words, size=sizes, ext=words, md5=words, attach_id=words),
        P.file,
        same("file_name", "size", "ext", "md5", "attach_id"),
    ),
    "file_notice": (
        fields(file_name=words, size=sizes, ext=words),
        P.file_notice,
        same("file_name", "size", "ext"),
    ),
    "mini_program": (
        fields(title=words, page_path=words, mini_program_id=words),
        P.mini_program,
        same("title", "page_path", "mini_program_id"),
    ),
    "channels": (
        fields(nickname=words, description=words, object_id=words),
        P.channels,
        same("nickname", "description", "object_id"),
    ),
    "quote": (
        fields(content=words, quoted_new_msg_id=ids, quoted_sender_wxid=wxids, quoted_content=words),
        P.quote,
        lambda kw: {"text": kw["content"], **{k: kw[k] for k in kw if k.startswith("quoted_")}},
    ),
    "transfer": (
        fields(transfer_id=words, amount_text=words, payer_wxid=wxids, receiver_wxid=wxids, memo=words),
        P.transfer,
        same("transfer_id", "amount_text", "payer_wxid", "receiver_wxid", "memo"),
    ),
    "red_packet": (fields(title=words), P.red_packet, same("title")),
    "app": (
        fields(app_type=st.sampled_from([3, 19, 87, 4000]), title=words, description=words, url=words),
        lambda app_type, **kw: P.app(app_type, **kw),
        same("app_type", "title", "description", "url"),
    ),
    "revoke": (fields(revoked_new_msg_id=ids, notice=words), P.revoke, same("revoked_new_msg_id", "notice")),
    "pat": (fields(patter_wxid=wxids, patted_wxid=wxids), P.pat, same("patter_wxid", "patted_wxid")),
    "group_event": (
        fields(members=st.lists(st.tuples(wxids, words), min_size=1, max_size=4)),
        P.group_event,
        lambda kw: {"members_wxids": [m[0] for m in kw["members"]]},
    ),
    "group_announcement": (fields(content=words), P.group_announcement, lambda kw: {"text": kw["content"]}),
    "group_todo": (fields(title=words), P.group_todo, same("title")),
    "system": (
        fields(sys_type=st.from_regex(r"new[a-z]{1,10}", fullmatch=True)),
        P.system,
        same("sys_type"),
    ),
    "system_notice": (fields(content=words), P.system_notice, lambda kw: {"text": kw["content"]}),
    "message": (
        fields(msg_type=st.sampled_from([51, 9999, 50])),
        lambda msg_type, **kw: P.message(msg_type, "<msg/>", **kw),
        same("msg_type"),
    ),
    "contact_update": (
        fields(user_name=wxids | rooms, nick_name=words, remark=words),
        P.contact_update,
        lambda kw: {**kw, "is_group": kw["user_name"].endswith("@chatroom")},
    ),
    "contact_deleted": (fields(user_name=wxids), P.contact_deleted, same("user_name")),
    "group_left": (fields(room=rooms), P.group_left, lambda kw: {"room_id": kw["room"]}),
    "offline": (fields(app_id=words), P.offline, same("app_id")),
    "ping": (fields(message=words), lambda message: P.test_message("tok-x1234567", message), same("message")),
    "unknown": (
        fields(
            type_name=words.filter(lambda w: w not in ("AddMsg", "ModContacts", "DelContacts", "Offline"))
        ),
        lambda type_name: P.envelope(type_name, {"x": 1}),
        same("type_name"),
    ),
}
NOT_MESSAGES = {"contact_update", "contact_deleted", "group_left", "offline", "ping", "unknown"}
IN_A_ROOM_ONLY = {"pat", "group_event", "group_announcement", "group_todo"}
common = st.fixed_dictionaries(
    {
        "sender": wxids,
        "new_msg_id": ids,
        "create_time": st.integers(0, 2**31),
        "self_sent": st.booleans(),
        "room": st.none() | rooms,
    }
)


def test_every_kind_has_a_factory_and_a_case() -> None:
    assert set(CASES) == set(KINDS) == set(P.KINDS)
    for kind, make in P.KINDS.items():
        assert parse_event(make()).kind == kind


@pytest.mark.parametrize("kind", sorted(CASES))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_the_factory_round_trips_through_parse_event(kind: str, data: st.DataObject) -> None:
    strategy, factory, expected = CASES[kind]
    kw = data.draw(strategy)
    extra: dict[str, Any] = {}
    if kind not in NOT_MESSAGES:
        extra = data.draw(common)
        if kind in IN_A_ROOM_ONLY:
            extra["room"] = extra["room"] or "20001@chatroom"
            extra["self_sent"] = False
        if kind in ("pat", "system", "revoke") or kind in IN_A_ROOM_ONLY:
            extra.pop("sender")  # a system message's prefix is its room
    event = parse_event(factory(**kw, **extra))
    assert event.kind == kind
    want = expected(kw)
    if "members_wxids" in want:
        assert [m.wxid for m in event.members][1:] == want.pop("members_wxids")  # type: ignore[union-attr]
    for name, value in want.items():
        assert getattr(event, name) == value, name
    if kind in NOT_MESSAGES:
        return
    room = extra["room"]
    assert event.new_msg_id == extra["new_msg_id"]  # type: ignore[union-attr]
    assert event.created_at == datetime.fromtimestamp(extra["create_time"], UTC)  # type: ignore[union-attr]
    assert event.room_id == room and event.is_group == (room is not None)  # type: ignore[union-attr]
    assert event.is_self == extra["self_sent"]  # type: ignore[union-attr]
    if "sender" in extra and not extra["self_sent"]:
        assert event.sender_wxid == extra["sender"]  # type: ignore[union-attr]
        assert event.chat_id == (room or extra["sender"])  # type: ignore[union-attr]


@settings(max_examples=50, deadline=None)
@given(text=words, room=rooms, mentions=st.lists(wxids, min_size=1, max_size=3, unique=True))
def test_group_text_mentions_are_listed_and_marked_with_u2005(
    text: str, room: str, mentions: list[str]
) -> None:
    event = parse_event(P.group_text(text, room=room, mentions=mentions, bot=mentions[0]))
    assert event.kind == "text" and event.mentions == tuple(mentions) and event.mentions_me
    assert event.text == "".join(f"@{w}\u2005" for w in mentions) + text
    assert event.raw["Data"]["Content"]["string"].startswith("wxid_alice:\n@")
