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
    """(link name, member) for every member below `root`."""
    out: list[tuple[str | None, Member]] = []
    if root is None:
        return out
    for link in root.iter("link"):
        name = attr(link, "name")
        for member in link.iter("member"):
            out.append((name, Member(text(member, "username"), text(member, "nickname"))))
        for memberlist in link.iter("memberlist"):  # <memberlist><username>..</username></memberlist>
            for user in memberlist.findall("username"):
                wxid = (user.text or "").strip() or None
                out.append((name, Member(wxid, None)))
    return out


def _fill(template: str, root: Element | None, members: list[tuple[str | None, Member]]) -> str:
    """`template` with each `$name$` slot replaced by its link's member nicknames (or its title)."""
    out = template
    for link in root.iter("link") if root is not None else ():
        name = attr(link, "name")
        if not name or f"${name}$" not in out:
            continue
        names = [m.nickname or m.wxid or "" for n, m in members if n == name]
        value = "、".join(n for n in names if n) or text(link, "title") or ""
        out = out.replace(f"${name}$", value)
    return out


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
