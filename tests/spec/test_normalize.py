"""The per-operation rules of tools/gewe_spec/normalize.py, one at a time."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tools.gewe_spec import SpecError
from tools.gewe_spec.names import derive
from tools.gewe_spec.normalize import SECURITY_SCHEME, Normalized, normalize_operation

PATH = "/gewe/v2/api/group/getChatroomMemberList"
SOURCE = "exports/group/page.md"
TOKEN_PARAM = {
    "name": "X-GEWE-TOKEN",
    "in": "header",
    "required": True,
    "example": "{{gewe-token}}",
    "schema": {"type": "string"},
}


def reply(data: Any = None, **extra: Any) -> dict[str, Any]:
    """An Apifox-style envelope reply schema."""
    props: dict[str, Any] = {"ret": {"type": "integer"}, "msg": {"type": "string"}}
    if data is not None:
        props["data"] = data
    return {"type": "object", "properties": props, "required": ["ret", "msg", "data"], **extra}


def operation(request: Any = None, response: Any = None, **extra: Any) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": "获取群成员列表",
        "tags": ["基础API/群模块"],
        "parameters": [copy.deepcopy(TOKEN_PARAM)],
        "responses": {
            "200": {
                "description": "",
                "content": {"application/json": {"schema": response if response is not None else reply()}},
            }
        },
        **extra,
    }
    if request is not None:
        op["requestBody"] = {"content": {"application/json": {"schema": request}}}
    return op


def normalize(op: dict[str, Any], components: Any = None, path: str = PATH) -> Normalized:
    return normalize_operation(SOURCE, op, derive(SOURCE, path), components or {})


def reply_schema(result: Normalized, status: str = "200") -> Any:
    return result.operation["responses"][status]["content"]["application/json"]["schema"]


def request_schema(result: Normalized) -> Any:
    return result.operation["requestBody"]["content"]["application/json"]["schema"]


def walk_keys(node: Any) -> set[str]:
    """Every mapping key anywhere below `node`."""
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in walk_keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in walk_keys(v)}
    return set()


def test_tag_is_the_ascii_module_and_the_page_tag_its_description() -> None:
    result = normalize(operation())
    assert result.operation["tags"] == ["group"]
    assert result.tag_description == "基础API/群模块"
    assert normalize(operation(tags=[])).tag_description == ""


def test_operation_id_comes_from_module_and_last_segment() -> None:
    assert normalize(operation()).operation["operationId"] == "groupGetChatroomMemberList"
    other = normalize(operation(), path="/gewe/v2/api/contacts/search")
    assert other.operation["operationId"] == "contactsSearch"
    assert other.operation["tags"] == ["contacts"]


def test_token_header_becomes_the_security_scheme_and_other_parameters_stay() -> None:
    lower = {**TOKEN_PARAM, "name": "x-gewe-token"}
    query = {"name": "page", "in": "query", "schema": {"type": "integer"}}
    result = normalize(operation(parameters=[lower, query]))
    assert result.operation["security"] == [{SECURITY_SCHEME: []}]
    assert result.operation["parameters"] == [query]
    only_token = normalize(operation())
    assert "parameters" not in only_token.operation
    assert only_token.operation["security"] == [{SECURITY_SCHEME: []}]


def test_request_body_is_required_when_its_schema_has_required_properties() -> None:
    with_required = {"type": "object", "properties": {"appId": {"type": "string"}}, "required": ["appId"]}
    result = normalize(operation(request=with_required))
    assert result.operation["requestBody"]["required"] is True
    assert request_schema(result) == {"$ref": "#/components/schemas/GroupGetChatroomMemberListRequest"}
    assert result.schemas["GroupGetChatroomMemberListRequest"]["required"] == ["appId"]

    optional = {"type": "object", "properties": {"appId": {"type": "string"}}}
    assert "required" not in normalize(operation(request=optional)).operation["requestBody"]


def test_required_keeps_only_declared_properties_sorted() -> None:
    request = {
        "type": "object",
        "properties": {"b": {"type": "string"}, "a": {"type": "string"}},
        "required": ["b", "ghost", "a", "b"],
    }
    assert normalize(operation(request=request)).schemas["GroupGetChatroomMemberListRequest"]["required"] == [
        "a",
        "b",
    ]


def test_operation_without_request_body_has_no_request_model() -> None:
    result = normalize(operation())
    assert "requestBody" not in result.operation
    assert not [name for name in result.schemas if name.endswith("Request")]


def test_envelope_accepts_error_replies() -> None:
    data = {"type": "object", "properties": {"qrBase64": {"type": "string"}}, "required": ["qrBase64"]}
    result = normalize(operation(response=reply(data)))
    assert reply_schema(result) == {"$ref": "#/components/schemas/GroupGetChatroomMemberListResponse"}
    envelope = result.schemas["GroupGetChatroomMemberListResponse"]
    assert envelope["required"] == ["data", "ret"]  # the page requires data; nullable, so errors fit
    assert envelope["properties"]["msg"] == {"type": "string", "nullable": True}
    assert envelope["properties"]["data"] == {
        "allOf": [{"$ref": "#/components/schemas/GroupGetChatroomMemberListData"}],
        "nullable": True,
    }
    assert result.schemas["GroupGetChatroomMemberListData"]["required"] == ["qrBase64"]


def test_data_is_required_only_where_the_page_requires_it_and_never_shows_it_null() -> None:
    data = {"type": "object", "properties": {"qrBase64": {"type": "string"}}}
    not_listed = normalize(operation(response={**reply(data), "required": ["ret"]}))
    assert not_listed.schemas["GroupGetChatroomMemberListResponse"]["required"] == ["ret"]
    nullable_on_page = normalize(operation(response=reply({**data, "nullable": True})))
    assert nullable_on_page.schemas["GroupGetChatroomMemberListResponse"]["required"] == ["ret"]
    warnings: list[str] = []
    shown_null = operation()
    media = shown_null["responses"]["200"]["content"]["application/json"]
    media.update(schema=reply(data), example={"ret": 200, "msg": "ok", "data": None})
    result = normalize_operation(
        SOURCE, shown_null, derive(SOURCE, PATH), {}, warn=lambda at, msg: warnings.append(f"{at}: {msg}")
    )
    assert result.schemas["GroupGetChatroomMemberListResponse"]["required"] == ["ret"]
    assert any("example shows `data` as null on success: made optional" in w for w in warnings)
    # An error example with data null says nothing about successes.
    error_example = operation()
    media = error_example["responses"]["200"]["content"]["application/json"]
    media.update(schema=reply(data), example={"ret": 500, "msg": "失败", "data": None})
    result = normalize(error_example)
    assert result.schemas["GroupGetChatroomMemberListResponse"]["required"] == ["data", "ret"]


def test_envelope_with_scalar_or_list_data_or_none() -> None:
    scalar = normalize(operation(response=reply({"type": "boolean"})))
    assert scalar.schemas["GroupGetChatroomMemberListResponse"]["properties"]["data"] == {
        "type": "boolean",
        "nullable": True,
    }
    listed = normalize(
        operation(response=reply({"type": "array", "items": {"type": "object", "properties": {}}}))
    )
    data = listed.schemas["GroupGetChatroomMemberListResponse"]["properties"]["data"]
    assert data["nullable"] is True
    assert data["items"] == {"$ref": "#/components/schemas/GroupGetChatroomMemberListDataItem"}
    without = normalize(operation(response=reply()))
    envelope = without.schemas["GroupGetChatroomMemberListResponse"]
    assert set(envelope["properties"]) == {"ret", "msg"}
    assert envelope["required"] == ["ret"]


def test_envelope_adds_a_nullable_msg_when_the_page_has_none() -> None:
    bare = {"type": "object", "properties": {"ret": {"type": "integer"}}}
    envelope = normalize(operation(response=bare)).schemas["GroupGetChatroomMemberListResponse"]
    assert envelope["properties"]["msg"] == {"type": "string", "nullable": True}


def test_nested_objects_and_arrays_of_objects_are_hoisted_with_derived_names() -> None:
    member = {"type": "object", "title": "群成员", "properties": {"wxid": {"type": "string"}}}
    data = {
        "type": "object",
        "properties": {
            "memberList": {"type": "array", "items": member},
            "owner": {"type": "object", "properties": {"wxid": {"type": "string"}}},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
    }
    request = {
        "type": "object",
        "properties": {"filter": {"type": "object", "properties": {"page": {"type": "integer"}}}},
    }
    result = normalize(operation(request=request, response=reply(data)))
    prefix = "GroupGetChatroomMemberList"
    assert set(result.schemas) == {
        f"{prefix}Request",
        f"{prefix}RequestFilter",
        f"{prefix}Response",
        f"{prefix}Data",
        f"{prefix}DataMemberListItem",
        f"{prefix}DataOwner",
    }
    hoisted = result.schemas[f"{prefix}Data"]["properties"]
    assert hoisted["memberList"]["items"] == {"$ref": f"#/components/schemas/{prefix}DataMemberListItem"}
    assert hoisted["tags"] == {"type": "array", "items": {"type": "string"}}
    assert result.schemas[f"{prefix}DataMemberListItem"] == {
        "type": "object",
        "properties": {"wxid": {"type": "string"}},
    }


def test_titles_never_name_anything_and_are_dropped() -> None:
    data = {"type": "object", "title": "群二维码", "properties": {"q": {"type": "string", "title": "二维码"}}}
    result = normalize(operation(response=reply(data, title="返回")))
    assert "title" not in walk_keys(result.schemas)
    assert all(name.isascii() for name in result.schemas)


def test_apifox_noise_is_dropped_and_examples_kept() -> None:
    request = {
        "type": "object",
        "properties": {"appId": {"type": "string", "additionalProperties": False}},
        "x-apifox-orders": ["appId"],
    }
    op = operation(
        request=request, **{"x-apifox-folder": "群", "x-run-in-apifox": "https://app.apifox.com/x"}
    )
    op["requestBody"]["content"]["application/json"]["example"] = {"appId": "{{appid}}"}
    op["responses"]["200"]["content"]["application/json"]["example"] = {"ret": 200, "msg": "ok", "data": None}
    op["responses"]["200"]["x-apifox-name"] = "成功"
    op["responses"]["200"]["headers"] = {}
    result = normalize(op)
    keys = walk_keys(result.operation) | walk_keys(result.schemas)
    assert not [k for k in keys if k.startswith("x-")]
    assert "headers" not in result.operation["responses"]["200"]
    assert result.operation["requestBody"]["content"]["application/json"]["example"] == {"appId": "{{appid}}"}
    assert result.operation["responses"]["200"]["content"]["application/json"]["example"]["ret"] == 200
    # additionalProperties on a string means nothing (Apifox puts it there); on objects it stays.
    assert result.schemas["GroupGetChatroomMemberListRequest"]["properties"]["appId"] == {"type": "string"}
    closed = {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}
    assert (
        normalize(operation(request=closed)).schemas["GroupGetChatroomMemberListRequest"][
            "additionalProperties"
        ]
        is False
    )


def test_enums_are_hoisted_under_a_derived_name() -> None:
    data = {
        "type": "object",
        "properties": {"sex": {"type": "integer", "enum": [0, 1, 2], "description": "性别"}},
    }
    result = normalize(operation(response=reply(data)))
    assert result.schemas["GroupGetChatroomMemberListDataSex"] == {
        "type": "integer",
        "enum": [0, 1, 2],
        "description": "性别",
    }


def test_non_envelope_replies_keep_their_shape() -> None:
    obj = {"type": "object", "properties": {"status": {"type": "string"}}}
    result = normalize(operation(response=obj))
    assert result.schemas["GroupGetChatroomMemberListResponse"] == obj
    array = {"type": "array", "items": obj}
    listed = normalize(operation(response=array))
    assert reply_schema(listed) == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/GroupGetChatroomMemberListResponseItem"},
    }
    text = normalize(operation(response={"type": "string"}))
    assert reply_schema(text) == {"type": "string"}
    assert text.schemas == {}


def test_other_replies_are_named_by_status() -> None:
    op = operation(response=reply({"type": "string"}))
    op["responses"]["500"] = {
        "description": "error",
        "content": {
            "application/json": {"schema": {"type": "object", "properties": {"e": {"type": "string"}}}}
        },
    }
    op["responses"]["201"] = {
        "description": "also fine",
        "content": {
            "application/json": {"schema": {"type": "object", "properties": {"f": {"type": "string"}}}}
        },
    }
    result = normalize(op)
    assert {"GroupGetChatroomMemberListResponse201", "GroupGetChatroomMemberListResponse500"} <= set(
        result.schemas
    )
    # only the first 2xx reply is treated as the envelope
    assert "ret" in result.schemas["GroupGetChatroomMemberListResponse"]["properties"]
    assert "ret" not in result.schemas["GroupGetChatroomMemberListResponse201"]["properties"]


def test_local_refs_are_inlined_and_named_where_used() -> None:
    components = {
        "schemas": {
            "Member": {
                "type": "object",
                "title": "成员",
                "properties": {"who": {"$ref": "#/components/schemas/Who"}},
            },
            "Who": {"type": "object", "properties": {"wxid": {"type": "string"}}},
        },
        "responses": {"Ok": {"description": "ok", "content": {"application/json": {"schema": reply()}}}},
        "parameters": {"Page": {"name": "page", "in": "query", "schema": {"type": "integer"}}},
    }
    data = {
        "type": "object",
        "properties": {"m": {"$ref": "#/components/schemas/Member", "description": "成员"}},
    }
    op = operation(response=reply(data))
    op["parameters"].append({"$ref": "#/components/parameters/Page"})
    op["responses"]["400"] = {"$ref": "#/components/responses/Ok"}
    result = normalize(op, components)
    prefix = "GroupGetChatroomMemberList"
    assert "Member" not in result.schemas and "Who" not in result.schemas
    assert result.schemas[f"{prefix}DataM"]["description"] == "成员"
    assert result.schemas[f"{prefix}DataM"]["properties"]["who"] == {
        "$ref": f"#/components/schemas/{prefix}DataMWho"
    }
    assert result.operation["parameters"] == [components["parameters"]["Page"]]
    assert result.operation["responses"]["400"]["description"] == "ok"


@pytest.mark.parametrize(
    ("ref", "components", "problem"),
    [
        ("#/components/schemas/Missing", {"schemas": {}}, "unresolvable $ref '#/components/schemas/Missing'"),
        ("other.yaml#/components/schemas/X", {}, "unsupported $ref 'other.yaml#/components/schemas/X'"),
        (
            "#/components/schemas/Loop",
            {
                "schemas": {
                    "Loop": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Loop"}}}
                }
            },
            "recursive $ref '#/components/schemas/Loop'",
        ),
    ],
)
def test_bad_refs_are_errors_naming_the_page(ref: str, components: dict[str, Any], problem: str) -> None:
    with pytest.raises(SpecError) as info:
        normalize(operation(response=reply({"$ref": ref})), components)
    assert info.value.source == SOURCE
    assert problem in info.value.problem


def test_one_derived_name_for_two_different_schemas_is_an_error() -> None:
    data = {
        "type": "object",
        "properties": {
            "list": {"type": "array", "items": {"type": "object", "properties": {"a": {"type": "string"}}}},
            "listItem": {"type": "object", "properties": {"b": {"type": "string"}}},
        },
    }
    with pytest.raises(SpecError, match="GroupGetChatroomMemberListDataListItem"):
        normalize(operation(response=reply(data)))


def test_an_operation_needs_responses() -> None:
    op = operation()
    op["responses"] = {}
    with pytest.raises(SpecError, match="has no responses"):
        normalize(op)
    op["responses"] = ["200"]
    with pytest.raises(SpecError, match="not a mapping"):
        normalize(op)


def test_the_input_operation_is_not_modified() -> None:
    data = {"type": "object", "properties": {"q": {"type": "string", "title": "t"}}}
    op = operation(request={"type": "object", "properties": {"a": {"type": "string"}}}, response=reply(data))
    before = copy.deepcopy(op)
    normalize(op)
    assert op == before
