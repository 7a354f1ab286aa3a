"""Spec level: the rule engine over two OpenAPI documents (plain dicts, as PyYAML loads them).

The direction rule decides every classification: narrowing what a request accepts, or what a
reply guarantees, breaks callers; widening either does not. Check ids are oasdiff's
(https://www.oasdiff.com/docs/breaking-changes), so a reader who knows oasdiff knows what each
line means. Where our classification differs from oasdiff's default level it is because of what
the generated Python does, and the rule says so:

- `request-property-removed`: oasdiff warns; for us the keyword argument is gone, so it breaks.
- `response-optional-property-removed`: oasdiff warns; the model loses the attribute, so it breaks.
- `response-property-enum-value-added`: the reply may now carry a value callers do not handle.
- `operation-retry-changed` (ours): the operation's `x-gewe-read-only` changed, so the SDK now
  retries it after a timeout, or no longer does; compatible (no code changes), said for review.

$refs into components/schemas are followed, `allOf` parts merged (as the generator does), and
nested objects and array items compared field by field; a recursive schema is compared once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from tools.gewe_spec.names import snake_case  # the project's naming (digits stay with their word)
from tools.gewe_spec.readonly import EXTENSION as READ_ONLY
from tools.gewe_spec.readonly import read_only_by_name

from .report import BREAKING, COMPATIBLE, SPEC, Change, both_spellings

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
REQUEST, REPLY = "request", "reply"

# (side, what happened) -> (check id, severity). Sides: a request field is what callers send, a
# reply field what they get back.
RULES: dict[tuple[str, str], tuple[str, str]] = {
    (REQUEST, "added-required"): ("new-required-request-property", BREAKING),
    (REQUEST, "added-optional"): ("new-optional-request-property", COMPATIBLE),
    (REQUEST, "removed"): ("request-property-removed", BREAKING),
    (REQUEST, "became-required"): ("request-property-became-required", BREAKING),
    (REQUEST, "became-optional"): ("request-property-became-optional", COMPATIBLE),
    (REQUEST, "type-changed"): ("request-property-type-changed", BREAKING),
    (REQUEST, "became-not-nullable"): ("request-property-became-not-nullable", BREAKING),
    (REQUEST, "became-nullable"): ("request-property-became-nullable", COMPATIBLE),
    (REQUEST, "enum-value-removed"): ("request-property-enum-value-removed", BREAKING),
    (REQUEST, "enum-value-added"): ("request-property-enum-value-added", COMPATIBLE),
    (REQUEST, "became-enum"): ("request-property-became-enum", BREAKING),
    (REPLY, "added-required"): ("response-required-property-added", COMPATIBLE),
    (REPLY, "added-optional"): ("response-optional-property-added", COMPATIBLE),
    (REPLY, "removed-required"): ("response-required-property-removed", BREAKING),
    (REPLY, "removed-optional"): ("response-optional-property-removed", BREAKING),
    (REPLY, "became-optional"): ("response-property-became-optional", BREAKING),
    (REPLY, "became-required"): ("response-property-became-required", COMPATIBLE),
    (REPLY, "type-changed"): ("response-property-type-changed", BREAKING),
    (REPLY, "became-nullable"): ("response-property-became-nullable", BREAKING),
    (REPLY, "became-not-nullable"): ("response-property-became-not-nullable", COMPATIBLE),
    (REPLY, "enum-value-added"): ("response-property-enum-value-added", BREAKING),
    (REPLY, "enum-value-removed"): ("response-property-enum-value-removed", COMPATIBLE),
    (REPLY, "became-enum"): ("response-property-became-enum", COMPATIBLE),
}

TEXT = {
    "added-required": "added, required",
    "added-optional": "added, optional",
    "removed": "removed",
    "removed-required": "removed (was required)",
    "removed-optional": "removed (was optional)",
    "became-required": "became required",
    "became-optional": "became optional",
    "became-nullable": "became nullable",
    "became-not-nullable": "became not nullable",
    "became-enum": "became an enum",
}


@dataclass(frozen=True)
class Operation:
    """An operation of a spec and the names it is known by."""

    method: str
    path: str
    raw: Mapping[str, Any]

    @property
    def subject(self) -> str:
        """`group.getChatroomQrCode` / `group.get_chatroom_qr_code` (or the operationId)."""
        match = re.search(r"/([A-Za-z][\w]*)/([A-Za-z][\w]*)$", self.path)
        if match is None:
            name = str(self.raw.get("operationId") or f"{self.method.upper()} {self.path}")
            return f"`{name}`"
        module, operation = match.groups()
        return both_spellings(f"{module}.{operation}", f"{module}.{snake_case(operation)}")

    @property
    def module(self) -> str:
        match = re.search(r"/([A-Za-z][\w]*)/[^/]+$", self.path)
        return match.group(1) if match else "(root)"

    @property
    def name(self) -> str:
        """The operation as published, e.g. `getChatroomQrCode`."""
        return self.path.rstrip("/").rsplit("/", 1)[-1]


def operations(spec: Mapping[str, Any]) -> dict[tuple[str, str], Operation]:
    """Every operation of `spec`, keyed by (method, path)."""
    found: dict[tuple[str, str], Operation] = {}
    paths = spec.get("paths") or {}
    if not isinstance(paths, Mapping):
        return found
    for path, item in paths.items():
        if not isinstance(item, Mapping):
            continue
        for method, op in item.items():
            if method in HTTP_METHODS and isinstance(op, Mapping):
                found[(method, str(path))] = Operation(method, str(path), op)
    return found


@dataclass
class Node:
    """A schema with $refs followed and allOf merged: only what the rules look at."""

    type: str | None = None
    nullable: bool = False
    enum: list[Any] | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    items: Any = None
    refs: tuple[str, ...] = ()  # the $refs followed to get here (to stop on recursion)


class Resolver:
    """Follows local $refs (`#/components/schemas/X`) of one spec."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec

    def lookup(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            return {}
        node: Any = self.spec
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or part not in node:
                return {}
            node = node[part]
        return node

    def node(self, schema: Any, refs: tuple[str, ...] = ()) -> Node:
        if not isinstance(schema, Mapping):
            return Node(refs=refs)
        ref = schema.get("$ref")
        if isinstance(ref, str):
            if ref in refs:  # recursive schema: stop here
                return Node(type="object", refs=(*refs, ref))
            out = self.node(self.lookup(ref), (*refs, ref))
        else:
            out = Node(refs=refs)
        for part in schema.get("allOf") or ():
            merged = self.node(part, out.refs)
            out.type = out.type or merged.type
            out.nullable = out.nullable or merged.nullable
            out.enum = out.enum if out.enum is not None else merged.enum
            out.properties.update(merged.properties)
            out.required |= merged.required
            out.items = out.items if out.items is not None else merged.items
            out.refs = merged.refs if len(merged.refs) > len(out.refs) else out.refs
        if "type" in schema:
            out.type = str(schema["type"])
        elif "oneOf" in schema or "anyOf" in schema:
            out.type = "oneOf" if "oneOf" in schema else "anyOf"
        if schema.get("nullable") is True:
            out.nullable = True
        if isinstance(schema.get("enum"), list):
            out.enum = list(schema["enum"])
        if isinstance(schema.get("properties"), Mapping):
            out.properties.update(schema["properties"])
        if isinstance(schema.get("required"), list):
            out.required |= {str(r) for r in schema["required"]}
        if "items" in schema:
            out.items = schema["items"]
        if out.type is None and out.properties:
            out.type = "object"
        return out


@dataclass(frozen=True)
class _Where:
    subject: str
    side: str
    path: tuple[str, ...]  # wire names; "[]" marks array items

    def child(self, name: str) -> _Where:
        return _Where(self.subject, self.side, (*self.path, name))

    def spelled(self) -> str:
        wire = "/".join(self.path).replace("/[]", "[]")
        python = ".".join(p if p == "[]" else snake_case(p) for p in self.path).replace(".[]", "[]")
        if not self.path:
            return ""
        return f"`{wire}`" if wire.replace("/", ".") == python else both_spellings(wire, python)


def _change(where: _Where, what: str, text: str = "") -> Change:
    check, severity = RULES[(where.side, what)]
    label = "request field" if where.side == REQUEST else "reply field"
    return Change(SPEC, severity, check, where.subject, f"{label} {where.spelled()}", text or TEXT[what])


def _type_name(node: Node) -> str:
    return node.type or "any"


class _Comparer:
    def __init__(self, old_spec: Mapping[str, Any], new_spec: Mapping[str, Any]) -> None:
        self.old, self.new = Resolver(old_spec), Resolver(new_spec)

    def schema(
        self, old_raw: Any, new_raw: Any, where: _Where, refs: tuple[str, ...] = ()
    ) -> Iterator[Change]:
        old, new = self.old.node(old_raw, refs), self.new.node(new_raw, refs)
        # A schema that refers back to itself is compared once, not forever.
        if len(set(old.refs)) < len(old.refs) or len(set(new.refs)) < len(new.refs):
            return
        if old.type != new.type and old.type is not None and new.type is not None:
            yield _change(where, "type-changed", f"type changed from {_type_name(old)} to {_type_name(new)}")
            return
        if old.nullable != new.nullable:
            yield _change(where, "became-nullable" if new.nullable else "became-not-nullable")
        yield from self._enum(old, new, where)
        yield from self._properties(old, new, where)
        if old.items is not None or new.items is not None:
            yield from self.schema(old.items, new.items, where.child("[]"), old.refs or new.refs)

    def _enum(self, old: Node, new: Node, where: _Where) -> Iterator[Change]:
        if old.enum is None and new.enum is None:
            return
        if old.enum is None:
            yield _change(where, "became-enum", f"became an enum of {_values(new.enum or [])}")
            return
        if new.enum is None:  # any value accepted now (request) / possible now (reply)
            removed_all: list[Any] = []
            added = ["(any value)"]
        else:
            removed_all = [v for v in old.enum if v not in new.enum]
            added = [v for v in new.enum if v not in old.enum]
        for value in removed_all:
            yield _change(where, "enum-value-removed", f"enum value {value!r} removed")
        for value in added:
            text = "no longer an enum" if value == "(any value)" else f"enum value {value!r} added"
            yield _change(where, "enum-value-added", text)

    def _properties(self, old: Node, new: Node, where: _Where) -> Iterator[Change]:
        for name in old.properties.keys() - new.properties.keys():
            at = where.child(name)
            if where.side == REQUEST:
                yield _change(at, "removed")
            else:
                yield _change(at, "removed-required" if name in old.required else "removed-optional")
        for name in new.properties.keys() - old.properties.keys():
            yield _change(where.child(name), "added-required" if name in new.required else "added-optional")
        for name in sorted(old.properties.keys() & new.properties.keys()):
            at = where.child(name)
            was, now = name in old.required, name in new.required
            if was != now:
                yield _change(at, "became-required" if now else "became-optional")
            yield from self.schema(old.properties[name], new.properties[name], at, old.refs)

    def operation(self, old: Operation, new: Operation) -> Iterator[Change]:
        subject = new.subject
        yield from self.schema(
            _request_schema(old.raw), _request_schema(new.raw), _Where(subject, REQUEST, ())
        )
        old_replies, new_replies = _reply_schemas(old.raw), _reply_schemas(new.raw)
        for status in sorted(old_replies.keys() - new_replies.keys()):
            yield Change(
                SPEC,
                BREAKING,
                "response-success-status-removed",
                subject,
                "",
                f"reply status {status} removed",
            )
        for status in sorted(new_replies.keys() - old_replies.keys()):
            yield Change(
                SPEC, COMPATIBLE, "response-success-status-added", subject, "", f"reply status {status} added"
            )
        for status in sorted(old_replies.keys() & new_replies.keys()):
            yield from self.schema(old_replies[status], new_replies[status], _Where(subject, REPLY, ()))


def _values(values: list[Any]) -> str:
    return ", ".join(repr(v) for v in values)


def _json_schema(holder: Any) -> Any:
    """The schema of application/json content (or of the only content type there is)."""
    if not isinstance(holder, Mapping):
        return None
    content = holder.get("content")
    if not isinstance(content, Mapping) or not content:
        return None
    media = content.get("application/json") or next(iter(content.values()))
    return media.get("schema") if isinstance(media, Mapping) else None


def _request_schema(op: Mapping[str, Any]) -> Any:
    return _json_schema(op.get("requestBody"))


def _reply_schemas(op: Mapping[str, Any]) -> dict[str, Any]:
    """Success replies (2xx) by status code."""
    responses = op.get("responses")
    if not isinstance(responses, Mapping):
        return {}
    return {str(s): _json_schema(r) for s, r in responses.items() if str(s).startswith("2")}


def diff_specs(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every spec-level change from `old` to `new`, each with its check id and classification."""
    old_ops, new_ops = operations(old), operations(new)
    old_paths = {path for _, path in old_ops}
    new_paths = {path for _, path in new_ops}
    changes: list[Change] = []
    for key in sorted(old_ops.keys() - new_ops.keys()):
        op = old_ops[key]
        check = (
            "api-path-removed-without-deprecation"
            if op.path not in new_paths
            else "api-removed-without-deprecation"
        )
        if op.raw.get("deprecated") is True:
            check = check.replace("without", "with")
        changes.append(
            Change(SPEC, BREAKING, check, op.subject, "", f"operation removed ({key[0].upper()} {key[1]})")
        )
    for key in sorted(new_ops.keys() - old_ops.keys()):
        op = new_ops[key]
        what = "operation added" + (" (new path)" if op.path not in old_paths else "")
        changes.append(
            Change(SPEC, COMPATIBLE, "endpoint-added", op.subject, "", f"{what} ({key[0].upper()} {key[1]})")
        )
    comparer = _Comparer(old, new)
    for key in sorted(old_ops.keys() & new_ops.keys()):
        changes.extend(comparer.operation(old_ops[key], new_ops[key]))
        changes.extend(_retries(old_ops[key], new_ops[key]))
    return changes


def _retries(old: Operation, new: Operation) -> Iterator[Change]:
    """Whether the SDK retries the operation after a timeout changed (x-gewe-read-only; a spec from
    before it was written meant the name rule). Compatible: no signature changes, only behaviour."""
    before = old.raw.get(READ_ONLY, read_only_by_name(old.name))
    after = new.raw.get(READ_ONLY, read_only_by_name(new.name))
    if isinstance(before, bool) and isinstance(after, bool) and before != after:
        text = (
            "now read-only: retried after a timeout"
            if after
            else "no longer read-only: never retried after a timeout"
        )
        yield Change(SPEC, COMPATIBLE, "operation-retry-changed", new.subject, "", text)


def changed_operations(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, dict[str, list[str]]]:
    """Per module: the operations added, removed and changed (in any way the rules see, or in their text).

    What `make spec` and `make generate` print at the end (one line per module).
    """
    old_ops, new_ops = operations(old), operations(new)
    comparer = _Comparer(old, new)
    out: dict[str, dict[str, list[str]]] = {}

    def bucket(op: Operation) -> dict[str, list[str]]:
        return out.setdefault(op.module, {"added": [], "removed": [], "changed": []})

    for key in sorted(old_ops.keys() - new_ops.keys()):
        bucket(old_ops[key])["removed"].append(old_ops[key].name)
    for key in sorted(new_ops.keys() - old_ops.keys()):
        bucket(new_ops[key])["added"].append(new_ops[key].name)
    for key in sorted(old_ops.keys() & new_ops.keys()):
        a, b = old_ops[key], new_ops[key]
        if any(True for _ in comparer.operation(a, b)) or _inlined(old, a.raw) != _inlined(new, b.raw):
            bucket(b)["changed"].append(b.name)
        else:
            bucket(b)
    return out


def _inlined(spec: Mapping[str, Any], value: Any, depth: int = 0) -> Any:
    """`value` with local $refs replaced by what they point to (to a fixed depth, for recursion)."""
    if depth > 20:
        return value
    if isinstance(value, Mapping):
        ref = value.get("$ref")
        if isinstance(ref, str) and len(value) == 1:
            return _inlined(spec, Resolver(spec).lookup(ref), depth + 1)
        return {k: _inlined(spec, v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_inlined(spec, v, depth + 1) for v in value]
    return value
