"""Constraints a page's own example is evidence against.

GeWe's pages sometimes put a constraint where it does not belong: `maxLength: 9` on the items of
an image-URL array (meant: at most 9 images) while the example's URLs are longer. A mock server
(and any validator) then rejects the page's own documented request. The example is what GeWe
really sends or accepts, so a constraint that the example violates is dropped, with a warning
naming the page and the place; the rest of the schema stays.

Each constraint is judged on its own, by the same OpenAPI 3.0 validator (and format checker) the
spec tools use, so "violates" means what it means to a validator: a `pattern` is searched, not
matched whole; `format`s the checker does not know (`uri`, say) always pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jsonschema.exceptions import SchemaError
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from .report import Where

# The keywords an example can contradict, in the order they are checked and reported.
CONSTRAINTS = (
    "enum",
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
)
# Keywords that mean nothing without the constraint they qualify (3.0's boolean exclusives).
_COMPANIONS = {"minimum": ("exclusiveMinimum",), "maximum": ("exclusiveMaximum",)}


def violated(value: Any, schema: dict[str, Any]) -> list[str]:
    """The CONSTRAINTS of `schema` that `value` violates (a constraint that cannot be judged, such
    as a pattern Python cannot compile, is not counted)."""
    out = []
    for key in CONSTRAINTS:
        if key not in schema:
            continue
        alone = {key: schema[key], **{c: schema[c] for c in _COMPANIONS.get(key, ()) if c in schema}}
        try:
            fits = OAS30Validator(alone, format_checker=oas30_format_checker).is_valid(value)
        except (re.error, SchemaError, TypeError, ValueError):
            continue
        if not fits:
            out.append(key)
    return out


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def drop_violated(
    value: Any, schema: dict[str, Any], where: Where, warn: Callable[[Where, str], None]
) -> None:
    """Remove from `schema` (in place) each constraint its example `value` violates, warning for each."""
    for key in violated(value, schema):
        shown = schema.pop(key)
        for companion in _COMPANIONS.get(key, ()):
            schema.pop(companion, None)
        warn(
            where,
            f"example value {short(value)} violates `{key}: {short(shown)}`:"
            f" `{key}` dropped (the example is evidence)",
        )
