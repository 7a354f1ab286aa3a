"""Generic rules that turn one exported operation into its normalized form.

No rule here knows any particular endpoint. Each operation gets:
- one ASCII tag for its module, taken from the path (the page's own tag becomes its description);
- an operationId and model names derived from module + last path segment (see names.py);
- the per-operation X-GEWE-TOKEN header replaced by the `GeweToken` apiKey scheme;
- a required requestBody when its schema has required properties;
- a reply envelope {ret, msg, data} that also accepts GeWe's error replies (msg and data
  nullable, data not required), `ret` with example 200 (what a mock server sends without an example);
- local `$ref`s to the page's components inlined, then every object and enum schema hoisted into
  components under a name derived from where it is used (never from a schema title);
- examples kept, Apifox noise (`x-apifox-*`, titles, `additionalProperties` on scalars) dropped;
- the Apifox dialect made OpenAPI 3.0.3 (dialect.py), examples checked against their schemas and
  taken as evidence (examples.py), reply objects left open to undeclared fields;
- a page documenting no 2xx reply (only `500`, say) gets a `200` with the schema of its first
  documented reply: GeWe answers HTTP 200 and tells errors by `ret`; a success reply without a
  schema gets the envelope with any `data`.
Whatever a rule changes or drops is reported through `warn`, with the place in the page.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .dialect import normalize_schema
from .errors import SpecError
from .examples import fit_example, open_replies, pick_example
from .names import OperationNames, property_class_part
from .report import Where
from .values import NO

Warn = Callable[[Where, str], None]

TOKEN_HEADER = "X-GEWE-TOKEN"
SECURITY_SCHEME = "GeweToken"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
REF_PREFIX = "#/components/"
# Schema keys that only label a schema for humans in Apifox; openapi-python-client would turn a
# title into a class name (often a Chinese one).
_DROPPED_SCHEMA_KEYS = frozenset({"title"})
_KEPT_OPERATION_KEYS = ("summary", "description", "deprecated")


def strip_vendor_noise(node: Any) -> Any:
    """A deep copy without `x-apifox*`/`x-run-in-apifox` keys."""
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


class RefResolver:
    """Inlines local `#/components/...` refs of one page, so names come from where schemas are used."""

    def __init__(self, source: str, components: Any) -> None:
        self.source = source
        self.components = components if isinstance(components, dict) else {}

    def target(self, ref: str) -> Any:
        """The object `ref` points at in the page's components."""
        if not ref.startswith(REF_PREFIX):
            raise SpecError(
                self.source, f"unsupported $ref {ref!r}: only refs into the page's own components work"
            )
        node: Any = self.components
        for part in ref[len(REF_PREFIX) :].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                raise SpecError(self.source, f"unresolvable $ref {ref!r}")
            node = node[part]
        return node

    def deref(self, node: Any, seen: tuple[str, ...] = ()) -> Any:
        """`node`, or what its `$ref` points at (following chains of refs)."""
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                raise SpecError(self.source, f"recursive $ref {ref!r} is not supported")
            seen = (*seen, ref)
            node = self.target(ref)
        return node

    def schema(self, schema: Any, seen: tuple[str, ...] = ()) -> Any:
        """A schema with every local ref inside it inlined (recursive schemas are an error)."""
        if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            ref = schema["$ref"]
            if ref in seen:
                raise SpecError(self.source, f"recursive $ref {ref!r} is not supported")
            resolved = self.schema(self.target(ref), (*seen, ref))
            # Apifox writes a description beside a $ref for the place it is used; keep it there.
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            return {**resolved, **siblings} if isinstance(resolved, dict) and siblings else resolved
        if not isinstance(schema, dict):
            return schema
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                out[key] = {k: self.schema(v, seen) for k, v in value.items()}
            elif key in ("items", "additionalProperties", "not"):
                out[key] = self.schema(value, seen)
            elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
                out[key] = [self.schema(v, seen) for v in value]
            else:
                out[key] = value
        return out


class Hoister:
    """Cleans schemas and moves object and enum schemas into components under derived names."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.schemas: dict[str, dict[str, Any]] = {}

    def clean(self, schema: Any, name: str) -> Any:
        """Clean one schema; hoist it (returning a $ref) when it is an object or an enum."""
        if not isinstance(schema, dict):
            return schema
        schema = {k: v for k, v in schema.items() if k not in _DROPPED_SCHEMA_KEYS}
        kind = schema.get("type")
        props = schema.get("properties")
        is_object = kind == "object" or (kind is None and isinstance(props, dict) and bool(props))
        if not is_object:
            # Apifox puts `additionalProperties: false` on strings; it means nothing there.
            schema.pop("additionalProperties", None)
        if kind == "array" and isinstance(schema.get("items"), dict):
            schema["items"] = self.clean(schema["items"], name + "Item")
        for combo in ("allOf", "anyOf", "oneOf"):
            if isinstance(schema.get(combo), list):
                schema[combo] = [
                    self.clean(s, f"{name}{combo[0].upper()}{combo[1:3]}{i}")
                    for i, s in enumerate(schema[combo])
                ]
        if isinstance(schema.get("not"), dict):
            schema["not"] = self.clean(schema["not"], name + "Not")
        if is_object or isinstance(schema.get("enum"), list):
            # `nullable` belongs to the place of use, not to the model: a `$ref` cannot carry it.
            is_nullable = schema.pop("nullable", None) is True
            ref = self.hoist(name, self._object(schema, name) if is_object else schema)
            return nullable(ref) if is_nullable else ref
        return schema

    def _object(self, schema: dict[str, Any], name: str) -> dict[str, Any]:
        schema["type"] = "object"
        props = schema.get("properties")
        if isinstance(props, dict) and props:
            schema["properties"] = {p: self.clean(s, name + property_class_part(p)) for p, s in props.items()}
        elif isinstance(props, dict):
            # `properties: {}` says nothing; anything but a mapping stays, for the validator to report.
            del schema["properties"]
        if "required" in schema:
            required = schema.pop("required")
            if isinstance(required, list) and isinstance(props, dict):
                kept = sorted({r for r in required if isinstance(r, str) and r in props})
                if kept:
                    schema["required"] = kept
        if isinstance(schema.get("additionalProperties"), dict):
            schema["additionalProperties"] = self.clean(
                schema["additionalProperties"], name + "AdditionalProperty"
            )
        return schema

    def hoist(self, name: str, schema: dict[str, Any]) -> dict[str, Any]:
        """Put `schema` into components as `name` and return a ref to it."""
        if name in self.schemas and self.schemas[name] != schema:
            raise SpecError(self.source, f"derived model name {name!r} is used twice in one operation")
        self.schemas[name] = schema
        return {"$ref": f"#/components/schemas/{name}"}


def json_media(content: Any) -> str | None:
    """The JSON media type of a `content` map (the first, sorted), if any."""
    if not isinstance(content, dict):
        return None
    for media_type in sorted(content):
        if media_type.split(";")[0].strip().lower() == "application/json" and isinstance(
            content[media_type], dict
        ):
            return str(media_type)
    return None


def nullable(schema: Any) -> Any:
    """`schema` that also accepts null (a `$ref` cannot carry `nullable`, so it is wrapped)."""
    if isinstance(schema, dict) and "$ref" in schema:
        return {"allOf": [schema], "nullable": True}
    if isinstance(schema, dict):
        return {**schema, "nullable": True}
    return schema


def is_envelope(schema: Any) -> bool:
    """Whether a reply schema is GeWe's {ret, msg, data} envelope (recognised by `ret`)."""
    return (
        isinstance(schema, dict)
        and isinstance(schema.get("properties"), dict)
        and "ret" in schema["properties"]
    )


def envelope(hoister: Hoister, schema: dict[str, Any], names: OperationNames) -> dict[str, Any]:
    """Normalize a {ret, msg, data} reply so GeWe's error replies fit it too."""
    response = names.model("Response")
    props: dict[str, Any] = {}
    for prop, sub in schema["properties"].items():
        if prop == "data":
            props[prop] = nullable(hoister.clean(sub, names.model("Data")))
        elif prop == "msg":
            props[prop] = nullable(hoister.clean(sub, response + "Msg"))
        else:
            props[prop] = hoister.clean(sub, response + property_class_part(prop))
    props.setdefault("msg", {"type": "string", "nullable": True})
    # A reply a mock server makes up from the schema (no example on the page) is then a success.
    if isinstance(props.get("ret"), dict) and "example" not in props["ret"] and "$ref" not in props["ret"]:
        props["ret"] = {**props["ret"], "example": 200}
    required = schema.get("required")
    listed = required if isinstance(required, list) else []
    kept = {r for r in listed if r in props and r not in ("msg", "data")} | {"ret"}
    # `data` stays required (a success must carry it) when the page requires it and nothing on the
    # page says a success may come without it (see `_media`: a nullable `data`, or an example
    # showing it null or leaving it out). It is nullable either way, so GeWe's error replies
    # ({ret: 500, data: null}) still fit.
    if "data" in listed and "data" in props:
        kept.add("data")
    out = {k: v for k, v in schema.items() if k not in _DROPPED_SCHEMA_KEYS}
    out.update(type="object", properties=props, required=sorted(kept))
    return hoister.hoist(response, out)


def _parameters(resolver: RefResolver, op: dict[str, Any], where: Where, warn: Warn) -> list[Any]:
    """The operation's parameters without the token header, refs inlined."""
    params = []
    for param in op.get("parameters") or []:
        param = resolver.deref(param)
        if not isinstance(param, dict):
            raise SpecError(
                resolver.source, f"a parameter of {op.get('operationId', 'an operation')} is not a mapping"
            )
        if param.get("in") == "header" and str(param.get("name", "")).lower() == TOKEN_HEADER.lower():
            continue
        if "schema" in param:
            schema = resolver.schema(param["schema"])
            param = {**param, "schema": normalize_schema(schema, where / "parameters" / len(params), warn)}
        params.append(param)
    return params


def _media(
    resolver: RefResolver, media: dict[str, Any], where: Where, warn: Warn, *, reply: bool
) -> dict[str, Any]:
    """A media object with its schema in 3.0 form and its one example fitted to it (not yet hoisted)."""
    out = {k: v for k, v in media.items() if k not in ("example", "examples")}
    schema = normalize_schema(resolver.schema(media.get("schema", {})), where / "schema", warn)
    envelope_reply = reply and is_envelope(schema)
    empty_success = False  # the page says a success may carry no `data`
    if reply:
        schema = open_replies(schema)
        if envelope_reply:  # msg and data are nullable in every envelope (see `envelope`)
            props = schema["properties"]
            empty_success = isinstance(props.get("data"), dict) and props["data"].get("nullable") is True
            schema["properties"] = {
                k: {**v, "nullable": True} if k in ("msg", "data") and isinstance(v, dict) else v
                for k, v in props.items()
            }
    example = pick_example(media, resolver.deref, reply)
    if example is not NO:
        example = fit_example(example, schema, where / "example", warn, reply)
    if example is not NO:
        out["example"] = example
    if envelope_reply:
        shown_null = isinstance(example, dict) and "data" in example and example["data"] is None
        if shown_null and example.get("ret") == 200:
            empty_success = True
            if "data" in (schema.get("required") or []):
                warn(where / "example" / "data", "example shows `data` as null on success: made optional")
        if empty_success and isinstance(schema.get("required"), list):
            schema["required"] = [r for r in schema["required"] if r != "data"]
    out["schema"] = schema
    return out


def _request_body(
    resolver: RefResolver, hoister: Hoister, raw: Any, names: OperationNames, where: Where, warn: Warn
) -> dict[str, Any]:
    found = resolver.deref(raw)
    if not isinstance(found, dict):
        raise SpecError(resolver.source, f"the requestBody of {names.operation_id} is not a mapping")
    body: dict[str, Any] = dict(found)
    media_type = json_media(body.get("content"))
    if media_type is not None:
        media = _media(resolver, body["content"][media_type], where / "requestBody", warn, reply=False)
        name = names.model("Request")
        media["schema"] = hoister.clean(media["schema"], name)
        body["content"] = {**body["content"], media_type: media}
        if hoister.schemas.get(name, {}).get("required"):
            body["required"] = True
    return body


def _assume_success(
    resolver: RefResolver, responses: dict[Any, Any], where: Where, warn: Warn
) -> dict[Any, Any]:
    """`responses`, plus a 200 of the first documented reply's schema if no 2xx reply is documented."""
    if any(str(s).startswith("2") for s in responses):
        return responses
    first = sorted(responses, key=str)[0]
    found = resolver.deref(responses[first])
    media_type = json_media(found.get("content")) if isinstance(found, dict) else None
    if media_type is None:
        return responses
    media = found["content"][media_type]
    success = {"description": "", "content": {media_type: {"schema": media.get("schema", {})}}}
    warn(where / "responses", f"no 2xx reply documented: assuming 200 with the schema of the {first} reply")
    return {**responses, "200": success}


# What every GeWe reply is, for a success reply documented without a schema.
GENERIC_ENVELOPE = {
    "type": "object",
    "properties": {"ret": {"type": "integer"}, "msg": {"type": "string"}, "data": {}},
    "required": ["ret"],
}


def _assume_envelope(response: dict[str, Any], where: Where, warn: Warn) -> dict[str, Any]:
    """A success reply without a JSON schema (or with an empty one) gets GeWe's envelope, any `data`."""
    media_type = json_media(response.get("content"))
    media = response["content"][media_type] if media_type is not None else {}
    if media.get("schema") not in (None, {}):
        return response
    warn(where, "reply documented without a schema: assuming GeWe's {ret, msg, data} envelope")
    content = dict(response.get("content") or {})
    content[media_type or "application/json"] = {**media, "schema": copy.deepcopy(GENERIC_ENVELOPE)}
    return {**response, "content": content}


def _responses(
    resolver: RefResolver, hoister: Hoister, responses: Any, names: OperationNames, where: Where, warn: Warn
) -> dict[str, dict[str, Any]]:
    if not isinstance(responses, dict):
        raise SpecError(resolver.source, f"the responses of {names.operation_id} are not a mapping")
    if not responses:
        raise SpecError(resolver.source, f"operation {names.operation_id} has no responses")
    responses = _assume_success(resolver, responses, where, warn)
    out = {}
    success_named = False
    for status in sorted(responses, key=str):
        response = resolver.deref(responses[status])
        status = str(status)
        if not isinstance(response, dict):
            raise SpecError(resolver.source, f"response {status} of {names.operation_id} is not a mapping")
        response = {k: v for k, v in response.items() if not (k == "headers" and not v)}
        response.setdefault("description", "")
        if status.startswith("2") and not success_named:
            response = _assume_envelope(response, where / "responses" / status, warn)
        media_type = json_media(response.get("content"))
        if media_type is not None:
            media = _media(
                resolver, response["content"][media_type], where / "responses" / status, warn, reply=True
            )
            schema = media["schema"]
            # The first 2xx reply is "the" reply: <Prefix>Response; any other is <Prefix>Response<status>.
            main = status.startswith("2") and not success_named
            success_named = success_named or main
            if main and is_envelope(schema):
                media["schema"] = envelope(hoister, schema, names)
            else:
                suffix = "Response" if main else f"Response{property_class_part(status)}"
                media["schema"] = hoister.clean(schema, names.model(suffix))
            response["content"] = {**response["content"], media_type: media}
        out[status] = response
    return out


def normalize_operation(
    source: str,
    operation: dict[str, Any],
    names: OperationNames,
    components: Any,
    warn: Warn = lambda _where, _message: None,
    where: Where | None = None,
) -> Normalized:
    """The normalized form of one exported operation (see the module docstring for the rules).

    `where` names the operation in warnings (e.g. "POST /gewe/v2/api/group/x"; default its operationId).
    """
    where = where or Where(names.operation_id)
    op = strip_vendor_noise(operation)
    resolver = RefResolver(source, strip_vendor_noise(components))
    hoister = Hoister(source)
    tags = op.get("tags")
    tag_description = str(tags[0]) if isinstance(tags, list) and tags else ""

    out: dict[str, Any] = {
        "operationId": names.operation_id,
        "tags": [names.module],
        "security": [{SECURITY_SCHEME: []}],
    }
    for key in _KEPT_OPERATION_KEYS:
        if op.get(key) not in (None, ""):
            out[key] = op[key]
    params = _parameters(resolver, op, where, warn)
    if params:
        out["parameters"] = params
    if op.get("requestBody") is not None:
        out["requestBody"] = _request_body(resolver, hoister, op["requestBody"], names, where, warn)
    out["responses"] = _responses(resolver, hoister, op.get("responses"), names, where, warn)
    return Normalized(out, hoister.schemas, tag_description)
