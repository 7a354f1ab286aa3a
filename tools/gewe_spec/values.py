"""Values that must fit a schema type: `default`, `example`, `enum` values and example fields.

Apifox writes values as the author typed them: `default: 'false'` on a boolean, `'1'` on an
integer. `coerce` converts a value when its meaning is certain and otherwise says it cannot.
"""

from __future__ import annotations

import re
from typing import Any

_INTEGER = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_BOOLEANS = {"true": True, "false": False}
NO = object()  # what coerce() returns when a value cannot be made to fit


def json_type(value: Any) -> str:
    """The JSON type of a Python value, as a schema would name it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def fits(value: Any, kind: Any) -> bool:
    """Whether `value` is of the schema type `kind` (no type, or an unknown one, fits anything)."""
    actual = json_type(value)
    if kind == "number":
        return actual in ("number", "integer")
    if kind in ("string", "integer", "boolean", "array", "object"):
        return actual == kind
    return True


def coerce(value: Any, kind: Any) -> Any:
    """`value` as the schema type `kind` when that is certain, else NO.

    Certain: 'true'/'false' (any case) as booleans, integer strings and whole floats as integers,
    numeric strings as numbers, integers and numbers as strings. Nothing else.
    """
    if fits(value, kind):
        return value
    if kind == "boolean" and isinstance(value, str) and value.strip().lower() in _BOOLEANS:
        return _BOOLEANS[value.strip().lower()]
    if kind == "integer":
        if isinstance(value, str) and _INTEGER.match(value.strip()):
            return int(value.strip())
        if isinstance(value, float) and value.is_integer():
            return int(value)
    if kind == "number" and isinstance(value, str) and _NUMBER.match(value.strip()):
        number = float(value.strip())
        return int(number) if _INTEGER.match(value.strip()) else number
    if kind == "string" and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return NO
