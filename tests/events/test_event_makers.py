"""`construct.maker(cls)` builds the very instance `cls(**fields)` builds, for every event class
parse_event makes with it, and refuses the classes it cannot build (a `__post_init__`); and
`kinds.message_event` (fields by name, an XML parser) builds what parse_event's fast path builds."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import typing
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree.ElementTree import Element

import pytest

from gewe.events import models, parse_event
from gewe.events.construct import maker
from gewe.events.kinds import message_event
from gewe.events.models import Event, Member, MessageEvent, PingEvent
from gewe.events.xml import XMLRefused, parse_xml
from tests.fixtures import pushes as P

CLASSES = [cls for cls in typing.get_args(Event) if cls is not PingEvent]
SAMPLES: dict[Any, Any] = {
    str: "s",
    int: 2**63 + 1,
    float: 1.5,
    bool: True,
    datetime: datetime(2026, 1, 1, tzinfo=UTC),
    timedelta: timedelta(seconds=3),
}


def _value(f: dataclasses.Field[Any], hints: dict[str, Any]) -> Any:
    hint = hints[f.name]
    if f.name == "raw":
        return {"Data": {"k": [1]}}
    if f.name == "members":
        return (Member("wxid_a", "A"), Member(None, None))
    if f.name == "mentions":
        return ("wxid_a", "wxid_b")
    for arg in typing.get_args(hint) or (hint,):
        if arg in SAMPLES:
            return SAMPLES[arg]
    return None  # e.g. Image | None


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_a_maker_builds_what_init_builds(cls: type[Any]) -> None:
    hints = typing.get_type_hints(cls, vars(models))
    fields = {f.name: _value(f, hints) for f in dataclasses.fields(cls) if f.init}
    make = maker(cls)
    by_init, by_name, by_position = cls(**fields), make(**fields), make(*fields.values())
    for event in (by_name, by_position):
        assert type(event) is cls
        assert event == by_init and repr(event) == repr(by_init)
        assert event.kind == by_init.kind and event.raw == by_init.raw  # (raw is not compared)
        assert dataclasses.asdict(event) == dataclasses.asdict(by_init)
        assert pickle.loads(pickle.dumps(event)) == by_init and copy.deepcopy(event) == by_init
        with pytest.raises(dataclasses.FrozenInstanceError):
            event.app_id = "other"  # type: ignore[misc]
    assert make() == cls() and make().raw == {} and make().raw is not make().raw


def test_a_maker_refuses_what_it_cannot_build() -> None:
    with pytest.raises(TypeError):
        maker(PingEvent)  # __post_init__ keeps the token a Secret
    with pytest.raises(TypeError):
        maker(dict)
    with pytest.raises(TypeError):
        maker(CLASSES[0])(unknown_field=1)


PUSHES = [
    *P.CONTENTS,
    *((49, c) for c in (P.INVITE, P.FILE_NOTICE, P.MINI_PROGRAM, P.CHANNELS, P.RED_PACKET, P.MUSIC)),
    *((10002, c) for c in (P.PAT, P.DEL_MEMBER, P.ANNOUNCEMENT, P.TODO, P.UNKNOWN_SYS)),
    (51, "<msg/>"),
    (3, "<msg><img aeskey='x'"),
]


@pytest.mark.parametrize(("msg_type", "content"), PUSHES)
def test_message_event_by_field_names_gives_what_parse_event_gives(msg_type: int, content: str) -> None:
    def xml_of(text: str | None) -> Element | None:
        try:
            return parse_xml(text) if text else None
        except XMLRefused:
            return None

    event = parse_event(P.push(msg_type, content, room=P.ROOM, ImgBuf={"buffer": P.PNG_1x1}))
    assert isinstance(event, MessageEvent)
    common = {f.name: getattr(event, f.name) for f in dataclasses.fields(MessageEvent) if f.init}
    thumbnail = getattr(event, "thumbnail", None)
    rebuilt = message_event(common, event.content, xml_of, thumbnail)
    assert type(rebuilt) is type(event) and rebuilt == event
