"""The operation table `gewe.testing.FakeGewe` serves: `gewe_api/_operations.json`.

`make generate` writes it from the bundled spec beside the package, so a fake GeWe knows exactly
the operations the package was generated from: for each "module.operation" its path, whether it
only reads, the request schema it checks calls against (references resolved, only the keywords a
check needs), the page's request example, and the reply it answers by default (the page's
example, or one made from the reply schema when the page has none).
"""

from __future__ import annotations

import json
from typing import Any

from .readonly import EXTENSION

# The keywords of a schema the fake's request check reads; the rest (descriptions, examples) stay out.
KEEP = ("type", "properties", "required", "items", "nullable", "enum", "additionalProperties")
MAX_DEPTH = 24  # a schema nested deeper (or recursive) is left unchecked below this depth


def _resolve(spec: dict[str, Any], ref: str) -> Any:
    node: Any = spec
    for part in ref.removeprefix("#/").split("/"):
        node = node.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(node, dict) else None
    return node


def compact(spec: dict[str, Any], schema: Any, depth: int = 0) -> dict[str, Any]:
    """`schema` with references resolved and `allOf` merged, keeping only KEEP (an empty dict: anything)."""
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return {}
    if "$ref" in schema:
        merged = dict(_resolve(spec, str(schema["$ref"])) or {})
        merged.update({k: v for k, v in schema.items() if k != "$ref"})
        return compact(spec, merged, depth + 1)
    out: dict[str, Any] = {}
    for part in schema.get("allOf") or ():
        sub = compact(spec, part, depth + 1)
        props = {**out.get("properties", {}), **sub.pop("properties", {})}
        required = sorted({*out.get("required", ()), *sub.pop("required", ())})
        out.update(sub)
        if props:
            out["properties"] = props
        if required:
            out["required"] = required
    for key in KEEP:
        if key not in schema:
            continue
        value = schema[key]
        if key == "properties" and isinstance(value, dict):
            props = {**out.get("properties", {})}
            props.update({str(k): compact(spec, v, depth + 1) for k, v in value.items()})
            out["properties"] = props
        elif key == "items":
            out["items"] = compact(spec, value, depth + 1)
        elif key == "additionalProperties":
            out[key] = value if isinstance(value, bool) else compact(spec, value, depth + 1)
        elif key == "required" and isinstance(value, list):
            out["required"] = sorted({*out.get("required", ()), *map(str, value)})
        else:
            out[key] = value
    if schema.get("nullable") is True and "allOf" in schema:
        out["nullable"] = True
    return out


def sample(schema: dict[str, Any], depth: int = 0) -> Any:
    """A value of `schema` (its required fields only), for a reply the page gives no example of."""
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if depth > 8:
        return None
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: sample(props.get(name, {}), depth + 1) for name in schema.get("required", ())}
    return {"string": "", "integer": 0, "number": 0, "boolean": False, "array": []}.get(str(kind))


def _media(body: Any) -> dict[str, Any]:
    content = body.get("content") if isinstance(body, dict) else None
    media = content.get("application/json") if isinstance(content, dict) else None
    return media if isinstance(media, dict) else {}


def table(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """ "module.operation" -> {path, read_only, request, request_example, reply}, sorted by name."""
    out: dict[str, dict[str, Any]] = {}
    for path, item in (spec.get("paths") or {}).items():
        op = item.get("post") if isinstance(item, dict) else None
        if not isinstance(op, dict) or not op.get("tags"):
            continue
        name = f"{op['tags'][0]}.{str(path).rsplit('/', 1)[-1]}"
        request = _media(op.get("requestBody"))
        responses = op.get("responses") or {}
        reply_media = _media(responses.get("200") or next(iter(responses.values()), None))
        reply_schema = compact(spec, reply_media.get("schema"))
        reply = reply_media["example"] if "example" in reply_media else sample(reply_schema)
        out[name] = {
            "path": str(path),
            "read_only": bool(op.get(EXTENSION, False)),
            "request": compact(spec, request.get("schema")),
            "request_example": request.get("example"),
            "reply": reply,
        }
    return dict(sorted(out.items()))


def render(spec: dict[str, Any]) -> str:
    """The text of `gewe_api/_operations.json` (stable: sorted keys, one operation per line)."""
    rows = [
        f"{json.dumps(name, ensure_ascii=False)}: {json.dumps(row, ensure_ascii=False, sort_keys=True)}"
        for name, row in table(spec).items()
    ]
    return "{\n" + ",\n".join(rows) + "\n}\n"
