"""parse_event over synthetic pushes of every kind: fields, group/private, ids, broken input."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import pytest

from gewe import GeweError, GeweEventError
from gewe.events import (
    KINDS,
    CardEvent,
    ChannelsEvent,
    ContactDeletedEvent,
    ContactUpdateEvent,
    EmojiEvent,
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
    SystemNoticeEvent,
    TextEvent,
    TransferEvent,
    UnknownEvent,
    VideoEvent,
    VoiceEvent,
    parse_event,
)
from tests.fixtures import pushes as P

# (MsgType, content, class, {field: expected}) for every message kind.
CASES: list[tuple[int, str, type[Any], dict[str, Any]]] = [
    (1, "hello & <b>", TextEvent, {"text": "hello & <b>"}),
    (
        3,
        P.IMAGE,
        ImageEvent,
        {
            "aes_key": "a1b2c3",
            "md5": "9f86d081884c7d65",
            "size": 53210,
            "cdn_mid_url": "3057mid",
            "cdn_thumb_url": "3057thumb",
        },
    ),
    (34, P.VOICE, VoiceEvent, {"duration": timedelta(milliseconds=2500), "aes_key": "v-key", "size": 4321}),
    (
        43,
        P.VIDEO,
        VideoEvent,
        {"duration": timedelta(seconds=12), "aes_key": "vid-key", "size": 1048576, "md5": "mv5"},
    ),
    (47, P.EMOJI, EmojiEvent, {"md5": "e-md5", "size": 2048}),
    (
        48,
        P.LOCATION,
        LocationEvent,
        {
            "latitude": 31.230416,
            "longitude": 121.473701,
            "label": "上海市黄浦区人民大道",
            "poi_name": "人民广场 & 公园",
        },
    ),
    (42, P.CARD, CardEvent, {"card_wxid": "wxid_carol", "card_nickname": "Carol <3"}),
    (
        37,
        P.FRIEND_REQUEST,
        FriendRequestEvent,
        {
            "requester_wxid": "wxid_dave",
            "nickname": "Dave",
            "v3": "v3_abc@stranger",
            "v4": "v4_def@stranger",
            "scene": 30,
            "greeting": "Hi, I am Dave",
        },
    ),
    (
        49,
        P.LINK,
        LinkEvent,
        {"title": "Read me", "description": "an article", "url": "https://example.com/a?b=1&c=2"},
    ),
    (49, P.INVITE, GroupInviteEvent, {"title": "邀请你加入群聊", "description": "Alice invites you"}),
    (49, P.FILE, FileEvent, {"file_name": "report.pdf", "size": 204800, "ext": "pdf"}),
    (49, P.FILE_NOTICE, FileNoticeEvent, {"file_name": "big.zip", "size": 999999, "ext": "zip"}),
    (49, P.MINI_PROGRAM, MiniProgramEvent, {"title": "Mini", "page_path": "pages/index?x=1"}),
    (49, P.CHANNELS, ChannelsEvent, {"nickname": "Chan", "description": "a post", "object_id": "1402"}),
    (
        49,
        P.QUOTE,
        QuoteEvent,
        {
            "text": "my reply",
            "quoted_new_msg_id": 8123456789012345000,
            "quoted_sender_wxid": "wxid_bob",
            "quoted_content": "the earlier text",
        },
    ),
    (
        49,
        P.TRANSFER,
        TransferEvent,
        {
            "transfer_id": "1000050001",
            "amount_text": "￥0.01",
            "payer_wxid": "wxid_alice",
            "receiver_wxid": "wxid_bot01",
            "memo": "lunch",
        },
    ),
    (49, P.RED_PACKET, RedPacketEvent, {"title": "恭喜发财"}),
    (49, P.MUSIC, OtherAppEvent, {"kind": "app", "app_type": 3, "title": "Song"}),
    (
        10002,
        P.REVOKE,
        RevokeEvent,
        {"revoked_new_msg_id": 8123456789012345000, "notice": '"Alice" recalled a message'},
    ),
    (10002, P.PAT, PatEvent, {"patter_wxid": "wxid_alice", "patted_wxid": "wxid_bot01"}),
    (
        10002,
        P.GROUP_TEMPLATE,
        GroupEvent,
        {
            "template": '"$username$"邀请"$names$"加入了群聊',
            "text": '"Alice"邀请"Eve、Frank"加入了群聊',
            "members": (Member("wxid_alice", "Alice"), Member("wxid_e", "Eve"), Member("wxid_f", "Frank")),
        },
    ),
    (
        10002,
        P.DEL_MEMBER,
        GroupEvent,
        {"text": '你邀请"Eve"加入了群聊', "members": (Member("wxid_e", None),)},
    ),
    (10002, P.ANNOUNCEMENT, GroupAnnouncementEvent, {"text": "Meeting at 3pm"}),
    (10002, P.TODO, GroupTodoEvent, {"title": "Send the slides"}),
    (10002, P.UNKNOWN_SYS, OtherSystemEvent, {"kind": "system", "sys_type": "newsysmsgkind"}),
    (
        10000,
        "You were removed from the group",
        SystemNoticeEvent,
        {"text": "You were removed from the group"},
    ),
    (51, "<msg><op id='2'/></msg>", OtherMessageEvent, {"kind": "message", "msg_type": 51}),
]


@pytest.mark.parametrize("room", [None, P.ROOM], ids=["private", "group"])
@pytest.mark.parametrize(
    ("msg_type", "content", "cls", "fields"), CASES, ids=[c[2].__name__ + str(i) for i, c in enumerate(CASES)]
)
def test_every_kind_has_its_class_and_fields_in_private_and_group_chats(
    msg_type: int, content: str, cls: type[Any], fields: dict[str, Any], room: str | None
) -> None:
    body = P.push(msg_type, content, room=room, room_prefix=(msg_type == 10002))
    event = parse_event(json.dumps(body).encode())
    assert type(event) is cls
    assert event.kind in KINDS
    for name, value in fields.items():
        assert getattr(event, name) == value, name
    assert event.app_id == P.APP and event.wxid == P.BOT
    assert event.new_msg_id == int(body["Data"]["NewMsgId"])
    assert event.is_group is (room is not None)
    assert event.room_id == room
    assert event.chat_id == (room or P.ALICE)
    # the group prefix is gone from the content; the author comes from it (a room prefix is no author)
    assert event.content == content
    assert event.sender_wxid == (None if room and msg_type == 10002 else P.ALICE)
    assert event.created_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert event.raw == body


def test_kind_names_cover_the_issue_list() -> None:
    issue = [
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
        "revoke",
        "pat",
        "group_event",
        "group_announcement",
        "group_todo",
        "system_notice",
        "contact_update",
        "contact_deleted",
        "group_left",
        "offline",
        "ping",
        "unknown",
        "app",
        "system",
    ]
    assert set(issue) <= set(KINDS)


def test_a_group_text_mentioning_the_bot() -> None:
    body = P.push(
        1,
        "@bot\u2005what time is it?",
        room=P.ROOM,
        mentions=[P.BOT, "wxid_x"],
        PushContent="Alice mentioned you",
    )
    event = parse_event(body)
    assert isinstance(event, TextEvent)
    assert event.text == "@bot\u2005what time is it?"
    assert event.mentions == (P.BOT, "wxid_x") and event.mentions_me
    assert event.push_content == "Alice mentioned you"
    other = parse_event(P.push(1, "hi all", room=P.ROOM, mentions=["wxid_x"]))
    assert other.mentions == ("wxid_x",) and not other.mentions_me  # type: ignore[union-attr]


@pytest.mark.parametrize("room", [None, P.ROOM])
def test_the_bots_own_message_from_another_device(room: str | None) -> None:
    event = parse_event(P.push(1, "sent from my phone:\nreally", room=room, sender=P.ALICE, self_sent=True))
    assert isinstance(event, TextEvent)
    assert event.is_self and event.from_wxid == P.BOT and event.sender_wxid == P.BOT
    assert event.chat_id == (room or P.ALICE)
    assert event.text == "sent from my phone:\nreally"  # no prefix to strip on the bot's own message


def test_the_bots_own_message_echoed_into_a_room_is_self() -> None:
    event = parse_event(P.push(1, "echo", room=P.ROOM, sender=P.BOT))
    assert isinstance(event, TextEvent)
    assert event.is_self and event.sender_wxid == P.BOT and event.chat_id == P.ROOM and event.text == "echo"
    other = parse_event(P.push(1, "hi", room=P.ROOM))
    assert not other.is_self  # type: ignore[union-attr]


@pytest.mark.parametrize("nid", [P.BIG_ID, 2**63 - 1, 18446744073709551615])
def test_ids_beyond_2_53_stay_exact_as_int_or_string(nid: int) -> None:
    for as_string in (False, True):
        event = parse_event(json.dumps(P.push(1, "x", new_msg_id=nid, id_as_string=as_string)))
        assert event.new_msg_id == nid and type(event.new_msg_id) is int  # type: ignore[union-attr]


def test_missing_optional_fields_and_empty_wrappers_are_none() -> None:
    body = {"TypeName": "AddMsg", "Appid": P.APP, "Data": {"MsgType": 1, "FromUserName": {}, "Content": {}}}
    event = parse_event(body)
    assert isinstance(event, TextEvent)
    assert event.wxid is None and event.from_wxid is None and event.text is None and event.new_msg_id is None
    assert event.created_at is None and event.mentions == () and not event.is_self
    image = parse_event({"TypeName": "AddMsg", "Data": {"MsgType": 3}})
    assert isinstance(image, ImageEvent) and image.aes_key is None and image.thumbnail is None


def test_image_thumbnail_from_imgbuf() -> None:
    event = parse_event(P.push(3, P.IMAGE, ImgBuf={"iLen": 67, "buffer": P.PNG_1x1}))
    assert isinstance(event, ImageEvent) and event.thumbnail is not None
    assert event.thumbnail.mime_type == "image/png"
    junk = parse_event(P.push(3, P.IMAGE, ImgBuf={"iLen": 3, "buffer": "!!notbase64"}))
    assert isinstance(junk, ImageEvent) and junk.thumbnail is None and junk.md5 == "9f86d081884c7d65"


def test_contacts_offline_and_the_test_message() -> None:
    up = parse_event(P.mod_contacts(P.ROOM, "Team", ChatRoomOwner="wxid_alice"))
    assert isinstance(up, ContactUpdateEvent)
    assert (up.user_name, up.nick_name, up.is_group, up.owner_wxid, up.remark) == (
        P.ROOM,
        "Team",
        True,
        "wxid_alice",
        None,
    )
    wrapped = parse_event(P.mod_contacts(P.ROOM, "Team", ChatRoomOwner={"string": "wxid_bob"}))
    assert isinstance(wrapped, ContactUpdateEvent) and wrapped.owner_wxid == "wxid_bob"
    friend = parse_event(P.mod_contacts("wxid_new", "Newbie"))
    assert isinstance(friend, ContactUpdateEvent) and not friend.is_group
    gone = parse_event(P.del_contacts("wxid_alice"))
    assert isinstance(gone, ContactDeletedEvent) and gone.user_name == "wxid_alice"
    left = parse_event(P.del_contacts(P.ROOM))
    assert isinstance(left, GroupLeftEvent) and left.room_id == P.ROOM
    off = parse_event({"TypeName": "Offline", "Appid": P.APP, "Wxid": P.BOT})
    assert isinstance(off, OfflineEvent) and off.app_id == P.APP


def test_the_test_message_never_shows_its_token(caplog: pytest.LogCaptureFixture) -> None:
    token = "tok-SECRET-5f3a9c"
    caplog.set_level(logging.DEBUG)
    event = parse_event(json.dumps({"testMsg": "回调地址验证", "token": token}))
    assert isinstance(event, PingEvent) and event.kind == "ping" and event.message == "回调地址验证"
    assert token not in repr(event) and token not in str(event) and token not in repr(event.raw)
    assert event.token_matches(token) and not event.token_matches("tok-OTHER-000000")
    assert token not in caplog.text


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"wcId": "wxid_bot01", "account": "x", "messageType": "60001", "data": {"content": "hi"}},
        {"TypeName": "Brand new"},
        {"TypeName": 7, "Data": [1, 2]},
        {"TypeName": "AddMsg", "Data": "not an object"},
        {"TypeName": "AddMsg"},
        {"TypeName": "ModContacts", "Data": None},
    ],
)
def test_foreign_shapes_are_events_keeping_raw(body: dict[str, Any]) -> None:
    event = parse_event(body)
    assert event.raw == body
    assert isinstance(event, UnknownEvent) or event.kind in KINDS


def test_wrong_types_everywhere_never_raise() -> None:
    data = {
        "MsgType": "1",
        "NewMsgId": 1.5,
        "FromUserName": "wxid_alice",
        "ToUserName": ["x"],
        "Content": {"string": 5},
        "CreateTime": 10**30,
        "MsgSource": {"x": 1},
        "ImgBuf": "x",
        "PushContent": 3,
    }
    event = parse_event({"TypeName": "AddMsg", "Appid": ["a"], "Wxid": {}, "Data": data})
    assert isinstance(event, TextEvent)
    assert event.msg_type == 1 and event.from_wxid == "wxid_alice" and event.new_msg_id is None
    assert event.app_id is None and event.created_at is None and event.text is None


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"[1, 2]", b'"text"', b"3", b"null", b"\xff\xfe", "[" * 100_000, 42, None]
)
def test_what_is_not_a_json_object_is_a_gewe_event_error(body: Any) -> None:
    with pytest.raises(GeweEventError) as info:
        parse_event(body)
    assert isinstance(info.value, GeweError)
    assert "not json" not in str(info.value)  # the message describes the body, never quotes it


@pytest.mark.parametrize(
    ("msg_type", "broken", "cls"),
    [
        (3, "<msg><img aeskey='x'", ImageEvent),
        (49, "<msg><appmsg><type>5</type>", OtherAppEvent),
        (10002, "<sysmsg type='revokemsg'><revokemsg>", OtherSystemEvent),
        (3, P.BILLION_LAUGHS, ImageEvent),
        (3, P.EXTERNAL_ENTITY, ImageEvent),
    ],
)
def test_broken_or_hostile_xml_keeps_the_kind_with_fields_none_and_one_warning(
    msg_type: int, broken: str, cls: type[Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="gewe.events")
    body = P.push(msg_type, broken, MsgSource="<msgsource><atuserlist>wxid_x")
    event = parse_event(body)
    assert type(event) is cls
    if isinstance(event, ImageEvent):
        assert event.aes_key is None and event.md5 is None
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert str(body["Data"]["NewMsgId"]) in warnings[0].getMessage()
    assert "lol" not in warnings[0].getMessage()


QUADRATIC_BLOWUP = (
    '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "' + "x" * 10_000 + '">]><msg>' + "&a;" * 1000 + "</msg>"
)
XML_ATTACKS = {
    "billion laughs": P.BILLION_LAUGHS,
    "quadratic blowup": QUADRATIC_BLOWUP,
    "external entity": P.EXTERNAL_ENTITY,
    "external DTD": '<?xml version="1.0"?><!DOCTYPE msg SYSTEM "http://127.0.0.1:1/evil.dtd"><msg/>',
    "public DTD": '<!DOCTYPE msg PUBLIC "-//X//Y" "http://127.0.0.1:1/y.dtd"><msg/>',
    "parameter entity": '<!DOCTYPE m [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><msg/>',
    "empty DOCTYPE": "<!DOCTYPE msg><msg/>",
    "DOCTYPE after a comment": "<!-- x --><!DOCTYPE msg [<!ENTITY e 'x'>]><msg>&e;</msg>",
    "UTF-16 declared": '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE m [<!ENTITY e "x">]><msg>&e;</msg>',
}


@pytest.mark.parametrize("name", sorted(XML_ATTACKS))
def test_every_xml_attack_is_refused_as_defusedxml_refuses_it(name: str) -> None:
    import defusedxml
    from defusedxml.ElementTree import fromstring as defused

    from gewe.events.xml import XMLRefused, attributes, parse_xml

    attack = XML_ATTACKS[name]
    with pytest.raises((defusedxml.DefusedXmlException, ElementTree.ParseError)):
        defused(attack, forbid_dtd=True)  # the old reader refused it too
    with pytest.raises(XMLRefused):
        parse_xml(attack)
    for tag in (None, "msg", "img"):  # the one-pass reader of attribute-only kinds refuses it too
        with pytest.raises(XMLRefused):
            attributes(attack, tag)


@pytest.mark.parametrize(
    "text",
    [
        "<msg>&undefined;</msg>",  # no DTD: only the five predefined entities exist
        "<msg><![CDATA[<!DOCTYPE x>]]></msg>",  # refused, though harmless: no reasoning about where
    ],
)
def test_entities_without_a_dtd_and_doctype_anywhere_are_refused(text: str) -> None:
    from gewe.events.xml import XMLRefused, attributes, parse_xml

    with pytest.raises(XMLRefused):
        parse_xml(text)
    with pytest.raises(XMLRefused):
        attributes(text, "msg")


def test_predefined_entities_character_references_and_cdata_still_read() -> None:
    from gewe.events.xml import parse_xml, text

    root = parse_xml(
        '<?xml version="1.0" encoding="gbk"?><msg a="&lt;&#x41;"><t><![CDATA[中&amp;]]></t></msg>'
    )
    assert root.get("a") == "<A" and text(root, "t") == "中&amp;"
