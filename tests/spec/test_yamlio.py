"""Strict YAML reading and byte-stable, readable YAML writing (tools/gewe_spec/yamlio.py)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.gewe_spec import yamlio


def test_duplicate_keys_are_rejected() -> None:
    with pytest.raises(yaml.YAMLError, match="duplicate key 'summary'"):
        yamlio.load("post:\n  summary: a\n  summary: b\n")


def test_merge_keys_may_be_overridden() -> None:
    assert yamlio.load("base: &b {k: 1, j: 2}\nx:\n  <<: *b\n  k: 3\n")["x"] == {"k": 3, "j": 2}


def test_keys_are_their_text_and_dates_stay_strings() -> None:
    loaded = yamlio.load("200: ok\n3.0: v\ntrue: t\nwhen: 2024-01-05 12:00:00\nday: 2024-01-05\nn: 7\n")
    assert loaded == {
        "200": "ok",
        "3.0": "v",
        "true": "t",
        "when": "2024-01-05 12:00:00",
        "day": "2024-01-05",
        "n": 7,
    }


def test_non_scalar_keys_are_rejected() -> None:
    with pytest.raises(yaml.YAMLError, match="non-scalar key"):
        yamlio.load("? [a, b]\n: c\n")


def test_multi_line_strings_are_literal_blocks() -> None:
    text = yamlio.dump({"description": "### 注意\n- 第一条\n- 第二条"})
    assert text == "description: |-\n  ### 注意\n  - 第一条\n  - 第二条\n"


def test_text_a_literal_block_cannot_hold_is_quoted_and_kept() -> None:
    value = "trailing space \nnext"
    text = yamlio.dump({"d": value})
    assert "|" not in text
    assert yaml.safe_load(text) == {"d": value}


def test_shared_objects_are_written_out_not_aliased() -> None:
    shared = {"type": "string"}
    text = yamlio.dump({"a": shared, "b": shared})
    assert "&" not in text and "*" not in text
    assert yaml.safe_load(text) == {"a": shared, "b": shared}


def test_keys_are_sorted_and_long_lines_unwrapped() -> None:
    long = "x" * 500
    text = yamlio.dump({"b": 1, "a": long})
    assert text == f"a: {long}\nb: 1\n"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300)
@given(json_values)
def test_dump_round_trips_and_is_stable(value: Any) -> None:
    text = yamlio.dump({"v": value})
    assert yamlio.load(text) == {"v": value}
    assert yaml.safe_load(text) == {"v": value}
    assert yamlio.dump(yamlio.load(text)) == text


@settings(max_examples=300)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=20), min_size=2, max_size=5))
def test_multi_line_text_round_trips(lines: list[str]) -> None:
    value = "\n".join(lines)
    text = yamlio.dump({"description": value})
    assert yaml.safe_load(text) == {"description": value}
