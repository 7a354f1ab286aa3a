"""Property: any JSON object is an event (never an exception); anything else is a GeweEventError."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gewe import GeweEventError
from gewe.events import KINDS, dedup_key, parse_event
from gewe.events.parse import push_key
from tests.fixtures import pushes as P

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
wrapped = st.fixed_dictionaries({}, optional={"string": st.text(max_size=30) | json_values})
xmlish = st.sampled_from(
    [
        P.IMAGE,
        P.QUOTE,
        P.REVOKE,
        P.GROUP_TEMPLATE,
        P.BILLION_LAUGHS,
        "<msg",
        "<sysmsg type='pat'/>",
        "wxid_a:\n<msg/>",
    ]
)
data = st.fixed_dictionaries(
    {},
    optional={
        "MsgId": st.integers() | json_values,
        "NewMsgId": st.integers(min_value=-(2**70), max_value=2**70) | st.integers().map(str) | json_values,
        "FromUserName": wrapped | json_values,
        "ToUserName": wrapped | json_values,
        "MsgType": st.sampled_from([1, 3, 34, 37, 42, 43, 47, 48, 49, 51, 10000, 10002, 9999]) | json_values,
        "Content": st.fixed_dictionaries({"string": xmlish | st.text(max_size=40)}) | wrapped | json_values,
        "ImgBuf": st.fixed_dictionaries({}, optional={"iLen": json_values, "buffer": st.text(max_size=20)})
        | json_values,
        "CreateTime": st.integers() | json_values,
        "MsgSource": st.sampled_from(["<msgsource><atuserlist>a,b</atuserlist></msgsource>", "<x"])
        | json_values,
        "PushContent": json_values,
        "UserName": wrapped | json_values,
    },
)
pushes = st.fixed_dictionaries(
    {},
    optional={
        "TypeName": st.sampled_from(["AddMsg", "ModContacts", "DelContacts", "Offline"]) | json_values,
        "Appid": st.text(max_size=10) | wrapped | json_values,
        "Wxid": st.text(max_size=10) | json_values,
        "Data": data | json_values,
        "testMsg": json_values,
        "token": json_values,
    },
)


def _check(body: dict[str, Any]) -> None:
    event = parse_event(body)
    assert event.kind in KINDS
    assert event.raw == body or event.kind == "ping"
    repr(event)  # every field reprs without error


@settings(max_examples=300)
@given(pushes)
def test_any_push_shaped_object_is_an_event(body: dict[str, Any]) -> None:
    _check(body)
    assert parse_event(json.dumps(body)).kind == parse_event(body).kind  # bytes/str and mapping agree
    # the receiver de-duplicates on the key it reads before parsing: the same as the event's
    assert push_key(body) == dedup_key(parse_event(body))


messages = st.fixed_dictionaries(
    {
        "TypeName": st.just("AddMsg"),
        "Appid": st.text(max_size=10) | wrapped | json_values,
        "Data": st.fixed_dictionaries(
            {"NewMsgId": st.integers(min_value=0, max_value=2**64) | st.integers().map(str) | json_values}
        ),
    }
)


@settings(max_examples=200)
@given(messages)
def test_the_receivers_dedup_key_is_the_events(body: dict[str, Any]) -> None:
    assert push_key(body) == dedup_key(parse_event(body))


@settings(max_examples=200)
@given(st.dictionaries(st.text(max_size=10), json_values, max_size=6))
def test_any_json_object_is_an_event(body: dict[str, Any]) -> None:
    _check(body)


@settings(max_examples=100)
@given(json_values.filter(lambda v: not isinstance(v, dict)))
def test_json_that_is_not_an_object_is_a_gewe_event_error(value: Any) -> None:
    try:
        parse_event(json.dumps(value))
    except GeweEventError:
        return
    raise AssertionError("no GeweEventError")
