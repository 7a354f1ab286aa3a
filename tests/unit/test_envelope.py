"""gewe.envelope's reports: what a mismatch says, when it raises, and logging each field once."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from gewe import GeweResponseError
from gewe.envelope import mismatch, reporter
from gewe.tokens import Redactor
from gewe_api.types import UNSET
from tests.conftest import TOKEN


@pytest.mark.parametrize(
    ("value", "expected", "says"),
    [
        (None, "string", "data.x is null, expected string"),
        (True, "integer", "data.x is a boolean, expected integer"),
        (3, "string", "data.x is an integer, expected string"),
        (1.5, "integer", "data.x is a number, expected integer"),
        ("s", "integer", "data.x is a string, expected integer"),
        ([1], "object", "data.x is an array, expected object"),
        ({}, "array", "data.x is an object, expected array"),
        (UNSET, "string", "data.x is missing, expected string"),
        ("woman", "one of 0, 1", "data.x is 'woman', expected one of 0, 1"),
        (f"x{TOKEN}", "one of a, b", "data.x is 'x***', expected one of a, b"),
        ("y" * 80, "one of a", f"data.x is '{'y' * 38}…, expected one of a"),
    ],
)
def test_a_mismatch_names_the_field_and_the_types_never_the_value(
    value: Any, expected: str, says: str
) -> None:
    assert mismatch("data.x", value, expected, Redactor(TOKEN)) == says


def test_lenient_logs_each_operation_and_field_once(caplog: pytest.LogCaptureFixture) -> None:
    reported: set[tuple[str, str]] = set()
    first = reporter("group.a", Redactor(TOKEN), strict=False, reported=reported)
    second = reporter("group.b", Redactor(TOKEN), strict=False, reported=reported)
    with caplog.at_level(logging.WARNING, logger="gewe"):
        for report in (first, first, second):
            report("data.x", True, "string")
            report("data.y[]", 1, "string")
    assert [r.getMessage() for r in caplog.records] == [
        "group.a: reply did not match the spec: data.x is a boolean, expected string",
        "group.a: reply did not match the spec: data.y[] is an integer, expected string",
        "group.b: reply did not match the spec: data.x is a boolean, expected string",
        "group.b: reply did not match the spec: data.y[] is an integer, expected string",
    ]


@pytest.mark.parametrize("strict", [False, True])
def test_strict_raises_and_the_data_as_a_whole_always_does(strict: bool) -> None:
    report = reporter("group.a", Redactor(TOKEN), strict=strict, reported=set())
    with pytest.raises(GeweResponseError) as info:
        report("data", None, "object")
    assert (info.value.operation, info.value.field) == ("group.a", "data")
    assert str(info.value) == "group.a: reply did not match the spec: data is null, expected object"
    if strict:
        with pytest.raises(GeweResponseError, match=r"data\.x is a boolean"):
            report("data.x", True, "string")
    else:
        report("data.x", True, "string")  # logged, not raised
