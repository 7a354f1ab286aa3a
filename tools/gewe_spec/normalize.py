"""Generic rules that turn one exported operation into its normalized form.

No rule here knows any particular endpoint. Each operation gets:
- one ASCII tag for its module, taken from the path;
- an operationId and model names derived from module + last path segment (see names.py);
- the per-operation X-GEWE-TOKEN header replaced by the `GeweToken` apiKey scheme;
- a required requestBody when its schema has required properties;
- a reply envelope {ret, msg, data} that also accepts GeWe's error replies;
- every object schema hoisted into components under a derived name (never a schema title);
- examples kept, Apifox noise dropped.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .errors import SpecError
from .names import OperationNames, property_class_part

TOKEN_HEADER = "X-GEWE-TOKEN"
SECURITY_SCHEME = "GeweToken"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Keys that only describe the schema for humans in Apifox, or that openapi-python-client would
# turn into names we do not want (titles are often Chinese).
_DROPPED_SCHEMA_KEYS = {"title"}


def strip_vendor_noise(node: Any) -> Any:
    """A deep copy without `x-apifox-*`/`x-run-in-apifox` keys."""
    if isinstance(node, dict):
        return {
            k: strip_vendor_noise(v)
            for k, v in node.items()
            if not (isinstance(k, str) and (k.startswith("x-apifox") or k == "x-run-in-apifox"))
        }
    if isinstance(node, list):
        return [strip_vendor_noise(v) for v in node]
    return node


@dataclass
class Normalized:
    """One operation's normalized form plus the component schemas it introduced."""

    operation: dict[str, Any]
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    tag_description: str = ""


class _Hoister:
    """Moves object schemas into components, naming each from its parent and property."""

    def __init__(self, source: str, components: dict[str, Any]) -> None:
        self.source = source
        self.components = components  # the page's own components, to resolve local $refs
        self.schemas: dict[str, dict[str, Any]] = {}

    def resolve(self, schema: Any, seen: tuple[str, ...] = ()) -> Any:
        """Inline local `#/components/schemas/...` refs, so names come from where they are used."""
        if not isinstance(schema, dict):
            return schema
        ref = schema.get("$ref")
        if isinstance(ref, str):
            prefix = "#/components/schemas/"
            name = ref[len(prefix) :] if ref.startswith(prefix) else None
            target = (self.components.get("schemas") or {}).get(name) if name else None
            if target is None:
                raise SpecError(self.source, f"unresolvable $ref {ref!r}")
            if name in seen:
                raise SpecError(self.source, f"recursive schema {name!r} is not supported")
            return self.resolve(target, (*seen, name))  # type: ignore[arg-type]
        out = {}
        for key, value in schema.items():
            if key in ("properties", "patternProperties") and isinstance(value, dict):
                out[key] = {k: self.resolve(v, seen) for k, v in value.items()}
            elif key in ("items", "additionalProperties", "not"):
                out[key] = self.resolve(value, seen)
            elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
                out[key] = [self.resolve(v, seen) for v in value]
            else:
                out[key] = value
        return out

    def clean(self, schema: Any, name: str) -> Any:
        """Clean one schema; hoist it (returning a $ref) when it is an object with properties."""
        if not isinstance(schema, dict):
            return schema
        schema = {k: v for k, v in schema.items() if k not in _DROPPED_SCHEMA_KEYS}
        kind = schema.get("type")
        if kind is not None and kind != "object":
            # Apifox puts `additionalProperties: false` on strings; it means nothing there.
            schema.pop("additionalProperties", None)
        if kind == "array" and "items" in schema:
            schema["items"] = self.clean(schema["items"], name + "Item")
        for combo in ("allOf", "anyOf", "oneOf"):
            if isinstance(schema.get(combo), list):
                schema[combo] = [self.clean(s, f"{name}{combo[0].upper()}{combo[1:3]}{i}") for i, s in enumerate(schema[combo])]
        props = schema.get("properties")
        if isinstance(props, dict) and props:
            schema["properties"] = {p: self.clean(s, name + property_class_part(p)) for p, s in props.items()}
            if isinstance(schema.get("required"), list):
                schema["required"] = sorted({r for r in schema["required"] if r in props})
                if not schema["required"]:
                    del schema["required"]
            schema.setdefault("type", "object")
            return self.hoist(name, schema)
        return schema

    def hoist(self, name: str, schema: dict[str, Any]) -> dict[str, Any]:
        if name in self.schemas and self.schemas[name] != schema:
            raise SpecError(self.source, f"derived model name {name!r} is used twice in one operation")
        self.schemas[name] = schema
        return {"$ref": f"#/components/schemas/{name}"}


def _json_media(content: Any) -> tuple[str, dict[str, Any]] | None:
    if not isinstance(content, dict):
        return None
    for media_type in sorted(content):
        if media_type.split(";")[0].strip().lower() == "application/json" and isinstance(content[media_type], dict):
            return media_type, content[media_type]
    return None


def _envelope(hoister: _Hoister, schema: dict[str, Any], names: OperationNames) -> dict[str, Any]:
    """Normalize a {ret, msg, data} reply so GeWe's error replies fit it too."""
    props = dict(schema["properties"])
    msg = dict(props.get("msg") or {"type": "string"})
    msg["nullable"] = True
    props["msg"] = hoister.clean(msg, names.model("ResponseMsg"))
    if "data" in props:
        data = hoister.clean(props["data"], names.model("Data"))
        if "$ref" in data:
            data = {"allOf": [data], "nullable": True}
        else:
            data = {**data, "nullable": True}
        props["data"] = data
    required = [r for r in schema.get("required", []) if r in props and r not in ("msg", "data")]
    if "ret" not in required:
        required.append("ret")
    envelope = {k: v for k, v in schema.items() if k not in _DROPPED_SCHEMA_KEYS}
    envelope.update(type="object", properties=props, required=sorted(required))
    for name, prop in props.items():
        if name not in ("msg", "data"):
            props[name] = hoister.clean(prop, names.model("Response") + property_class_part(name))
    return hoister.hoist(names.model("Response"), envelope)


def normalize_operation(
    source: str, operation: dict[str, Any], names: OperationNames, components: dict[str, Any]
) -> Normalized:
    op = strip_vendor_noise(copy.deepcopy(operation))
    hoister = _Hoister(source, strip_vendor_noise(components or {}))
    tags = op.get("tags") or []
    tag_description = str(tags[0]) if tags else ""

    params = [
        p
        for p in op.get("parameters") or []
        if not (isinstance(p, dict) and p.get("in") == "header" and str(p.get("name", "")).lower() == TOKEN_HEADER.lower())
    ]
    out: dict[str, Any] = {
        "operationId": names.operation_id,
        "tags": [names.module],
        "security": [{SECURITY_SCHEME: []}],
    }
    for key in ("summary", "description", "deprecated"):
        if op.get(key) not in (None, ""):
            out[key] = op[key]
    if params:
        out["parameters"] = params

    body = op.get("requestBody")
    if isinstance(body, dict):
        body = dict(body)
        media = _json_media(body.get("content"))
        if media is not None:
            media_type, media_obj = media
            media_obj = dict(media_obj)
            schema = hoister.clean(hoister.resolve(media_obj.get("schema", {})), names.model("Request"))
            media_obj["schema"] = schema
            body["content"] = {**body["content"], media_type: media_obj}
            hoisted = hoister.schemas.get(names.model("Request"), {})
            if hoisted.get("required"):
                body["required"] = True
        out["requestBody"] = body

    responses = {}
    for status, response in (op.get("responses") or {}).items():
        status = str(status)
        if not isinstance(response, dict):
            raise SpecError(source, f"response {status} of {names.operation_id} is not a mapping")
        response = {k: v for k, v in response.items() if not (k == "headers" and not v)}
        response.setdefault("description", "")
        media = _json_media(response.get("content"))
        if media is not None:
            media_type, media_obj = media
            media_obj = dict(media_obj)
            schema = hoister.resolve(media_obj.get("schema", {}))
            suffix = "Response" if status.startswith("2") else f"Response{status}"
            props = schema.get("properties") if isinstance(schema, dict) else None
            if suffix == "Response" and isinstance(props, dict) and "ret" in props:
                media_obj["schema"] = _envelope(hoister, schema, names)
            else:
                media_obj["schema"] = hoister.clean(schema, names.model(suffix))
            response["content"] = {**response["content"], media_type: media_obj}
        responses[status] = response
    if not responses:
        raise SpecError(source, f"operation {names.operation_id} has no responses")
    out["responses"] = responses
    return Normalized(out, hoister.schemas, tag_description)
