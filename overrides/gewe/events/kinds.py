"""An `AddMsg` push's kind and per-kind fields, from `MsgType` and the XML in `Content`.

`build_message(common, msg_type, content, xml, thumbnail)` picks the class; `common` holds the
values of the fields every message has (MessageEvent's init fields, in their order). XML that does
not parse leaves the kind as `MsgType` says and the per-kind fields None (`xml` logs it once and
returns None). Kinds that need one element's attributes read them without a tree
(`xml.attributes`). Events are built with `construct.maker` (their `__init__`'s result, cheaper).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Protocol
from xml.etree.ElementTree import Element

from ..images import Image
from .construct import maker
from .models import (
    CardEvent,
    ChannelsEvent,
    EmojiEvent,
    Event,
    FileEvent,
    FileNoticeEvent,
    FriendRequestEvent,
    GroupAnnouncementEvent,
    GroupEvent,
    GroupInviteEvent,
    GroupTodoEvent,
    ImageEvent,
    LinkEvent,
    LocationEvent,
    Member,
    MessageEvent,
    MiniProgramEvent,
    OtherAppEvent,
    OtherMessageEvent,
    OtherSystemEvent,
    PatEvent,
    QuoteEvent,
    RedPacketEvent,
    RevokeEvent,
    SystemNoticeEvent,
    TextEvent,
    TransferEvent,
    VideoEvent,
    VoiceEvent,
)
from .xml import attr, attr_values, element, text, to_float, to_int

Common = tuple[Any, ...]  # MessageEvent's init field values, in field order
XmlOf = Callable[[str | None], Element | None]
_COMMON_FIELDS = tuple(
    (f.name, f.default if f.default is not dataclasses.MISSING else {})  # (raw: a dict by default)
    for f in dataclasses.fields(MessageEvent)
    if f.init
)
INVITE_MARK = "addchatroombyinvite"  # the path of a group invitation link


class XmlReader(Protocol):
    """Reads a push's XML (None, logged once, when refused), or some attributes of one element of it
    (each None then): `attributes(content, tag, names)` is `attr(element(xml(content), tag), name)`
    for each name, without a tree."""

    def __call__(self, content: str | None) -> Element | None: ...

    def attributes(
        self, content: str | None, tag: str | None, names: tuple[str, ...]
    ) -> tuple[str | None, ...]: ...


_TEXT = maker(TextEvent)
_SYSTEM_NOTICE = maker(SystemNoticeEvent)
_OTHER_MESSAGE = maker(OtherMessageEvent)
_IMAGE = maker(ImageEvent)
_VOICE = maker(VoiceEvent)
_VIDEO = maker(VideoEvent)
_EMOJI = maker(EmojiEvent)
_LOCATION = maker(LocationEvent)
_CARD = maker(CardEvent)
_FRIEND_REQUEST = maker(FriendRequestEvent)
_GROUP_INVITE = maker(GroupInviteEvent)
_LINK = maker(LinkEvent)
_FILE = maker(FileEvent)
_FILE_NOTICE = maker(FileNoticeEvent)
_MINI_PROGRAM = maker(MiniProgramEvent)
_CHANNELS = maker(ChannelsEvent)
_QUOTE = maker(QuoteEvent)
_TRANSFER = maker(TransferEvent)
_RED_PACKET = maker(RedPacketEvent)
_OTHER_APP = maker(OtherAppEvent)
_REVOKE = maker(RevokeEvent)
_PAT = maker(PatEvent)
_GROUP = maker(GroupEvent)
_GROUP_ANNOUNCEMENT = maker(GroupAnnouncementEvent)
_GROUP_TODO = maker(GroupTodoEvent)
_OTHER_SYSTEM = maker(OtherSystemEvent)


def _millis(value: int | None) -> timedelta | None:
    return None if value is None or value < 0 else timedelta(milliseconds=value)


def _seconds(value: int | None) -> timedelta | None:
    return None if value is None or value < 0 else timedelta(seconds=value)


def _image(c: Common, content: str | None, xml: XmlReader, thumbnail: Image | None) -> Event:
    aes_key, md5, length, mid_url, thumb_url = xml.attributes(
        content, "img", ("aeskey", "md5", "length", "cdnmidimgurl", "cdnthumburl")
    )
    return _IMAGE(*c, aes_key, md5, to_int(length), mid_url, thumb_url, thumbnail)


def _voice(c: Common, content: str | None, xml: XmlReader) -> Event:
    length_ms, aes_key, size = xml.attributes(content, "voicemsg", ("voicelength", "aeskey", "length"))
    return _VOICE(*c, _millis(to_int(length_ms)), aes_key, to_int(size))


def _video(c: Common, content: str | None, xml: XmlReader) -> Event:
    seconds, aes_key, size, md5, url = xml.attributes(
        content, "videomsg", ("playlength", "aeskey", "length", "md5", "cdnvideourl")
    )
    return _VIDEO(*c, _seconds(to_int(seconds)), aes_key, to_int(size), md5, url)


def _emoji(c: Common, content: str | None, xml: XmlReader) -> Event:
    md5, size, url = xml.attributes(content, "emoji", ("md5", "len", "cdnurl"))
    return _EMOJI(*c, md5, to_int(size), url)


def _location(c: Common, content: str | None, xml: XmlReader) -> Event:
    x, y, label, poi_name = xml.attributes(content, "location", ("x", "y", "label", "poiname"))
    return _LOCATION(*c, to_float(x), to_float(y), label, poi_name)


def _card(c: Common, content: str | None, xml: XmlReader) -> Event:
    wxid, nickname = xml.attributes(content, None, ("username", "nickname"))
    return _CARD(*c, wxid, nickname)


def _friend_request(c: Common, content: str | None, xml: XmlReader) -> Event:
    wxid, nickname, v3, v4, scene, greeting = xml.attributes(
        content, None, ("fromusername", "fromnickname", "encryptusername", "ticket", "scene", "content")
    )
    return _FRIEND_REQUEST(*c, wxid, nickname, v3, v4, to_int(scene), greeting)


def _app(c: Common, content: str | None, xml: XmlReader) -> Event:
    app = element(xml(content), "appmsg")
    app_type = to_int(text(app, "type"))
    title, description, url = text(app, "title"), text(app, "des"), text(app, "url")
    base = (*c, app_type, title, description, url)  # AppEvent's init fields
    if app_type == 5:
        make = _GROUP_INVITE if INVITE_MARK in (url or "") else _LINK
        return make(*base)
    if app_type in (6, 74):
        size, ext = to_int(text(app, "appattach/totallen")), text(app, "appattach/fileext")
        if app_type == 74:
            return _FILE_NOTICE(*base, file_name=title, size=size, ext=ext)
        return _FILE(
            *base,
            file_name=title,
            size=size,
            ext=ext,
            md5=text(app, "md5"),
            attach_id=text(app, "appattach/attachid"),
        )
    if app_type in (33, 36):
        return _MINI_PROGRAM(
            *base,
            page_path=text(app, "weappinfo/pagepath"),
            mini_program_id=text(app, "weappinfo/appid"),
        )
    if app_type == 51:
        feed = element(app, "finderFeed")
        return _CHANNELS(
            *c,
            app_type,
            title,
            text(feed, "desc"),  # (the post's description, not the message's)
            url,
            nickname=text(feed, "nickname"),
            object_id=text(feed, "objectId"),
        )
    if app_type == 57:
        ref = element(app, "refermsg")
        return _QUOTE(
            *base,
            text=title,
            quoted_new_msg_id=to_int(text(ref, "svrid")),
            # in a group `fromusr` is the room and `chatusr` the author; in a private chat only fromusr
            quoted_sender_wxid=text(ref, "chatusr") or text(ref, "fromusr"),
            quoted_content=text(ref, "content"),
        )
    if app_type == 2000:
        pay = element(app, "wcpayinfo")
        return _TRANSFER(
            *base,
            transfer_id=text(pay, "transferid"),
            amount_text=text(pay, "feedesc"),
            payer_wxid=text(pay, "payer_username"),
            receiver_wxid=text(pay, "receiver_username"),
            memo=text(pay, "pay_memo"),
            pay_subtype=to_int(text(pay, "paysubtype")),
        )
    if app_type == 2001:
        title = text(element(app, "wcpayinfo"), "sendertitle") or title
        return _RED_PACKET(*c, app_type, title, description, url)
    return _OTHER_APP(*base)


def _members(root: Element | None) -> list[tuple[str | None, Member]]:
    """(link name, member) for every member below `root`, under its outermost `<link>`.

    Linear in the tree's size however links nest: a link inside another is read as part of the
    outer one (its subtree is walked once, not once per enclosing link).
    """
    out: list[tuple[str | None, Member]] = []
    if root is None:
        return out
    inner: set[int] = set()
    for link in root.iter("link"):
        if id(link) in inner:
            continue
        nested = link.iter("link")
        next(nested)  # the link itself
        inner.update(id(sub) for sub in nested)
        name = attr(link, "name")
        for el in link.iter():
            tag = el.tag
            if tag == "member":
                out.append((name, Member(text(el, "username"), text(el, "nickname"))))
            elif tag == "memberlist":  # <memberlist><username>..</username></memberlist>
                for user in el.findall("username"):
                    out.append((name, Member((user.text or "").strip() or None, None)))
    return out


def _fill(template: str, root: Element | None, members: list[tuple[str | None, Member]]) -> str:
    """`template` with each `$name$` slot replaced by its link's member nicknames (or its title).

    Linear: the values are gathered in one pass over the members and links, and the template is
    read once, left to right (a value put in is never read again for slots).
    """
    names: dict[str, list[str]] = {}
    for link_name, m in members:
        if link_name:
            shown = m.nickname or m.wxid
            bucket = names.setdefault(link_name, [])
            if shown:
                bucket.append(shown)
    values: dict[str, str] = {}
    for link in root.iter("link") if root is not None else ():
        name = attr(link, "name")
        if name and name not in values:
            values[name] = "、".join(names.get(name, ())) or text(link, "title") or ""
    if not values:
        return template
    out: list[str] = []
    start = 0
    find = template.find
    while (i := find("$", start)) != -1:
        j = find("$", i + 1)
        if j == -1:
            break
        value = values.get(template[i + 1 : j])
        if value is None:  # not a slot: keep this "$", look again from the next one
            out.append(template[start : i + 1])
            start = i + 1
        else:
            out.append(template[start:i])
            out.append(value)
            start = j + 1
    out.append(template[start:])
    return "".join(out)


def _system(c: Common, content: str | None, xml: XmlReader) -> Event:
    root = xml(content)
    sys_type = attr(root, "type")
    if sys_type == "revokemsg":
        rv = element(root, "revokemsg")
        return _REVOKE(
            *c, sys_type, revoked_new_msg_id=to_int(text(rv, "newmsgid")), notice=text(rv, "replacemsg")
        )
    if sys_type == "pat":
        pat = element(root, "pat")
        return _PAT(
            *c,
            sys_type,
            patter_wxid=text(pat, "fromusername"),
            patted_wxid=text(pat, "pattedusername"),
            template=text(pat, "template"),
        )
    if sys_type == "sysmsgtemplate":
        tpl = element(root, "content_template")
        template = text(tpl, "template")
        members = _members(element(tpl, "link_list"))
        filled = _fill(template, element(tpl, "link_list"), members) if template else None
        return _GROUP(*c, sys_type, template=template, members=tuple(m for _, m in members), text=filled)
    if sys_type == "delchatroommember":
        dm = element(root, "delchatroommember")
        plain = text(dm, "plain") or text(dm, "text")
        members = _members(dm)
        return _GROUP(*c, sys_type, template=plain, members=tuple(m for _, m in members), text=plain)
    if sys_type == "mmchatroombarannouncememt":
        ann = element(root, "mmchatroombarannouncememt")
        return _GROUP_ANNOUNCEMENT(*c, sys_type, text=text(ann, "content") or text(root, ".//content"))
    if sys_type == "roomtoolstips":
        return _GROUP_TODO(*c, sys_type, title=text(root, ".//todo/title") or text(root, ".//title"))
    return _OTHER_SYSTEM(*c, sys_type)


_BY_XML: dict[int, Callable[[Common, str | None, XmlReader], Event]] = {
    34: _voice,
    43: _video,
    47: _emoji,
    48: _location,
    42: _card,
    37: _friend_request,
    49: _app,
    10002: _system,
}


def build_message(
    common: Common, msg_type: int | None, content: str | None, xml: XmlReader, thumbnail: Image | None
) -> Event:
    """The event for an `AddMsg` push of `MsgType` `msg_type` (also in `common`)."""
    if msg_type == 1:
        return _TEXT(*common, content)
    if msg_type == 10000:
        return _SYSTEM_NOTICE(*common, content)
    if msg_type == 3:
        return _image(common, content, xml, thumbnail)
    build = _BY_XML.get(msg_type or 0)
    if build is not None:
        return build(common, content, xml)
    return _OTHER_MESSAGE(*common)


class _TreeReader:
    """An `XmlReader` from an `XmlOf` (what `message_event` was given)."""

    def __init__(self, xml_of: XmlOf) -> None:
        self.xml_of = xml_of

    def __call__(self, content: str | None) -> Element | None:
        return self.xml_of(content)

    def attributes(
        self, content: str | None, tag: str | None, names: tuple[str, ...]
    ) -> tuple[str | None, ...]:
        root = self.xml_of(content)
        found = root if tag is None else element(root, tag)
        return attr_values(dict(found.attrib) if found is not None else None, names)


def message_event(
    common: dict[str, Any], content: str | None, xml_of: XmlOf, thumbnail: Image | None
) -> Event:
    """The event for an `AddMsg` push of `MsgType` `common["msg_type"]`; `common` holds the
    MessageEvent fields by name, `xml_of` parses XML (None when refused). (`build_message` is the
    same, cheaper: parse_event's.)"""
    values = tuple(common.get(name, default) for name, default in _COMMON_FIELDS)
    return build_message(values, common.get("msg_type"), content, _TreeReader(xml_of), thumbnail)
