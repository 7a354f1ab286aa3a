"""A page's request and reply examples, checked against (and taken as evidence for) their schemas.

- `examples:` maps become one `example:` (the first entry; for a reply, the first success reply,
  `ret: 200`, if there is one); an example given as a JSON string is parsed.
- Examples are evidence: a field the example shows as `null` becomes nullable, and a required
  field the example leaves out becomes optional (each with a warning), so the generated types say
  what GeWe really sends.
- A field the schema lacks: a reply example keeps it (replies keep undeclared fields, see
  `open_replies`); a request example drops it. Both warn.
- Examples are evidence against constraints too: a `maxLength`, `pattern`, `minimum`, `enum`,
  `format`, ... that the example violates is dropped from the schema, with a warning
  (constraints.py).
- A value of another type than its schema's (a `{{appid}}`-style placeholder in an integer field,
  `'1'` for an integer) is coerced when certain (values.coerce), else replaced by a sample value of
  the schema's type; both warn. A placeholder in a string field is a string and stays.

Nothing here raises: an example that cannot be made to fit is dropped, with a warning.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from .constraints import drop_violated, short
from .dialect import Warn
from .errors import SpecError
from .report import Where
from .values import NO, coerce, json_type


def pick_example(media: dict[str, Any], deref: Any, reply: bool) -> Any:
    """The media's one example (NO if none), from `example` or the first usable `examples` entry."""
    if "example" in media:
        return media["example"]
    examples = media.get("examples")
    if not isinstance(examples, dict):
        return NO
    values = []
    for entry in examples.values():
        try:
            entry = deref(entry)
        except SpecError:  # an example that points nowhere is no example
            continue
        if isinstance(entry, dict) and "value" in entry:
            values.append(entry["value"])
    if reply:
        for value in values:
            if isinstance(value, dict) and value.get("ret") == 200:
                return value
    return values[0] if values else NO


def _is_object(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "object" or isinstance(schema.get("properties"), dict)


def sample(schema: Any) -> Any:
    """A value of the schema's type (its enum's or default's first, when it has one)."""
    if not isinstance(schema, dict):
        return None
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type") if isinstance(schema.get("type"), str) else None
    if _is_object(schema):
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        required = schema.get("required") if isinstance(schema.get("required"), list) else []
        return {k: sample(props[k]) for k in required if k in props}
    formats = {"date-time": "1970-01-01T00:00:00Z", "date": "1970-01-01"}
    return {
        "string": formats.get(schema.get("format", ""), ""),
        "integer": 0,
        "number": 0,
        "boolean": False,
        "array": [],
    }.get(kind)


class ExampleFitter:
    """Fits one example to its schema, changing the schema where the example is evidence."""

    def __init__(self, warn: Warn, reply: bool) -> None:
        self.warn = warn
        self.reply = reply

    def fit(self, value: Any, schema: Any, where: Where) -> Any:
        """`value` made to fit `schema` (which may be changed in place); NO if it cannot."""
        if not isinstance(schema, dict) or any(k in schema for k in ("allOf", "anyOf", "oneOf", "$ref")):
            return value
        if value is None:
            return value if schema.get("nullable") is True else NO
        if _is_object(schema):
            return self._object(value, schema, where) if isinstance(value, dict) else NO
        if schema.get("type") == "array":
            if not isinstance(value, list):
                return NO
            drop_violated(value, schema, where, self.warn)
            return [self._member(v, schema.get("items"), where / i, None) for i, v in enumerate(value)]
        kind = schema.get("type")
        fixed = coerce(value, kind)
        if fixed is NO:
            return NO
        if fixed != value or type(fixed) is not type(value):
            self.warn(where, f"example value {value!r} is not of type {kind}: read as {fixed!r}")
        drop_violated(fixed, schema, where, self.warn)
        return fixed

    def _member(self, value: Any, schema: Any, where: Where, name: str | None) -> Any:
        """One property or array item of an example, fitted; evidence of null recorded in `schema`."""
        label = f"`{name}`" if name is not None else "an item"
        if value is None and isinstance(schema, dict) and schema.get("nullable") is not True:
            schema["nullable"] = True
            self.warn(where, f"example shows {label} as null: made nullable")
            return None
        fixed = self.fit(value, schema, where)
        if fixed is NO:
            fixed = sample(schema)
            kind = schema.get("type") if isinstance(schema, dict) else None
            self.warn(
                where,
                f"example value {short(value)} ({json_type(value)}) does not fit type {kind}:"
                " replaced by a sample value",
            )
        return fixed

    def _object(self, value: dict[str, Any], schema: dict[str, Any], where: Where) -> dict[str, Any]:
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        extra = schema.get("additionalProperties")
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key not in props and (isinstance(extra, dict) or extra is True or not props):
                # a map, or a free-form object: any key belongs
                out[key] = self._member(item, extra, where / key, key) if isinstance(extra, dict) else item
                continue
            if key not in props:
                if self.reply:
                    self.warn(where / key, f"example field `{key}` not in schema (kept: replies keep it)")
                    out[key] = item
                else:
                    self.warn(where / key, f"example field `{key}` not in schema: dropped from the example")
                continue
            out[key] = self._member(item, props[key], where / key, key)
        required = schema.get("required")
        if isinstance(required, list):
            missing = [r for r in required if isinstance(r, str) and r in props and r not in value]
            for name in missing:
                self.warn(where / name, f"required field `{name}` is missing from the example: made optional")
            kept = [r for r in required if r not in missing]
            if kept:
                schema["required"] = kept
            else:
                del schema["required"]
        return out


def fit_example(example: Any, schema: Any, where: Where, warn: Warn, reply: bool) -> Any:
    """The page's example for `schema`, fitted (see the module docstring); NO to drop it."""
    if isinstance(example, str) and isinstance(schema, dict) and _is_object(schema):
        with contextlib.suppress(ValueError):
            example = json.loads(example)
    fitted = ExampleFitter(warn, reply).fit(example, schema, where)
    if fitted is NO:
        warn(where, f"example ({json_type(example)}) does not fit the schema: dropped")
    return fitted


def open_replies(schema: Any) -> Any:
    """A reply schema without `additionalProperties: false` anywhere: replies keep undeclared fields."""
    if isinstance(schema, list):
        return [open_replies(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    return {
        k: open_replies(v) if k != "example" else v
        for k, v in schema.items()
        if not (k == "additionalProperties" and v is False)
    }
