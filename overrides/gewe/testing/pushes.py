"""Push bodies shaped like GeWe's, for tests: `await fake.push(pushes.text("hello"))`.

Every factory returns the decoded JSON object GeWe would POST (`TypeName`, `Appid`, `Wxid`,
`Data`), and `gewe.events.parse_event` reads it back to the same fields. Message factories take,
besides their own fields:

- `sender` (default "wxid_alice") and `room` (an "...@chatroom" id: a group message, with GeWe's
  `"<sender>:\\n"` prefix in `Content`), `self_sent=True` for the bot's own message;
- `bot` (the bot's wxid, `Wxid`), `app_id` (`Appid`), `new_msg_id` (default: a fresh id beyond
  2^53), `msg_id`, `create_time` (Unix seconds), `push_content`, `mentions` (one wxid or
  several, never a str's characters; listed in `MsgSource` as GeWe does).

The XML inside `Content` is written the way GeWe writes it (attributes for images, voices,
videos, emoji, locations, cards and friend requests; `<appmsg>` for app messages; `<sysmsg>` for
system messages), with every value escaped.
"""

from __future__ import annotations

import base64
import itertools
import secrets
import time
from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape, quoteattr

BOT = "wxid_bot01"
APP_ID = "wx_fake_app"
SENDER = "wxid_alice"
ROOM = "20001@chatroom"
MENTION_SPACE = "\u2005"  # what WeChat puts after each @name
# Fresh ids beyond 2^53, from a random start: pushes made by separate processes (`gewe fake push`)
# must not look like one message delivered twice.
_ids = itertools.count(7_000_000_000_000_000_000 + secrets.randbelow(10**15) * 1000)  # < 2^63

Push = dict[str, Any]


def next_id() -> int:
    """A fresh `NewMsgId` (beyond 2^53, as GeWe's are)."""
    return next(_ids)


def _attrs(**values: Any) -> str:
    return " ".join(f"{k}={quoteattr(str(v))}" for k, v in values.items() if v is not None)


def _el(tag: str, value: Any) -> str:
    return "" if value is None else f"<{tag}>{escape(str(value))}</{tag}>"


def _wxids(value: str | Iterable[str] | None, what: str) -> list[str]:
    """A list of wxids from one wxid (a str is one, never its characters) or any iterable of them."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    try:
        found = list(value)
    except TypeError:
        raise TypeError(f"{what}: each is a wxid (a str), got {type(value).__name__}") from None
    for item in found:
        if not isinstance(item, str):
            raise TypeError(f"{what}: each is a wxid (a str), got {type(item).__name__}")
    return found


def _member(value: Any, what: str) -> tuple[str, str]:
    """(wxid, nickname) from a pair, or from a wxid alone (named by it)."""
    if isinstance(value, str):
        return value, value
    if isinstance(value, tuple | list) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return value[0], value[1]
    raise TypeError(f"{what}, got {value!r}")


def _members(value: Any, what: str) -> list[tuple[str, str]]:
    """Members from one member (a wxid, or a (wxid, nickname) pair) or an iterable of them."""
    if isinstance(value, str) or (
        isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value)
    ):
        return [_member(value, what)]
    try:
        items = list(value)
    except TypeError:
        raise TypeError(f"{what}, got {value!r}") from None
    return [_member(item, what) for item in items]


def envelope(type_name: str, data: Any = None, *, app_id: str = APP_ID, bot: str | None = BOT) -> Push:
    """`{"TypeName", "Appid", "Wxid", "Data"}` (no `Data` when None, no `Wxid` when `bot` is None)."""
    body: Push = {"TypeName": type_name, "Appid": app_id}
    if bot is not None:
        body["Wxid"] = bot
    if data is not None:
        body["Data"] = data
    return body


def message(
    msg_type: int,
    content: str,
    *,
    sender: str = SENDER,
    room: str | None = None,
    self_sent: bool = False,
    bot: str = BOT,
    app_id: str = APP_ID,
    new_msg_id: int | str | None = None,
    msg_id: int | None = None,
    create_time: int | None = None,
    mentions: str | Iterable[str] | None = None,
    push_content: str | None = None,
    thumbnail: bytes | None = None,
) -> Push:
    """An `AddMsg` push of `msg_type` with `content` (text or XML), private or in `room`;
    `mentions` is one wxid or several."""
    mentions = _wxids(mentions, "mentions")
    nid = new_msg_id if new_msg_id is not None else next_id()
    if room is None:
        frm, to = (bot, sender) if self_sent else (sender, bot)
        body = content
    elif self_sent:
        frm, to, body = bot, room, content
    else:
        frm, to, body = room, bot, f"{sender}:\n{content}"
    source = "<msgsource><silence>0</silence><membercount>3</membercount></msgsource>"
    if mentions:
        source = f"<msgsource><atuserlist><![CDATA[{','.join(mentions)}]]></atuserlist></msgsource>"
    data: dict[str, Any] = {
        "MsgId": msg_id if msg_id is not None else int(nid) % 1_000_000_000,
        "NewMsgId": nid,
        "MsgSeq": 1,
        "FromUserName": {"string": frm},
        "ToUserName": {"string": to},
        "MsgType": msg_type,
        "Content": {"string": body},
        "Status": 3,
        "ImgStatus": 2 if thumbnail else 1,
        "ImgBuf": {"iLen": len(thumbnail), "buffer": base64.b64encode(thumbnail).decode()}
        if thumbnail
        else {"iLen": 0},
        "CreateTime": create_time if create_time is not None else int(time.time()),
        "MsgSource": source,
    }
    if push_content is not None:
        data["PushContent"] = push_content
    return envelope("AddMsg", data, app_id=app_id, bot=bot)


# ----------------------------------------------------------------------------- texts


def text(content: str, **common: Any) -> Push:
    """A text (`MsgType` 1), private unless `room=` is given."""
    return message(1, content, **common)


def group_text(content: str, *, room: str = ROOM, mentions: str | Iterable[str] = (), **common: Any) -> Push:
    """A text in `room`; `mentions` (one wxid, or several) are listed in `MsgSource` and written into
    the text as `@<wxid>` followed by U+2005 (as WeChat does), unless the text already carries them."""
    wxids = _wxids(mentions, "mentions")
    marks = "".join(f"@{w}{MENTION_SPACE}" for w in wxids if f"@{w}" not in content)
    return message(1, marks + content, room=room, mentions=wxids, **common)


def system_notice(content: str, **common: Any) -> Push:
    """A plain-text system notice (`MsgType` 10000), e.g. "you were removed from the group"."""
    return message(10000, content, **common)


# ----------------------------------------------------------------------------- media


def image(
    *,
    aes_key: str = "a1b2c3d4",
    md5: str = "9f86d081884c7d65",
    size: int = 53210,
    cdn_mid_url: str = "3057020100mid",
    cdn_thumb_url: str = "3057020100thumb",
    thumbnail: bytes | None = None,
    **common: Any,
) -> Push:
    """An image (`MsgType` 3); `thumbnail` (image bytes) goes into `ImgBuf` as GeWe sends it."""
    xml = (
        f'<?xml version="1.0"?>\n<msg><img {_attrs(aeskey=aes_key, encryver=1, cdnthumburl=cdn_thumb_url)} '
        f'{_attrs(cdnmidimgurl=cdn_mid_url, length=size, md5=md5)} hevc_mid_size="0" /></msg>'
    )
    return message(3, xml, thumbnail=thumbnail, **common)


def voice(
    *, duration_ms: int = 2500, size: int = 4321, aes_key: str = "v-key", voice_url: str = "u", **common: Any
) -> Push:
    """A voice message (`MsgType` 34); `voicelength` is in milliseconds."""
    attrs = _attrs(endflag=1, length=size, voicelength=duration_ms, aeskey=aes_key, voiceurl=voice_url)
    return message(34, f"<msg><voicemsg {attrs} /></msg>", **common)


def video(
    *,
    duration_s: int = 12,
    size: int = 1048576,
    aes_key: str = "vid-key",
    md5: str = "mv5",
    cdn_video_url: str = "cdnv",
    cdn_thumb_url: str = "th",
    **common: Any,
) -> Push:
    """A video (`MsgType` 43); `playlength` is in seconds."""
    attrs = _attrs(
        aeskey=aes_key,
        cdnthumburl=cdn_thumb_url,
        cdnvideourl=cdn_video_url,
        length=size,
        playlength=duration_s,
        md5=md5,
    )
    return message(43, f"<msg><videomsg {attrs} /></msg>", **common)


def emoji(
    *, md5: str = "e-md5", size: int = 2048, url: str = "http://emoji.example/x", **common: Any
) -> Push:
    """An emoji (`MsgType` 47)."""
    return message(
        47, f"<msg><emoji {_attrs(md5=md5, len=size, cdnurl=url, width=240, height=240)} /></msg>", **common
    )


def location(
    *,
    latitude: float = 31.230416,
    longitude: float = 121.473701,
    label: str = "上海市黄浦区人民大道",
    poi_name: str = "人民广场",
    **common: Any,
) -> Push:
    """A location (`MsgType` 48): `x` is the latitude, `y` the longitude."""
    attrs = _attrs(x=repr(latitude), y=repr(longitude), scale=15, label=label, poiname=poi_name)
    return message(48, f"<msg><location {attrs} /></msg>", **common)


def card(*, card_wxid: str = "wxid_carol", card_nickname: str = "Carol", **common: Any) -> Push:
    """A contact card (`MsgType` 42)."""
    attrs = _attrs(bigheadimgurl="http://h", username=card_wxid, nickname=card_nickname, sex=2)
    return message(42, f'<?xml version="1.0"?>\n<msg {attrs} />', **common)


def friend_request(
    *,
    requester_wxid: str = "wxid_dave",
    nickname: str = "Dave",
    v3: str = "v3_abc@stranger",
    v4: str = "v4_def@stranger",
    scene: int = 30,
    greeting: str = "Hi, I am Dave",
    **common: Any,
) -> Push:
    """A friend request (`MsgType` 37): accept it with `v3` and `v4`. GeWe sends it from fmessage."""
    attrs = _attrs(
        fromusername=requester_wxid,
        encryptusername=v3,
        fromnickname=nickname,
        content=greeting,
        scene=scene,
        ticket=v4,
        sex=1,
    )
    common.setdefault("sender", "fmessage")
    return message(37, f"<msg {attrs} />", **common)


# ----------------------------------------------------------------------------- app messages (49)


def _appmsg(app_type: int, title: str | None, inner: str, sender: str) -> str:
    return (
        f'<?xml version="1.0"?>\n<msg><appmsg appid="" sdkver="0">{_el("title", title)}'
        f"<type>{app_type}</type>{inner}</appmsg><fromusername>{escape(sender)}</fromusername></msg>"
    )


def app(
    app_type: int,
    *,
    title: str | None = "a title",
    description: str | None = None,
    url: str | None = None,
    inner: str = "",
    **common: Any,
) -> Push:
    """An app message (`MsgType` 49) of `app_type`; `inner` is more XML inside `<appmsg>`."""
    body = _el("des", description) + _el("url", url) + inner
    return message(49, _appmsg(app_type, title, body, common.get("sender", SENDER)), **common)


def link(
    *,
    title: str = "Read me",
    description: str = "an article",
    url: str = "https://example.com/a?b=1&c=2",
    **common: Any,
) -> Push:
    """A link (app type 5)."""
    return app(5, title=title, description=description, url=url, **common)


def group_invite(
    *,
    title: str = "邀请你加入群聊",
    description: str = "Alice invites you",
    url: str = "https://support.weixin.qq.com/cgi-bin/mmsupport-bin/addchatroombyinvite?ticket=x",
    **common: Any,
) -> Push:
    """A group invitation: a link (app type 5) whose URL is an invite link."""
    return app(5, title=title, description=description, url=url, **common)


def file(
    *,
    file_name: str = "report.pdf",
    size: int = 204800,
    ext: str = "pdf",
    md5: str = "fmd5",
    attach_id: str = "@cdn_1",
    **common: Any,
) -> Push:
    """A file ready to download (app type 6)."""
    inner = (
        f"<appattach>{_el('totallen', size)}{_el('attachid', attach_id)}{_el('fileext', ext)}</appattach>"
        + _el("md5", md5)
    )
    return app(6, title=file_name, inner=inner, **common)


def file_notice(*, file_name: str = "big.zip", size: int = 999999, ext: str = "zip", **common: Any) -> Push:
    """A file announced and still uploading (app type 74)."""
    inner = f"<appattach>{_el('totallen', size)}{_el('fileext', ext)}</appattach>"
    return app(74, title=file_name, inner=inner, **common)


def mini_program(
    *,
    title: str = "Mini",
    page_path: str = "pages/index?x=1",
    mini_program_id: str = "wxmini",
    username: str = "gh_1@app",
    **common: Any,
) -> Push:
    """A mini-program (app type 33)."""
    inner = (
        f"<weappinfo>{_el('username', username)}{_el('appid', mini_program_id)}"
        f"{_el('pagepath', page_path)}</weappinfo>"
    )
    return app(33, title=title, inner=inner, **common)


def channels(
    *, nickname: str = "Chan", description: str = "a post", object_id: str = "1402", **common: Any
) -> Push:
    """A channels (视频号) post (app type 51)."""
    inner = (
        f"<finderFeed>{_el('objectId', object_id)}{_el('nickname', nickname)}"
        f"{_el('desc', description)}</finderFeed>"
    )
    return app(51, title="", inner=inner, **common)


def quote(
    content: str = "my reply",
    *,
    quoted_new_msg_id: int = 8123456789012345000,
    quoted_sender_wxid: str = "wxid_bob",
    quoted_content: str = "the earlier text",
    **common: Any,
) -> Push:
    """A reply quoting an earlier message (app type 57); `content` is the reply's text."""
    room = common.get("room")
    inner = (
        f"<refermsg><type>1</type>{_el('svrid', quoted_new_msg_id)}"
        f"{_el('fromusr', room or quoted_sender_wxid)}{_el('chatusr', quoted_sender_wxid if room else None)}"
        f"<displayname>someone</displayname>{_el('content', quoted_content)}</refermsg>"
    )
    return app(57, title=content, inner=inner, **common)


def transfer(
    *,
    transfer_id: str = "1000050001",
    amount_text: str = "￥0.01",
    payer_wxid: str = SENDER,
    receiver_wxid: str = BOT,
    memo: str = "lunch",
    pay_subtype: int = 1,
    **common: Any,
) -> Push:
    """A money transfer (app type 2000)."""
    inner = (
        f"<wcpayinfo>{_el('paysubtype', pay_subtype)}{_el('feedesc', amount_text)}"
        f"{_el('transferid', transfer_id)}{_el('payer_username', payer_wxid)}"
        f"{_el('receiver_username', receiver_wxid)}{_el('pay_memo', memo)}</wcpayinfo>"
    )
    return app(2000, title="微信转账", inner=inner, **common)


def red_packet(*, title: str = "恭喜发财", **common: Any) -> Push:
    """A red packet (app type 2001); `title` is its sender's wish."""
    inner = f"<wcpayinfo>{_el('sendertitle', title)}<nativeurl>wxpay://x</nativeurl></wcpayinfo>"
    return app(2001, title="微信红包", inner=inner, **common)


# ----------------------------------------------------------------------------- system messages (10002)


def system(sys_type: str, inner: str = "", **common: Any) -> Push:
    """A system message (`MsgType` 10002) `<sysmsg type="sys_type">inner</sysmsg>`; in a group GeWe
    prefixes it with the room's id."""
    room = common.get("room")
    if room is not None:
        common.setdefault("sender", room)
    return message(10002, f"<sysmsg type={quoteattr(sys_type)}>{inner}</sysmsg>", **common)


def revoke(
    *,
    revoked_new_msg_id: int = 8123456789012345000,
    notice: str = '"Alice" recalled a message',
    session: str = SENDER,
    **common: Any,
) -> Push:
    """A recall of the message `revoked_new_msg_id`."""
    inner = (
        f"<revokemsg>{_el('session', session)}<msgid>500</msgid>{_el('newmsgid', revoked_new_msg_id)}"
        f"{_el('replacemsg', notice)}</revokemsg>"
    )
    return system("revokemsg", inner, **common)


def pat(*, patter_wxid: str = SENDER, patted_wxid: str = BOT, room: str = ROOM, **common: Any) -> Push:
    """A pat (拍一拍) in `room`."""
    template = '"${' + patter_wxid + '}" 拍了拍我'
    inner = (
        f"<pat>{_el('fromusername', patter_wxid)}{_el('chatusername', room)}"
        f"{_el('pattedusername', patted_wxid)}{_el('template', template)}</pat>"
    )
    return system("pat", inner, room=room, **common)


def group_event(
    *,
    template: str = '"$username$"邀请"$names$"加入了群聊',
    inviter: str | tuple[str, str] = (SENDER, "Alice"),
    members: str | tuple[str, str] | Iterable[str | tuple[str, str]] = (("wxid_e", "Eve"),),
    room: str = ROOM,
    **common: Any,
) -> Push:
    """Members invited, joined or removed (`sysmsgtemplate`): `template`'s `$username$` is the inviter,
    `$names$` the members. A member is a (wxid, nickname) pair, or a wxid alone (named by it);
    `members` is one member or several (a pair of two str is one member)."""
    inviter = _member(inviter, "inviter: a wxid or a (wxid, nickname) pair")
    members = _members(members, "members: each is a wxid or a (wxid, nickname) pair")

    def member(wxid: str, nickname: str) -> str:
        return f"<member>{_el('username', wxid)}{_el('nickname', nickname)}</member>"

    links = (
        f'<link name="username" type="link_profile"><memberlist>{member(*inviter)}</memberlist></link>'
        f'<link name="names" type="link_profile"><memberlist>{"".join(member(*m) for m in members)}'
        "</memberlist><separator>、</separator></link>"
    )
    inner = (
        '<sysmsgtemplate><content_template type="tmpl_type_profile"><plain></plain>'
        f"{_el('template', template)}"
        f"<link_list>{links}</link_list></content_template></sysmsgtemplate>"
    )
    return system("sysmsgtemplate", inner, room=room, **common)


def group_announcement(content: str = "Meeting at 3pm", *, room: str = ROOM, **common: Any) -> Push:
    """A group announcement was posted."""
    inner = f"<mmchatroombarannouncememt>{_el('content', content)}</mmchatroombarannouncememt>"
    return system("mmchatroombarannouncememt", inner, room=room, **common)


def group_todo(title: str = "Send the slides", *, room: str = ROOM, **common: Any) -> Push:
    """A group to-do."""
    return system(
        "roomtoolstips", f"<todo><todoid>1</todoid>{_el('title', title)}</todo>", room=room, **common
    )


# ----------------------------------------------------------------------------- not messages


def contact_update(
    user_name: str = "wxid_carol",
    *,
    nick_name: str = "Carol",
    remark: str | None = None,
    owner_wxid: str | None = None,
    app_id: str = APP_ID,
    bot: str = BOT,
) -> Push:
    """`ModContacts`: a contact or group changed (or a friend request was accepted)."""
    data: dict[str, Any] = {
        "UserName": {"string": user_name},
        "NickName": {"string": nick_name},
        "Remark": {"string": remark} if remark else {},
        "BigHeadImgUrl": "http://wx.qlogo.cn/x",
        "Sex": 0,
    }
    if owner_wxid is not None:
        data["ChatRoomOwner"] = owner_wxid
    return envelope("ModContacts", data, app_id=app_id, bot=bot)


def contact_deleted(user_name: str = "wxid_carol", *, app_id: str = APP_ID, bot: str = BOT) -> Push:
    """`DelContacts` of a friend."""
    data = {"UserName": {"string": user_name}, "DeleteContactScen": 0}
    return envelope("DelContacts", data, app_id=app_id, bot=bot)


def group_left(room: str = ROOM, *, app_id: str = APP_ID, bot: str = BOT) -> Push:
    """`DelContacts` of a group: the bot left (or was removed from) `room`."""
    return contact_deleted(room, app_id=app_id, bot=bot)


def offline(*, app_id: str = APP_ID, bot: str | None = BOT) -> Push:
    """`Offline`: the account was logged out and needs a new login."""
    return envelope("Offline", app_id=app_id, bot=bot)


def test_message(token: str, message: str = "回调地址链接成功！") -> Push:
    """GeWe's test message, sent when a callback URL is set."""
    return {"testMsg": message, "token": token}


test_message.__test__ = False  # type: ignore[attr-defined]  # not a test, whatever pytest thinks


#: kind (as `parse_event` names it) -> a factory of a push of that kind with default fields.
KINDS: dict[str, Any] = {
    "text": lambda: text("hello"),
    "image": image,
    "voice": voice,
    "video": video,
    "emoji": emoji,
    "location": location,
    "card": card,
    "friend_request": friend_request,
    "link": link,
    "group_invite": group_invite,
    "file": file,
    "file_notice": file_notice,
    "mini_program": mini_program,
    "channels": channels,
    "quote": quote,
    "transfer": transfer,
    "red_packet": red_packet,
    "app": lambda: app(3, title="Song", description="a song", url="http://music"),
    "revoke": revoke,
    "pat": pat,
    "group_event": group_event,
    "group_announcement": group_announcement,
    "group_todo": group_todo,
    "system": lambda: system("newsysmsgkind", "<x>1</x>"),
    "system_notice": lambda: system_notice("you were removed from the group"),
    "message": lambda: message(51, "<msg><op id='1' /></msg>"),
    "contact_update": contact_update,
    "contact_deleted": contact_deleted,
    "group_left": group_left,
    "offline": offline,
    "ping": lambda: test_message("fake-token-0000"),
    "unknown": lambda: {"wcId": "x", "messageType": "60001", "data": {}},
}
