"""JSON Schema / OpenAPI 3.1 forms in Apifox pages, rewritten as the OpenAPI 3.0.3 the generator reads.

Applied to every schema of a page (after its local `$ref`s are inlined), recursively:
- `type: 'null'` -> `nullable: true`; `type: [X, 'null']` -> `type: X, nullable: true`; a list of
  several scalar types -> `anyOf` of each; `anyOf`/`oneOf` with a `{type: 'null'}` member -> the
  rest, nullable;
- `const: v` -> `enum: [v]`; `examples: [v, ...]` -> `example: v`; numeric `exclusiveMinimum` /
  `exclusiveMaximum` -> `minimum`/`maximum` with the 3.0 boolean;
- `type: array` without `items` -> any items; Apifox's `type: any` -> no type; `type: file` -> a
  binary string (with a warning); `required: true` on a property -> in its object's `required`;
- `default`, `example` and `enum` values of another type than the schema's: coerced when certain
  (values.coerce), otherwise dropped; each with a warning;
- a constraint (`maxLength`, `pattern`, `enum`, `format`, ...) that the schema's own `example`
  violates is dropped, with a warning (constraints.py: the example is evidence);
- keys that OpenAPI 3.0 does not know (`$schema`, `$id`, `contentMediaType`, ...) dropped, with a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .constraints import drop_violated
from .report import Where
from .values import NO, coerce, fits, json_type

Warn = Callable[[Where, str], None]

# The keys an OpenAPI 3.0 Schema Object may have (besides `x-` extensions).
SCHEMA_KEYS = frozenset(
    {
        "title", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
        "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxProperties",
        "minProperties", "required", "enum", "type", "allOf", "oneOf", "anyOf", "not", "items",
        "properties", "additionalProperties", "description", "format", "default", "nullable",
        "discriminator", "readOnly", "writeOnly", "xml", "externalDocs", "example", "deprecated", "$ref",
    }
)  # fmt: skip
SCALARS = frozenset({"string", "integer", "number", "boolean"})
_COMBOS = ("allOf", "anyOf", "oneOf")


def _is_null_schema(schema: Any) -> bool:
    return isinstance(schema, dict) and (schema.get("type") == "null" or schema.get("type") == ["null"])


def _types(schema: dict[str, Any], where: Where, warn: Warn) -> None:
    """`type` as one 3.0 type (or none), with `nullable` for 'null'."""
    kind = schema.get("type")
    if kind is None:
        return
    kinds = kind if isinstance(kind, list) else [kind]
    if not all(isinstance(k, str) for k in kinds):
        return  # not a type at all: left for the validator to report
    if "any" in kinds:  # Apifox's "any": no type at all
        del schema["type"]
        return
    if "file" in kinds:  # Apifox's upload field
        kinds = ["string" if k == "file" else k for k in kinds]
        schema.setdefault("format", "binary")
        warn(where / "type", "type 'file' is not OpenAPI 3.0: read as a binary string")
    if "null" in kinds:
        schema["nullable"] = True
    rest = list(dict.fromkeys(k for k in kinds if k != "null"))
    if not rest:
        del schema["type"]
    elif len(rest) == 1:
        schema["type"] = rest[0]
    elif all(k in SCALARS for k in rest):
        del schema["type"]
        schema["anyOf"] = [{"type": k} for k in rest]
    else:
        del schema["type"]
        warn(where / "type", f"type {rest} is not expressible in OpenAPI 3.0: any value accepted")


def _null_members(schema: dict[str, Any]) -> None:
    """`anyOf`/`oneOf` with a null member: the other members, nullable (a lone one merged in)."""
    for combo in ("anyOf", "oneOf"):
        members = schema.get(combo)
        if not isinstance(members, list) or not any(_is_null_schema(m) for m in members):
            continue
        schema["nullable"] = True
        rest = [m for m in members if not _is_null_schema(m)]
        del schema[combo]
        if len(rest) == 1 and isinstance(rest[0], dict) and not set(rest[0]) & set(schema):
            schema.update(rest[0])
        elif rest:
            schema[combo] = rest


def _keywords(schema: dict[str, Any], where: Where, warn: Warn) -> None:
    if "const" in schema:
        schema.setdefault("enum", [schema["const"]])
        del schema["const"]
    if "examples" in schema:
        examples = schema.pop("examples")
        if isinstance(examples, list) and examples and "example" not in schema:
            schema["example"] = examples[0]
    for key, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = schema.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            schema[bound] = value
            schema[key] = True
    if schema.get("type") == "array" and "items" not in schema:
        schema["items"] = {}
    for key in sorted(k for k in schema if isinstance(k, str) and k not in SCHEMA_KEYS):
        if not key.startswith("x-"):
            warn(where / key, f"`{key}` is not OpenAPI 3.0: dropped")
            del schema[key]


def _values(schema: dict[str, Any], where: Where, warn: Warn) -> None:
    """`default`, `example` and `enum` values of the schema's own type."""
    kind = schema.get("type")
    if not isinstance(kind, str):
        kind = None
    nullable = schema.get("nullable") is True
    for key in ("default", "example"):
        if key not in schema or kind is None:
            continue
        value = schema[key]
        if value is None and nullable:
            continue
        if isinstance(value, list | dict) and fits(value, kind):
            continue
        fixed = NO if value is None else coerce(value, kind)
        if fixed is NO:
            del schema[key]
            warn(where / key, f"{key} {value!r} is not of type {kind}: dropped")
        elif fixed != value or type(fixed) is not type(value):
            schema[key] = fixed
            warn(where / key, f"{key} {value!r} is not of type {kind}: read as {fixed!r}")
    enum = schema.get("enum")
    if isinstance(enum, list) and kind is not None:
        kept: list[Any] = []
        for value in enum:
            fixed = value if value is None and nullable else NO if value is None else coerce(value, kind)
            if fixed is NO:
                warn(where / "enum", f"enum value {value!r} is not of type {kind}: dropped")
            else:
                if json_type(fixed) != json_type(value):
                    warn(where / "enum", f"enum value {value!r} is not of type {kind}: read as {fixed!r}")
                if fixed not in kept:
                    kept.append(fixed)
        if kept:
            schema["enum"] = kept
        else:
            del schema["enum"]
    if "example" in schema and not (schema["example"] is None and nullable):
        drop_violated(schema["example"], schema, where / "example", warn)  # the example is evidence
    if (
        isinstance(schema.get("enum"), list)
        and "default" in schema
        and schema["default"] not in schema["enum"]
    ):
        warn(where / "default", f"default {schema['default']!r} is not one of the enum values: dropped")
        del schema["default"]


def _property_required(schema: dict[str, Any], where: Where, warn: Warn) -> None:
    """`required: true` written on a property (an old JSON Schema habit) joins its object's list."""
    required = schema.get("required")
    if "required" in schema and not (
        isinstance(required, list) and all(isinstance(r, str) for r in required)
    ):
        warn(where / "required", f"required {required!r} is not a list of property names: dropped")
        del schema["required"]
    props = schema.get("properties")
    if not isinstance(props, dict):
        return
    for name, sub in list(props.items()):
        if isinstance(sub, dict) and isinstance(sub.get("required"), bool):
            props[name] = {k: v for k, v in sub.items() if k != "required"}
            if sub["required"] and name not in schema.get("required", []):
                schema["required"] = [*schema.get("required", []), name]


def normalize_schema(schema: Any, where: Where, warn: Warn) -> Any:
    """A copy of `schema` in OpenAPI 3.0.3 form (see the module docstring)."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    _null_members(out)
    _types(out, where, warn)
    _keywords(out, where, warn)
    _values(out, where, warn)
    _property_required(out, where, warn)
    if isinstance(out.get("properties"), dict):
        out["properties"] = {
            name: normalize_schema(sub, where / name, warn) for name, sub in out["properties"].items()
        }
    for key in ("items", "additionalProperties", "not"):
        if isinstance(out.get(key), dict):
            out[key] = normalize_schema(out[key], where / key, warn)
    for combo in _COMBOS:
        if isinstance(out.get(combo), list):
            out[combo] = [normalize_schema(s, where / combo / i, warn) for i, s in enumerate(out[combo])]
    return out
