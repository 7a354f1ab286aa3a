"""The operations a fake GeWe knows, and the check of a request body against one of them.

The table is `gewe_api/_operations.json`, written by `make generate` from the spec the package was
generated from (tools/gewe_spec/operations.py): "module.operation" -> {path, read_only, request
(a compact JSON schema), request_example, reply (the page's example reply)}.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from ..errors import GeweConfigError

Operation = dict[str, Any]

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}
_JSON_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "a boolean", list: "an array"}


@cache
def packaged_operations() -> dict[str, Operation]:
    """The table shipped in `gewe_api` (empty when the package predates it)."""
    try:
        text = resources.files("gewe_api").joinpath("_operations.json").read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        return {}
    table = json.loads(text)
    return table if isinstance(table, dict) else {}


def load_operations(operations: Mapping[str, Operation] | None) -> dict[str, Operation]:
    """`operations` checked (a copy), or the packaged table."""
    if operations is None:
        return dict(packaged_operations())
    if not isinstance(operations, Mapping):
        raise GeweConfigError("operations must be a mapping of 'module.operation' to its row")
    out: dict[str, Operation] = {}
    for name, row in operations.items():
        if not isinstance(row, Mapping) or not isinstance(row.get("path"), str):
            raise GeweConfigError(f"operations[{name!r}] needs a 'path' (see gewe_api/_operations.json)")
        out[str(name)] = dict(row)
    return out


def describe(value: Any) -> str:
    """How JSON would name the type of `value`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    return _JSON_NAMES.get(type(value), type(value).__name__)


def _type_ok(kind: Any, value: Any) -> bool:
    allowed = _TYPES.get(str(kind))
    if allowed is None:
        return True
    if isinstance(value, bool) and kind != "boolean":
        return False
    return isinstance(value, allowed)


def check(schema: Mapping[str, Any], value: Any, where: str = "", limit: int = 20) -> list[str]:
    """What is wrong with `value` against the compact `schema`, one line each (at most `limit`)."""
    problems: list[str] = []
    _check(schema, value, where, problems, limit)
    return problems


def _check(schema: Mapping[str, Any], value: Any, where: str, problems: list[str], limit: int) -> None:
    if len(problems) >= limit or not schema:
        return
    name = where or "the body"
    if value is None:
        if schema.get("nullable") is not True and "type" in schema:
            problems.append(f"{name} is null, expected {schema['type']}")
        return
    kind = schema.get("type")
    if kind is not None and not _type_ok(kind, value):
        problems.append(f"{name} is {describe(value)}, expected {kind}")
        return
    enum = schema.get("enum")
    if isinstance(enum, list) and enum and value not in enum:
        problems.append(f"{name} is {value!r}, expected one of {enum!r}")
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for field in schema.get("required") or ():
            if field not in value:
                problems.append(f"{_join(where, field)} is required")
        for field, sub in props.items():
            if field in value:
                _check(sub, value[field], _join(where, field), problems, limit)
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for i, item in enumerate(value):
            _check(schema["items"], item, f"{where or 'body'}[{i}]", problems, limit)


def _join(where: str, field: str) -> str:
    return f"{where}.{field}" if where else field
