"""An `AddMsg` push's kind and per-kind fields, from `MsgType` and the XML in `Content`.

`message_event(common, content, xml_of, thumbnail)` picks the class; `common` holds the fields
every message has (MessageEvent's). XML that does not parse leaves the kind as `MsgType` says and
the per-kind fields None (`xml_of` logs it once and returns None).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from xml.etree.ElementTree import Element

from ..images import Image
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
from .xml import attr, element, text, to_float, to_int

XmlOf = Callable[[str | None], Element | None]
INVITE_MARK = "addchatroombyinvite"  # the path of a group invitation link


def _millis(value: int | None) -> timedelta | None:
    return None if value is None or value < 0 else timedelta(milliseconds=value)


def _seconds(value: int | None) -> timedelta | None:
    return None if value is None or value < 0 else timedelta(seconds=value)


def _image(c: dict[str, Any], root: Element | None, thumbnail: Image | None) -> Event:
    img = element(root, "img")
    return ImageEvent(
        **c,
        aes_key=attr(img, "aeskey"),
        md5=attr(img, "md5"),
        size=to_int(attr(img, "length")),
        cdn_mid_url=attr(img, "cdnmidimgurl"),
        cdn_thumb_url=attr(img, "cdnthumburl"),
        thumbnail=thumbnail,
    )


def _voice(c: dict[str, Any], root: Element | None) -> Event:
    v = element(root, "voicemsg")
    return VoiceEvent(
        **c,
        duration=_millis(to_int(attr(v, "voicelength"))),
        aes_key=attr(v, "aeskey"),
        size=to_int(attr(v, "length")),
    )


def _video(c: dict[str, Any], root: Element | None) -> Event:
    v = element(root, "videomsg")
    return VideoEvent(
        **c,
        duration=_seconds(to_int(attr(v, "playlength"))),
        aes_key=attr(v, "aeskey"),
        size=to_int(attr(v, "length")),
        md5=attr(v, "md5"),
        cdn_video_url=attr(v, "cdnvideourl"),
    )


def _emoji(c: dict[str, Any], root: Element | None) -> Event:
    e = element(root, "emoji")
    return EmojiEvent(**c, md5=attr(e, "md5"), size=to_int(attr(e, "len")), url=attr(e, "cdnurl"))


def _location(c: dict[str, Any], root: Element | None) -> Event:
    loc = element(root, "location")
    return LocationEvent(
        **c,
        latitude=to_float(attr(loc, "x")),
        longitude=to_float(attr(loc, "y")),
        label=attr(loc, "label"),
        poi_name=attr(loc, "poiname"),
    )


def _card(c: dict[str, Any], root: Element | None) -> Event:
    return CardEvent(**c, card_wxid=attr(root, "username"), card_nickname=attr(root, "nickname"))


def _friend_request(c: dict[str, Any], root: Element | None) -> Event:
    return FriendRequestEvent(
        **c,
        requester_wxid=attr(root, "fromusername"),
        nickname=attr(root, "fromnickname"),
        v3=attr(root, "encryptusername"),
        v4=attr(root, "ticket"),
        scene=to_int(attr(root, "scene")),
        greeting=attr(root, "content"),
    )


def _app(c: dict[str, Any], root: Element | None) -> Event:
    app = element(root, "appmsg")
    app_type = to_int(text(app, "type"))
    base: dict[str, Any] = {
        **c,
        "app_type": app_type,
        "title": text(app, "title"),
        "description": text(app, "des"),
        "url": text(app, "url"),
    }
    if app_type == 5:
        url = base["url"] or ""
        return GroupInviteEvent(**base) if INVITE_MARK in url else LinkEvent(**base)
    if app_type in (6, 74):
        file = {
            "file_name": base["title"],
            "size": to_int(text(app, "appattach/totallen")),
            "ext": text(app, "appattach/fileext"),
        }
        if app_type == 74:
            return FileNoticeEvent(**base, **file)
        return FileEvent(**base, **file, md5=text(app, "md5"), attach_id=text(app, "appattach/attachid"))
    if app_type in (33, 36):
        return MiniProgramEvent(
            **base, page_path=text(app, "weappinfo/pagepath"), mini_program_id=text(app, "weappinfo/appid")
        )
    if app_type == 51:
        feed = element(app, "finderFeed")
        base["description"] = text(feed, "desc")
        return ChannelsEvent(**base, nickname=text(feed, "nickname"), object_id=text(feed, "objectId"))
    if app_type == 57:
        ref = element(app, "refermsg")
        return QuoteEvent(
            **base,
            text=base["title"],
            quoted_new_msg_id=to_int(text(ref, "svrid")),
            # in a group `fromusr` is the room and `chatusr` the author; in a private chat only fromusr
            quoted_sender_wxid=text(ref, "chatusr") or text(ref, "fromusr"),
            quoted_content=text(ref, "content"),
        )
    if app_type == 2000:
        pay = element(app, "wcpayinfo")
        return TransferEvent(
            **base,
            transfer_id=text(pay, "transferid"),
            amount_text=text(pay, "feedesc"),
            payer_wxid=text(pay, "payer_username"),
            receiver_wxid=text(pay, "receiver_username"),
            memo=text(pay, "pay_memo"),
            pay_subtype=to_int(text(pay, "paysubtype")),
        )
    if app_type == 2001:
        base["title"] = text(element(app, "wcpayinfo"), "sendertitle") or base["title"]
        return RedPacketEvent(**base)
    return OtherAppEvent(**base)


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


def _system(c: dict[str, Any], root: Element | None) -> Event:
    sys_type = attr(root, "type")
    base = {**c, "sys_type": sys_type}
    if sys_type == "revokemsg":
        rv = element(root, "revokemsg")
        return RevokeEvent(
            **base, revoked_new_msg_id=to_int(text(rv, "newmsgid")), notice=text(rv, "replacemsg")
        )
    if sys_type == "pat":
        pat = element(root, "pat")
        return PatEvent(
            **base,
            patter_wxid=text(pat, "fromusername"),
            patted_wxid=text(pat, "pattedusername"),
            template=text(pat, "template"),
        )
    if sys_type == "sysmsgtemplate":
        tpl = element(root, "content_template")
        template = text(tpl, "template")
        members = _members(element(tpl, "link_list"))
        filled = _fill(template, element(tpl, "link_list"), members) if template else None
        return GroupEvent(**base, template=template, members=tuple(m for _, m in members), text=filled)
    if sys_type == "delchatroommember":
        dm = element(root, "delchatroommember")
        plain = text(dm, "plain") or text(dm, "text")
        members = _members(dm)
        return GroupEvent(**base, template=plain, members=tuple(m for _, m in members), text=plain)
    if sys_type == "mmchatroombarannouncememt":
        ann = element(root, "mmchatroombarannouncememt")
        return GroupAnnouncementEvent(**base, text=text(ann, "content") or text(root, ".//content"))
    if sys_type == "roomtoolstips":
        return GroupTodoEvent(**base, title=text(root, ".//todo/title") or text(root, ".//title"))
    return OtherSystemEvent(**base)


_BY_XML: dict[int, Callable[[dict[str, Any], Element | None], Event]] = {
    34: _voice,
    43: _video,
    47: _emoji,
    48: _location,
    42: _card,
    37: _friend_request,
    49: _app,
    10002: _system,
}


def message_event(
    common: dict[str, Any], content: str | None, xml_of: XmlOf, thumbnail: Image | None
) -> Event:
    """The event for an `AddMsg` push of `MsgType` `common["msg_type"]`."""
    msg_type = common["msg_type"]
    if msg_type == 1:
        return TextEvent(**common, text=content)
    if msg_type == 10000:
        return SystemNoticeEvent(**common, text=content)
    if msg_type == 3:
        return _image(common, xml_of(content), thumbnail)
    build = _BY_XML.get(msg_type)
    if build is not None:
        return build(common, xml_of(content))
    return OtherMessageEvent(**common)
