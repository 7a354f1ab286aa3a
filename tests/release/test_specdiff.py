"""The spec-level rule engine on small spec dicts: each rule, its check id and its direction."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tools.gewe_release.report import BREAKING, COMPATIBLE, SPEC
from tools.gewe_release.specdiff import changed_operations, diff_specs

PATH = "/gewe/v2/api/group/getChatroomQrCode"


def base_spec() -> dict[str, Any]:
    """One operation shaped like GeWe's: request and `{ret, msg, data}` reply through $refs."""
    return {
        "openapi": "3.0.3",
        "paths": {
            PATH: {
                "post": {
                    "operationId": "groupGetChatroomQrCode",
                    "requestBody": {
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Req"}}}
                    },
                    "responses": {
                        "200": {
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Resp"}}}
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Req": {
                    "type": "object",
                    "properties": {
                        "appId": {"type": "string"},
                        "chatroomId": {"type": "string"},
                        "kind": {"$ref": "#/components/schemas/Kind"},
                        "memberIds": {"type": "array", "items": {"type": "string"}},
                        "note": {"type": "string", "nullable": True},
                    },
                    "required": ["appId", "chatroomId"],
                },
                "Kind": {"type": "string", "enum": ["a", "b"]},
                "Resp": {
                    "type": "object",
                    "properties": {
                        "ret": {"type": "integer"},
                        "data": {"allOf": [{"$ref": "#/components/schemas/Data"}], "nullable": True},
                    },
                    "required": ["ret"],
                },
                "Data": {
                    "type": "object",
                    "properties": {
                        "qrTips": {"type": "string"},
                        "qrBase64": {"type": "string"},
                        "status": {"type": "string", "enum": ["ok", "expired"]},
                        "members": {"type": "array", "items": {"$ref": "#/components/schemas/Member"}},
                    },
                    "required": ["qrTips", "qrBase64"],
                },
                "Member": {
                    "type": "object",
                    "properties": {"wxid": {"type": "string"}, "nickName": {"type": "string"}},
                    "required": ["wxid", "nickName"],
                },
            }
        },
    }


def schemas(spec: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = spec["components"]["schemas"]
    return result


def rename_request_field(s: dict[str, Any]) -> None:
    req = schemas(s)["Req"]
    req["properties"]["roomId"] = req["properties"].pop("chatroomId")
    req["required"] = ["appId", "roomId"]


def add_operation(s: dict[str, Any]) -> None:
    s["paths"]["/gewe/v2/api/sns/sendTextSns"] = copy.deepcopy(s["paths"][PATH])


MUTATIONS: dict[str, tuple[Callable[[dict[str, Any]], None], set[tuple[str, str, str]]]] = {
    # name: (mutation, {(check, severity, field)})
    "rename request field": (
        rename_request_field,
        {
            ("request-property-removed", BREAKING, "request field `chatroomId` / `chatroom_id`"),
            ("new-required-request-property", BREAKING, "request field `roomId` / `room_id`"),
        },
    ),
    "new optional request field": (
        lambda s: schemas(s)["Req"]["properties"].update(remark={"type": "string"}),
        {("new-optional-request-property", COMPATIBLE, "request field `remark`")},
    ),
    "request field made required": (
        lambda s: schemas(s)["Req"]["required"].append("note"),
        {("request-property-became-required", BREAKING, "request field `note`")},
    ),
    "request field made optional": (
        lambda s: schemas(s)["Req"]["required"].remove("chatroomId"),
        {("request-property-became-optional", COMPATIBLE, "request field `chatroomId` / `chatroom_id`")},
    ),
    "request type changed": (
        lambda s: schemas(s)["Req"]["properties"]["chatroomId"].update(type="integer"),
        {("request-property-type-changed", BREAKING, "request field `chatroomId` / `chatroom_id`")},
    ),
    "request nullability narrowed": (
        lambda s: schemas(s)["Req"]["properties"]["note"].pop("nullable"),
        {("request-property-became-not-nullable", BREAKING, "request field `note`")},
    ),
    "request array item type changed": (
        lambda s: schemas(s)["Req"]["properties"]["memberIds"]["items"].update(type="integer"),
        {("request-property-type-changed", BREAKING, "request field `memberIds[]` / `member_ids[]`")},
    ),
    "request enum value removed (through $ref)": (
        lambda s: schemas(s)["Kind"]["enum"].remove("b"),
        {("request-property-enum-value-removed", BREAKING, "request field `kind`")},
    ),
    "request enum value added": (
        lambda s: schemas(s)["Kind"]["enum"].append("c"),
        {("request-property-enum-value-added", COMPATIBLE, "request field `kind`")},
    ),
    "reply field removed": (
        lambda s: schemas(s)["Data"]["properties"].pop("qrTips"),
        {("response-required-property-removed", BREAKING, "reply field `data/qrTips` / `data.qr_tips`")},
    ),
    "reply field made optional": (
        lambda s: schemas(s)["Data"]["required"].remove("qrTips"),
        {("response-property-became-optional", BREAKING, "reply field `data/qrTips` / `data.qr_tips`")},
    ),
    "reply field added": (
        lambda s: schemas(s)["Data"]["properties"].update(qrExpireTime={"type": "integer"}),
        {
            (
                "response-optional-property-added",
                COMPATIBLE,
                "reply field `data/qrExpireTime` / `data.qr_expire_time`",
            )
        },
    ),
    "reply field type changed": (
        lambda s: schemas(s)["Data"]["properties"]["qrBase64"].update(type="integer"),
        {("response-property-type-changed", BREAKING, "reply field `data/qrBase64` / `data.qr_base64`")},
    ),
    "reply enum value removed": (
        lambda s: schemas(s)["Data"]["properties"]["status"]["enum"].remove("expired"),
        {("response-property-enum-value-removed", COMPATIBLE, "reply field `data/status`")},
    ),
    "reply enum value added": (
        lambda s: schemas(s)["Data"]["properties"]["status"]["enum"].append("revoked"),
        {("response-property-enum-value-added", BREAKING, "reply field `data/status`")},
    ),
    "nested reply field in array items removed": (
        lambda s: schemas(s)["Member"]["properties"].pop("nickName"),
        {
            (
                "response-required-property-removed",
                BREAKING,
                "reply field `data/members[]/nickName` / `data.members[].nick_name`",
            )
        },
    ),
    "reply made nullable": (
        lambda s: schemas(s)["Data"]["properties"]["qrTips"].update(nullable=True),
        {("response-property-became-nullable", BREAKING, "reply field `data/qrTips` / `data.qr_tips`")},
    ),
    "new operation": (add_operation, {("endpoint-added", COMPATIBLE, "")}),
    "operation removed": (
        lambda s: s["paths"].pop(PATH),
        {("api-path-removed-without-deprecation", BREAKING, "")},
    ),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_rule(name: str) -> None:
    mutate, expected = MUTATIONS[name]
    old, new = base_spec(), base_spec()
    mutate(new)
    changes = diff_specs(old, new)
    assert {(c.check, c.severity, c.field) for c in changes} == expected
    assert all(c.level == SPEC for c in changes)


def test_operation_named_in_both_spellings() -> None:
    new = base_spec()
    rename_request_field(new)
    subjects = {c.subject for c in diff_specs(base_spec(), new)}
    assert subjects == {"`group.getChatroomQrCode` / `group.get_chatroom_qr_code`"}


def test_no_change_is_no_lines() -> None:
    assert diff_specs(base_spec(), base_spec()) == []


def test_a_recursive_schema_is_compared_once() -> None:
    def recursive() -> dict[str, Any]:
        s = base_spec()
        schemas(s)["Member"]["properties"]["children"] = {
            "type": "array",
            "items": {"$ref": "#/components/schemas/Member"},
        }
        return s

    new = recursive()
    schemas(new)["Member"]["properties"].pop("nickName")
    fields = {c.field for c in diff_specs(recursive(), new)}
    assert "reply field `data/members[]/nickName` / `data.members[].nick_name`" in fields
    assert len(fields) < 10  # finite: the recursion stopped


def test_changed_operations_per_module() -> None:
    new = base_spec()
    add_operation(new)
    schemas(new)["Data"]["properties"]["qrTips"]["description"] = "text only"
    assert changed_operations(base_spec(), new) == {
        "group": {"added": [], "removed": [], "changed": ["getChatroomQrCode"]},
        "sns": {"added": ["sendTextSns"], "removed": [], "changed": []},
    }
    assert changed_operations(base_spec(), base_spec()) == {
        "group": {"added": [], "removed": [], "changed": []}
    }


def test_garbage_is_no_crash() -> None:
    assert diff_specs({}, {"paths": "nonsense"}) == []
    weird = base_spec()
    schemas(weird)["Req"] = {"$ref": "#/components/schemas/Missing"}
    assert {c.check for c in diff_specs(base_spec(), weird)} >= {"request-property-removed"}


@pytest.mark.parametrize(("before", "after"), [(None, False), (True, False), (False, True)])
def test_a_change_of_what_is_retried_is_reported(before: bool | None, after: bool) -> None:
    old, new = base_spec(), base_spec()
    if before is not None:  # None: a spec from before x-gewe-read-only, meaning the name rule (true here)
        old["paths"][PATH]["post"]["x-gewe-read-only"] = before
    new["paths"][PATH]["post"]["x-gewe-read-only"] = after
    (change,) = diff_specs(old, new)
    assert (change.level, change.severity, change.check) == (SPEC, COMPATIBLE, "operation-retry-changed")
    assert change.text.startswith("now read-only" if after else "no longer read-only")
    assert changed_operations(old, new)["group"]["changed"] == ["getChatroomQrCode"]
    new["paths"][PATH]["post"]["x-gewe-read-only"] = True
    assert diff_specs(base_spec(), new) == []  # the name rule's own answer, now written down
