"""Parsing is linear in a push's size, for every kind: growth ratios, not wall times.

Each builder makes a push of its kind whose hostile part grows with `n` (links, members, mentions,
attributes, elements, text). The time to parse a push 16x bigger must grow about 16x, and never
near the 256x of a quadratic parse (the group template's `_fill` was one: 1,000 links 55 ms,
16,000 links 9.7 s). The best of a few runs is compared, so a busy machine inflates both sides.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from gewe.events import parse_event
from tests.fixtures import pushes as P

SMALL, FACTOR = 1_000, 16
LINEAR_ENOUGH = 80  # x16 in size: linear grows ~16-22x (more on a busy machine), quadratic ~256x


def _pad(n: int) -> str:
    return "".join(f'<pad i="{i}">p</pad>' for i in range(n))


def template(n: int) -> dict[str, Any]:
    links = "".join(f'<link name="{i}"><member><nickname>n{i}</nickname></member></link>' for i in range(n))
    slots = "".join(f"${i}$ $" for i in range(n))  # slots, and stray "$" between them
    return P.push(10002, P.group_template(slots, links))


def nested_links(n: int) -> dict[str, Any]:
    links = (
        "".join(f'<link name="{i}"><member><nickname>n</nickname></member>' for i in range(n)) + "</link>" * n
    )
    return P.push(10002, P.group_template("$0$", links))


def kicked(n: int) -> dict[str, Any]:
    users = "".join(f"<username>wxid_{i}</username>" for i in range(n))
    content = P.sysmsg(
        "delchatroommember",
        f"<delchatroommember><plain>x</plain><link><memberlist>{users}</memberlist></link></delchatroommember>",
    )
    return P.push(10002, content)


def mentions(n: int) -> dict[str, Any]:
    listed = ",".join(f"wxid_{i}" for i in range(n))
    return P.push(
        1, "@all", room=P.ROOM, MsgSource=f"<msgsource><atuserlist>{listed}</atuserlist></msgsource>"
    )


def app(app_type: int) -> Callable[[int], dict[str, Any]]:
    def build(n: int) -> dict[str, Any]:
        inner = f"<des>{'d' * n}</des>{_pad(n)}<refermsg><content>{'c' * n}</content></refermsg>"
        return P.push(49, P.app(app_type, inner, title="t" * n))

    return build


def xml_kind(msg_type: int, root: str, tag: str) -> Callable[[int], dict[str, Any]]:
    def build(n: int) -> dict[str, Any]:
        attrs = " ".join(f'a{i}="{i}"' for i in range(n))
        return P.push(msg_type, f"<{root}><{tag} {attrs} aeskey='k' md5='m'>{_pad(n)}</{tag}></{root}>")

    return build


def text(n: int) -> dict[str, Any]:
    return P.push(1, "wxid_x:\n" + "字" * (n * 20), room=P.ROOM)


def contacts(n: int) -> dict[str, Any]:
    return P.mod_contacts(P.ROOM, "名" * (n * 20), Extra=[{"k": i} for i in range(n)])


BUILDERS: dict[str, Callable[[int], dict[str, Any]]] = {
    "text": text,
    "mentions": mentions,
    "image": xml_kind(3, "msg", "img"),
    # many <img>, nested: the attribute reader falls back to the tree (a child may follow a deeper one)
    "image_repeated": lambda n: P.push(3, "<msg>" + "<x><img a='1'/></x>" * n + "<img a='2'/></msg>"),
    "voice": xml_kind(34, "msg", "voicemsg"),
    "video": xml_kind(43, "msg", "videomsg"),
    "emoji": xml_kind(47, "msg", "emoji"),
    "location": xml_kind(48, "msg", "location"),
    "card": xml_kind(42, "msg", "x"),
    "friend_request": xml_kind(37, "msg", "x"),
    "link": app(5),
    "file": app(6),
    "quote": app(57),
    "transfer": app(2000),
    "channels": app(51),
    "group_template": template,
    "group_template_nested": nested_links,
    "group_kicked": kicked,
    "contacts": contacts,
}


def _best_ratio(small: bytes, big: bytes, runs: int = 7) -> float:
    """Best CPU time (this process's: time spent descheduled is not counted) to parse `big`, over
    the best for `small`, runs interleaved so that a busy spell weighs on both."""
    best_small = best_big = float("inf")
    for _ in range(runs):
        for body in (small, big):
            start = time.process_time()
            parse_event(body)
            spent = time.process_time() - start
            if body is small:
                best_small = min(best_small, spent)
            else:
                best_big = min(best_big, spent)
    return best_big / max(best_small, 1e-6)


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_parsing_grows_linearly(kind: str) -> None:
    small = json.dumps(BUILDERS[kind](SMALL), ensure_ascii=False).encode()
    big = json.dumps(BUILDERS[kind](SMALL * FACTOR), ensure_ascii=False).encode()
    assert len(big) < 2 << 20
    size_ratio = len(big) / len(small)
    assert size_ratio > FACTOR * 0.8
    parse_event(small)  # warm
    time_ratio = _best_ratio(small, big)
    assert time_ratio < LINEAR_ENOUGH, (
        f"{kind}: {size_ratio:.1f}x the bytes took {time_ratio:.1f}x the time to parse"
    )
