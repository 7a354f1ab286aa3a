"""`gewe.testing.pushes` takes a single value where a list is expected the way a user means it: a
str is one mention, never its characters; a single (wxid, nickname) pair is one member; anything
else that is not a wxid is a clear error naming the argument."""

from __future__ import annotations

from typing import Any

import pytest

from gewe.events import parse_event
from gewe.testing import pushes


def test_a_single_mention_is_one_wxid() -> None:
    one = parse_event(pushes.group_text("hi", mentions="wxid_bot01"))
    listed = parse_event(pushes.group_text("hi", mentions=["wxid_bot01"]))
    assert one.mentions == listed.mentions == ("wxid_bot01",)
    assert one.mentions_me and one.text == "@wxid_bot01\u2005hi"
    assert one.raw["Data"]["MsgSource"] == listed.raw["Data"]["MsgSource"]


@pytest.mark.parametrize("factory", [pushes.text, lambda text, **kw: pushes.message(1, text, **kw)])
def test_every_factory_taking_mentions_takes_one(factory: Any) -> None:
    event = parse_event(factory("hi", room=pushes.ROOM, mentions="wxid_carol"))
    assert event.mentions == ("wxid_carol",)


def test_mentions_as_any_iterable_of_wxids() -> None:
    event = parse_event(pushes.group_text("hi", mentions=(w for w in ["wxid_a", "wxid_b"])))
    assert event.mentions == ("wxid_a", "wxid_b")


@pytest.mark.parametrize("bad", [42, [42], [b"wxid_a"], ["wxid_a", None]])
def test_mentions_that_are_not_wxids_are_a_clear_error(bad: Any) -> None:
    with pytest.raises(TypeError, match="mentions: each is a wxid"):
        pushes.group_text("hi", mentions=bad)


def _members(event: Any) -> list[tuple[str, str]]:
    """The members a group event names, after its inviter (listed first)."""
    return [(m.wxid, m.nickname) for m in event.members][1:]


def test_a_single_member_is_one_member() -> None:
    listed = parse_event(pushes.group_event(members=[("wxid_e", "Eve")]))
    pair = parse_event(pushes.group_event(members=("wxid_e", "Eve")))  # one pair, not two members
    assert _members(pair) == _members(listed) == [("wxid_e", "Eve")]
    wxid = parse_event(pushes.group_event(members="wxid_e"))  # a wxid alone: named by it
    assert _members(wxid) == [("wxid_e", "wxid_e")]
    several = parse_event(pushes.group_event(members=["wxid_e", ("wxid_f", "Fay")]))
    assert _members(several) == [("wxid_e", "wxid_e"), ("wxid_f", "Fay")]


def test_an_inviter_given_as_a_wxid_is_named_by_it() -> None:
    event = parse_event(pushes.group_event(inviter="wxid_zed"))
    assert event.text is not None and event.text.startswith('"wxid_zed"')


@pytest.mark.parametrize("bad", [42, [("wxid_e",)], [("wxid_e", "Eve", "x")], [42], [("wxid_e", 7)]])
def test_members_that_are_not_members_are_a_clear_error(bad: Any) -> None:
    with pytest.raises(TypeError, match=r"members: each is a wxid or a \(wxid, nickname\) pair"):
        pushes.group_event(members=bad)
    with pytest.raises(TypeError, match=r"inviter: a wxid or a \(wxid, nickname\) pair"):
        pushes.group_event(inviter=bad)
