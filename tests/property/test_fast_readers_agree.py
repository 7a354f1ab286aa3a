"""Property: parse_event's fast paths give what the plain readers give.

- `xml.attributes(text, tag)` (one expat pass, no tree) picks the element `element(parse_xml(text),
  tag)` picks, with the same attribute values, and refuses what parse_xml refuses;
- `decode_body(bytes)` (the JSON decoder called directly) decodes what `json.loads` decodes and
  refuses what it refuses.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gewe import GeweEventError
from gewe.events.parse import decode_body
from gewe.events.xml import XMLRefused, attr, attr_values, attributes, element, parse_xml
from tests.fixtures import pushes as P

NAMES = ("a", "b", "aeskey", "xmlns")  # plain names: the ones the kinds read
TAGS = ("msg", "img", "x", "p:img")


def _by_tree(text: str, tag: str | None) -> tuple[str | None, ...] | str:
    try:
        root = parse_xml(text)
    except XMLRefused:
        return "refused"
    found = root if tag is None else element(root, tag)
    return tuple(attr(found, name) for name in NAMES)


def _by_pass(text: str, tag: str | None) -> tuple[str | None, ...] | str:
    try:
        return attr_values(attributes(text, tag), NAMES)
    except XMLRefused:
        return "refused"


def _elements(depth: int) -> st.SearchStrategy[str]:
    tag = st.sampled_from(["msg", "img", "x", "p:img"])
    if depth == 0:
        return st.builds(lambda t, a: f"<{t}{a}/>", tag, _attrs)
    children = st.lists(
        _elements(depth - 1) | st.sampled_from(["text", "<!-- <img -->", "<![CDATA[<img]]>"]), max_size=3
    )
    return st.builds(lambda t, a, c: f"<{t}{a}>{''.join(c)}</{t}>", tag, _attrs, children)


_attrs = st.dictionaries(
    st.sampled_from(["a", "b", "aeskey", "xmlns", "q:a"]),
    st.sampled_from(["", " v ", "1", "&lt;&#x41;", "x\ny", "&bad;"]),
    max_size=3,
).map(lambda d: "".join(f' {k}="{v}"' for k, v in d.items()))
declarations = st.sampled_from(["", '<?xml version="1.0"?>', '<?xml version="1.0" encoding="gbk"?>', " \n"])
namespaces = st.sampled_from(["", ' xmlns="u"', ' xmlns:p="u"', ' xmlns:q="u"'])
documents = st.builds(
    lambda decl, root, ns, attrs, children: f"{decl}<{root}{ns}{attrs}>{''.join(children)}</{root}>",
    declarations,
    st.sampled_from(["msg", "img"]),
    namespaces,
    _attrs,
    st.lists(_elements(2), max_size=4),
)


@settings(max_examples=400)
@given(documents, st.sampled_from((None, *TAGS)))
def test_one_pass_attributes_agree_with_the_tree(text: str, tag: str | None) -> None:
    assert _by_pass(text, tag) == _by_tree(text, tag)


@pytest.mark.parametrize(
    "text",
    [
        P.IMAGE,
        P.VOICE,
        P.VIDEO,
        P.EMOJI,
        P.LOCATION,
        P.CARD,
        P.FRIEND_REQUEST,
        '<msg><x><img a="deep"/></x><img a="child"/></msg>',  # a child wins over a deeper one first
        '<img a="root"><img a="child"/></img>',  # the root wins
        '<msg xmlns="u"><img a="1"/></msg>',  # a namespaced img is not an img
        '<msg xmlns:p="u"><p:img a="1"/><img a="2"/></msg>',
        '<msg><p:img a="1"/></msg>',  # unbound prefix: refused by both
        '<msg><!-- <img a="c"/> --><img a="1"/></msg>',
        '<msg><img a="1"/><img a="2"/></msg>',
        '<msg><img a="&lt;&#x41;" b=" x\ny "/></msg>',
        "<msg><img a='&undefined;'/></msg>",
        "<msg><img a='1'></msg>",
        "<msg><img a='1'/></msg><extra/>",
        "<!DOCTYPE msg><msg><img a='1'/></msg>",
        "<msg><![CDATA[<!DOCTYPE x>]]><img a='1'/></msg>",
        "<msg>\ud800</msg>",
        "",
    ],
)
@pytest.mark.parametrize("tag", [None, "img"])
def test_one_pass_attributes_agree_on_known_and_tricky_documents(text: str, tag: str | None) -> None:
    assert _by_pass(text, tag) == _by_tree(text, tag)


def _by_json(body: bytes) -> Any:
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return "refused"
    return value if isinstance(value, dict) else "refused"


def _by_decode_body(body: bytes) -> Any:
    try:
        return decode_body(body)
    except GeweEventError:
        return "refused"


json_objects = st.dictionaries(
    st.text(max_size=6),
    st.none() | st.booleans() | st.integers() | st.text(max_size=10) | st.lists(st.integers(), max_size=3),
    max_size=4,
)


@settings(max_examples=300)
@given(
    json_objects,
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"]),
    st.sampled_from(["", " ", "\n\t\r ", " x", "}", "\x0c", "\u00a0"]),
)
def test_decode_body_decodes_bytes_as_json_loads_does(obj: dict[str, Any], encoding: str, tail: str) -> None:
    body = (json.dumps(obj, separators=(",", ":")) + tail).encode(encoding)
    assert _by_decode_body(body) == _by_json(body)


@pytest.mark.parametrize(
    "body",
    [
        b"{}",
        b"{",
        b"{}{}",
        b'{"a": "\\ud800"}',  # an escaped lone surrogate is JSON
        b'{"a": "\xed\xa0\x80"}',  # an encoded one is not UTF-8, but json.loads reads it (surrogatepass)
        b'{"a": "\xff"}',
        b'{"a": NaN}',
        b"{" + b'"a":[' * 100_000 + b"]" * 100_000 + b"}",
        b"{\x00",
        b'{"a":1}  \n',
    ],
)
def test_decode_body_on_edge_bodies_as_json_loads(body: bytes) -> None:
    assert _by_decode_body(body) == _by_json(body)
