"""The Apifox dialect rules (dialect.py, examples.py, values.py), each on a synthetic page.

The pages are the corpus's (tests/fixtures/corpus.py): synth.page() changed by one variant.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.fixtures import corpus
from tests.fixtures.synth import markdown, page
from tests.spec._support import class_fields, generate_package, resource_methods, write_spec
from tools.gewe_spec import bundle
from tools.gewe_spec.__main__ import main
from tools.gewe_spec.dialect import normalize_schema
from tools.gewe_spec.examples import fit_example
from tools.gewe_spec.report import Report, Where
from tools.gewe_spec.values import NO, coerce

MODULE, OPERATION = "group", "getChatroomInfo"
PATH = f"/gewe/v2/api/{MODULE}/{OPERATION}"
PREFIX = "GroupGetChatroomInfo"


def variant_page(variant: Callable[[dict[str, Any]], None], number: int = 2) -> dict[str, Any]:
    doc = copy.deepcopy(page(MODULE, OPERATION, number))
    variant(doc)
    return doc


def bundled(tmp_path: Path, doc: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The spec of one page, and its warnings as `where: message` lines."""
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "page.md").write_text(markdown("页面", doc), encoding="utf-8")
    report = Report()
    spec = bundle(exports, report=report)
    return spec, [f"{w.where}: {w.message}" for w in report.warnings]


def operation(spec: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = spec["paths"][PATH]["post"]
    return op


def media(spec: dict[str, Any], where: str) -> dict[str, Any]:
    op = operation(spec)
    node = op["requestBody"] if where == "request" else op["responses"][where]
    found: dict[str, Any] = node["content"]["application/json"]
    return found


def schema(spec: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = spec["components"]["schemas"][PREFIX + name]
    return found


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        ("false", "boolean", False),
        ("TRUE", "boolean", True),
        ("1", "integer", 1),
        (2.0, "integer", 2),
        ("0.5", "number", 0.5),
        ("7", "number", 7),
        (3, "string", "3"),
        (True, "boolean", True),
        ("yes", "boolean", NO),
        ("1.5", "integer", NO),
        (True, "integer", NO),
        (False, "string", NO),
        ("{{appid}}", "integer", NO),
        ([1], "string", NO),
    ],
)
def test_values_are_coerced_only_when_the_meaning_is_certain(value: Any, kind: str, expected: Any) -> None:
    result = coerce(value, kind)
    assert result is NO if expected is NO else (result == expected and type(result) is type(expected))


def test_null_types_become_nullable(tmp_path: Path) -> None:
    spec, warnings = bundled(tmp_path, variant_page(corpus.type_null))
    props = schema(spec, "Data")["properties"]
    assert props["alias"] == {"type": "string", "nullable": True, "description": "别名"}
    assert props["nothing"] == {"nullable": True}
    assert props["count"] == {"type": "integer", "nullable": True}
    assert props["tags"] == {"type": "array", "items": {"type": "string"}, "nullable": True}
    assert schema(spec, "Request")["properties"]["remarkOrNull"] == {"type": "string", "nullable": True}
    assert warnings == []  # a faithful translation, nothing lost


def test_a_list_of_types_and_a_nullable_object(tmp_path: Path) -> None:
    def forms(doc: dict[str, Any]) -> None:
        corpus.nested_request(doc)
        props = corpus._request(doc)["schema"]["properties"]
        props["idOrName"] = {"type": ["integer", "string"]}
        props["blob"] = {"type": ["object", "array"]}

    spec, warnings = bundled(tmp_path, variant_page(forms))
    props = schema(spec, "Request")["properties"]
    assert props["idOrName"] == {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    assert props["blob"] == {}
    assert warnings == [
        f"POST {PATH} requestBody.schema.blob.type:"
        " type ['object', 'array'] is not expressible in OpenAPI 3.0: any value accepted"
    ]
    # `type: [object, 'null']` on data: the model itself is not nullable, its place of use is
    assert "nullable" not in schema(spec, "Data")
    envelope = schema(spec, "Response")["properties"]["data"]
    assert envelope == {"allOf": [{"$ref": f"#/components/schemas/{PREFIX}Data"}], "nullable": True}


def test_values_of_the_wrong_type_are_coerced_or_dropped_with_warnings(tmp_path: Path) -> None:
    spec, warnings = bundled(tmp_path, variant_page(corpus.wrong_value_types))
    props = schema(spec, "Request")["properties"]
    assert props["isOpen"]["default"] is False
    scene = schema(spec, "RequestScene")  # an enum: a model of its own
    assert scene["default"] == 1 and scene["example"] == 2 and scene["enum"] == [1, 2]
    assert "example" not in props["limit"] and props["limit"]["default"] == 1
    assert props["ratio"]["default"] == 0.5
    level = spec["components"]["schemas"][f"{PREFIX}DataLevel"]
    assert level["enum"] == ["1", "2"] and "default" not in level
    where = f"POST {PATH} requestBody.schema"
    assert f"{where}.isOpen.default: default 'false' is not of type boolean: read as False" in warnings
    assert f"{where}.limit.example: example 'abc' is not of type integer: dropped" in warnings
    assert f"{where}.scene.enum: enum value 'x' is not of type integer: dropped" in warnings
    assert len(warnings) == len(set(warnings))


@pytest.mark.parametrize(
    ("variant", "data"),
    [
        (corpus.data_boolean, {"type": "boolean", "nullable": True}),
        (corpus.data_string, {"type": "string", "description": "下载地址", "nullable": True}),
        (corpus.data_number, {"type": "number", "nullable": True}),
        (corpus.data_strings, {"type": "array", "items": {"type": "string"}, "nullable": True}),
        (
            corpus.data_list,
            {"type": "array", "items": {"$ref": f"#/components/schemas/{PREFIX}DataItem"}, "nullable": True},
        ),
    ],
)
def test_data_of_any_type(tmp_path: Path, variant: Callable[[dict[str, Any]], None], data: Any) -> None:
    spec, warnings = bundled(tmp_path, variant_page(variant))
    assert schema(spec, "Response")["properties"]["data"] == data
    assert warnings == []


def test_an_envelope_without_data(tmp_path: Path) -> None:
    spec, _ = bundled(tmp_path, variant_page(corpus.no_data))
    envelope = schema(spec, "Response")
    assert set(envelope["properties"]) == {"ret", "msg"} and envelope["required"] == ["ret"]
    assert envelope["properties"]["ret"]["example"] == 200  # a made-up reply is a success


def test_a_page_with_only_an_error_reply_gets_a_200(tmp_path: Path) -> None:
    spec, warnings = bundled(tmp_path, variant_page(corpus.only_500))
    assert sorted(operation(spec)["responses"]) == ["200", "500"]
    assert media(spec, "200")["schema"] == {"$ref": f"#/components/schemas/{PREFIX}Response"}
    assert "example" not in media(spec, "200")
    assert media(spec, "500")["example"]["ret"] == 500
    assert warnings == [
        f"POST {PATH} responses: no 2xx reply documented: assuming 200 with the schema of the 500 reply"
    ]


def test_examples_maps_become_one_example_preferring_a_success(tmp_path: Path) -> None:
    original = page(MODULE, OPERATION, 2)
    spec, warnings = bundled(tmp_path, variant_page(corpus.examples_map))
    request = original["paths"][PATH]["post"]["requestBody"]["content"]["application/json"]["example"]
    assert media(spec, "request")["example"] == request
    assert media(spec, "200")["example"]["ret"] == 200
    assert "examples" not in media(spec, "request") and "examples" not in media(spec, "200")
    assert warnings == []


def test_examples_written_as_json_text_are_read(tmp_path: Path) -> None:
    spec, _ = bundled(tmp_path, variant_page(corpus.example_as_text))
    assert isinstance(media(spec, "request")["example"], dict)
    assert media(spec, "200")["example"]["ret"] == 200


def test_a_page_without_examples(tmp_path: Path) -> None:
    spec, warnings = bundled(tmp_path, variant_page(corpus.no_example))
    assert "example" not in media(spec, "request") and "example" not in media(spec, "200")
    assert warnings == []


def test_placeholders_stay_in_strings_and_are_replaced_elsewhere(tmp_path: Path) -> None:
    spec, warnings = bundled(tmp_path, variant_page(corpus.placeholders))
    example = media(spec, "request")["example"]
    assert example["appId"] == "{{appid}}" and example["chatroomId"] == "{{chatroomId}}"
    assert example["pageSize"] == 0
    assert warnings == [
        f"POST {PATH} requestBody.example.pageSize: example value '{{{{pageSize}}}}' (string) does not fit"
        " type integer: replaced by a sample value"
    ]


def test_undeclared_example_fields_warn_and_replies_keep_them(tmp_path: Path) -> None:
    spec, warnings = bundled(tmp_path, variant_page(corpus.undeclared_fields))
    assert "proxyIp" not in media(spec, "request")["example"]
    data = media(spec, "200")["example"]["data"]
    assert data["extraInfo"] == {"source": "docs"} and data["extraFlag"] is True
    assert "additionalProperties" not in schema(spec, "Data")  # replies stay open
    assert (
        f"POST {PATH} requestBody.example.proxyIp: example field `proxyIp` not in schema: dropped from"
        in (" ".join(warnings))
    )
    assert any("example field `extraInfo` not in schema (kept" in w for w in warnings)


def test_maps_and_free_form_objects_take_any_key(tmp_path: Path) -> None:
    def maps(doc: dict[str, Any]) -> None:
        props = corpus._request(doc)["schema"]["properties"]
        props["labels"] = {"type": "object", "additionalProperties": {"type": "integer"}}
        props["raw"] = {"type": "object"}
        corpus._request(doc)["example"].update(labels={"a": 1, "b": "2"}, raw={"x": [1]})

    spec, warnings = bundled(tmp_path, variant_page(maps))
    example = media(spec, "request")["example"]
    assert example["labels"] == {"a": 1, "b": 2} and example["raw"] == {"x": [1]}
    assert warnings == [
        f"POST {PATH} requestBody.example.labels.b: example value '2' is not of type integer: read as 2"
    ]


def test_reply_objects_accept_undeclared_fields_even_if_the_page_forbids_them(tmp_path: Path) -> None:
    def closed(doc: dict[str, Any]) -> None:
        corpus._data(doc)["additionalProperties"] = False
        corpus._request(doc)["schema"]["additionalProperties"] = False

    spec, _ = bundled(tmp_path, variant_page(closed))
    assert "additionalProperties" not in schema(spec, "Data")
    assert schema(spec, "Request")["additionalProperties"] is False  # requests keep their rule


def test_examples_are_evidence(tmp_path: Path) -> None:
    spec, warnings = bundled(tmp_path, variant_page(corpus.evidence))
    data = schema(spec, "Data")
    assert data["properties"]["name"]["nullable"] is True
    assert data["required"] == ["name"]  # `id` was required, the example leaves it out
    assert warnings == [
        f"POST {PATH} responses.200.example.data.name: example shows `name` as null: made nullable",
        f"POST {PATH} responses.200.example.data.id: required field `id` is missing from the example:"
        " made optional",
    ]


def test_other_json_schema_forms(tmp_path: Path) -> None:
    spec, warnings = bundled(tmp_path, variant_page(corpus.json_schema_misc))
    props = schema(spec, "Request")["properties"]
    version = spec["components"]["schemas"][f"{PREFIX}RequestVersion"]
    assert props["version"] == {"$ref": f"#/components/schemas/{PREFIX}RequestVersion"}
    assert version == {"type": "string", "enum": ["v2"]}
    assert props["size"] == {"type": "integer", "minimum": 0, "exclusiveMinimum": True, "example": 10}
    assert props["anything"] == {"type": "array", "items": {}}
    assert "$schema" not in schema(spec, "Request")
    assert warnings == [f"POST {PATH} requestBody.schema.$schema: `$schema` is not OpenAPI 3.0: dropped"]


def test_apifox_types_and_required_on_a_property(tmp_path: Path) -> None:
    spec, warnings = bundled(tmp_path, variant_page(corpus.apifox_types))
    request = schema(spec, "Request")
    assert request["properties"]["thumb"] == {"type": "string", "format": "binary", "description": "缩略图"}
    assert request["properties"]["extra"] == {}
    assert request["properties"]["scene"] == {"type": "integer"}
    assert "scene" in request["required"]
    assert warnings == [
        f"POST {PATH} requestBody.schema.thumb.type: type 'file' is not OpenAPI 3.0: read as a binary string"
    ]


def test_a_success_reply_without_a_schema_is_taken_as_the_envelope(tmp_path: Path) -> None:
    spec, warnings = bundled(tmp_path, variant_page(corpus.no_reply_schema))
    envelope = schema(spec, "Response")
    assert envelope["properties"]["data"] == {"nullable": True}
    assert envelope["properties"]["ret"] == {"type": "integer", "example": 200}
    assert warnings == [
        f"POST {PATH} responses.200:"
        " reply documented without a schema: assuming GeWe's {ret, msg, data} envelope"
    ]


def test_a_bare_reply_is_its_own_model(tmp_path: Path) -> None:
    spec, _ = bundled(tmp_path, variant_page(corpus.bare_reply))
    reply = schema(spec, "Response")
    assert "ret" not in reply["properties"] and "wxid" not in reply["properties"]
    assert set(reply["properties"]) >= {"id", "name"}


def test_python_names_in_the_generated_package(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "names.md").write_text(markdown("名字", variant_page(corpus.python_names)), encoding="utf-8")
    md5 = page("message", "downloadEmojiMd5", 3)
    (exports / "md5.md").write_text(markdown("md5", md5), encoding="utf-8")
    spec = write_spec(exports, tmp_path / "gewe.yaml")
    pkg = generate_package(spec, tmp_path / "pkg" / "gewe_api")
    request = ("group_get_chatroom_info_request", f"{PREFIX}Request")
    assert {"type_", "from_", "file_md5", "qr_base64"} <= class_fields(pkg, *request)
    assert {"list_", "v1_token"} <= class_fields(pkg, "group_get_chatroom_info_data", f"{PREFIX}Data")
    assert "download_emoji_md5" in resource_methods(pkg, "message", "MessageResource")
    resource = (pkg / "api" / "group" / "__init__.py").read_text(encoding="utf-8")
    assert "timeout_: int | Unset = UNSET," in resource and "timeout=timeout_," in resource
    assert (pkg / "api" / "message" / "message_download_emoji_md5.py").is_file()


def test_make_spec_reports_pages_modules_and_each_warning_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exports = tmp_path / "exports"
    (exports / "group").mkdir(parents=True)
    (exports / "说明.md").write_text("# 说明\n\n先登录。\n", encoding="utf-8")
    (exports / "group" / "a.md").write_text(markdown("a", variant_page(corpus.undeclared_fields)), "utf-8")
    other = copy.deepcopy(page("contacts", "search", 1))
    corpus.evidence(other)
    (exports / "b.yaml").write_text(yaml.safe_dump(other, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "gewe.yaml"
    assert main(["--exports", str(exports), "--out", str(out)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert "read 3 pages (1 guide page skipped), 2 operations in 2 modules: contacts 1, group 1" in err
    warnings = [line for line in err if line.startswith("warning: ")]
    assert len(warnings) == len(set(warnings)) == 5
    assert (
        f"warning: {exports.as_posix()}/group/a.md: POST {PATH} requestBody.example.proxyIp:"
        " example field `proxyIp` not in schema: dropped from the example"
    ) in warnings
    assert "5 warnings (the spec was written; see README 'Adding endpoints')" in err
    assert out.is_file()


def test_a_page_that_cannot_be_understood_is_still_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = variant_page(corpus.plain)
    corpus._request(doc)["schema"]["properties"]["appId"]["type"] = "text"  # no such type
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "bad.md").write_text(markdown("bad", doc), encoding="utf-8")
    out = tmp_path / "gewe.yaml"
    assert main(["--exports", str(exports), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {exports.as_posix()}/bad.md: not valid OpenAPI after normalization")
    assert not out.exists()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)
schema_keys = st.sampled_from(
    ["type", "properties", "items", "required", "enum", "default", "example", "examples", "const",
     "nullable", "anyOf", "oneOf", "additionalProperties", "exclusiveMinimum", "$schema", "format"]
)  # fmt: skip
type_names = st.sampled_from(
    ["string", "integer", "number", "boolean", "array", "object", "null", "file", "any"]
)
schemas = st.recursive(
    st.dictionaries(schema_keys, json_values | type_names | st.lists(type_names, max_size=3), max_size=4),
    lambda inner: (
        st.fixed_dictionaries(
            {"type": type_names},
            optional={"properties": st.dictionaries(st.text(max_size=4), inner, max_size=3)},
        )
        | st.fixed_dictionaries({"type": st.just("array"), "items": inner})
        | st.fixed_dictionaries({"anyOf": st.lists(inner, max_size=2)})
    ),
    max_leaves=8,
)


@given(schema=schemas, example=json_values, reply=st.booleans())
def test_the_rules_never_crash_on_odd_schemas_and_examples(schema: Any, example: Any, reply: bool) -> None:
    warnings: list[str] = []

    def warn(where: Where, message: str) -> None:
        warnings.append(f"{where}: {message}")

    normalized = normalize_schema(copy.deepcopy(schema), Where("POST /x"), warn)
    fit_example(example, normalized, Where("POST /x") / "example", warn, reply)
    assert "null" not in str(normalized.get("type")) if isinstance(normalized, dict) else True
