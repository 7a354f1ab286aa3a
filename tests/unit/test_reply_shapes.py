"""Every reply shape a page can document, through the real client: synthetic pages are bundled and
generated into a temporary package (`shapes_api`), whose resources run on `GeweClient`.

Shapes: `data` as an object (nested models, lists, enums, nullable and optional fields), an array, a
boolean, a string, an integer, a number, an object with no properties, no `data` at all, and a bare
reply without GeWe's envelope. Each is checked lenient (kept as it came, logged once per operation and
field) and strict (`GeweResponseError` at the call).
"""

from __future__ import annotations

import ast
import importlib
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import yaml

from gewe import GeweAPIError, GeweClient, GeweResponseError, envelope
from tests.conftest import APP_ID, TOKEN
from tests.spec._support import generate_package, mypy_strict, write_spec
from tests.support.calls import FAST

MODULE = "shapes"


def _reply(data: Any) -> dict[str, Any]:
    """GeWe's envelope around `data` (no `data` when it is None)."""
    props: dict[str, Any] = {"ret": {"type": "integer"}, "msg": {"type": "string"}}
    if data is not None:
        props["data"] = data
    return {"type": "object", "properties": props, "required": list(props)}


STR = {"type": "string"}
INT = {"type": "integer"}
MEMBER = {"type": "object", "properties": {"wxid": STR, "nickName": STR}, "required": ["wxid"]}
OBJECT = {
    "type": "object",
    "properties": {
        "id": INT,
        "name": STR,
        "remark": {"type": "string", "nullable": True},
        "sex": {"type": "integer", "enum": [0, 1, 2]},
        "tags": {"type": "array", "items": STR},
        "owner": MEMBER,
        "members": {"type": "array", "items": MEMBER},
    },
    "required": ["id", "name", "owner"],
}
# What else a schema can say: lists of lists, formats, string enums, unions, nullable lists.
ODD = {
    "type": "object",
    "properties": {
        "grid": {"type": "array", "items": {"type": "array", "items": INT}},
        "when": {"type": "string", "format": "date-time"},
        "kind": {"type": "string", "enum": ["text", "image"]},
        "either": {"oneOf": [STR, INT]},
        "maybe": {"type": "array", "items": MEMBER, "nullable": True},
    },
}
# operation -> (reply schema, an example of the reply)
PAGES: dict[str, tuple[dict[str, Any], Any]] = {
    "objectData": (
        _reply(OBJECT),
        {"ret": 200, "msg": "ok", "data": {"id": 1, "name": "n", "owner": {"wxid": "w"}}},
    ),
    "listData": (
        _reply({"type": "array", "items": MEMBER}),
        {"ret": 200, "msg": "ok", "data": [{"wxid": "w"}]},
    ),
    "boolData": (_reply({"type": "boolean"}), {"ret": 200, "msg": "ok", "data": True}),
    "textData": (_reply(STR), {"ret": 200, "msg": "ok", "data": "t"}),
    "countData": (_reply(INT), {"ret": 200, "msg": "ok", "data": 3}),
    "ratioData": (_reply({"type": "number"}), {"ret": 200, "msg": "ok", "data": 0.5}),
    "emptyData": (_reply({"type": "object"}), {"ret": 200, "msg": "ok", "data": None}),
    "noData": (_reply(None), {"ret": 200, "msg": "ok"}),
    "oddData": (_reply(ODD), {"ret": 200, "msg": "ok", "data": {"grid": [[1]]}}),
    "mapData": (
        _reply({"type": "object", "properties": {"total": INT}, "additionalProperties": INT}),
        {"ret": 200, "msg": "ok", "data": {"total": 2, "a": 1, "b": 1}},
    ),
    "bareObject": (
        {"type": "object", "properties": {"status": STR, "time": INT}, "required": ["status"]},
        {"status": "ok", "time": 1},
    ),
}


def _page(operation: str, reply: dict[str, Any], example: Any) -> dict[str, Any]:
    request = {"type": "object", "properties": {"appId": STR}, "required": ["appId"]}
    return {
        "openapi": "3.0.1",
        "info": {"title": "", "version": "1.0.0"},
        "paths": {
            f"/gewe/v2/api/{MODULE}/{operation}": {
                "post": {
                    "summary": operation,
                    "tags": ["形状模块"],
                    "requestBody": {"content": {"application/json": {"schema": request}}},
                    "responses": {
                        "200": {
                            "description": "",
                            "content": {"application/json": {"schema": reply, "example": example}},
                        }
                    },
                }
            }
        },
    }


@pytest.fixture(scope="module")
def shapes_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The pages above, bundled and generated as the package `shapes_api` (generated code only uses
    relative imports, so it imports under any name beside the real `gewe_api`)."""
    base = tmp_path_factory.mktemp("shapes")
    exports = base / "exports"
    exports.mkdir()
    for operation, (reply, example) in PAGES.items():
        text = yaml.safe_dump(_page(operation, reply, example), allow_unicode=True)
        (exports / f"{operation}.yaml").write_text(text, encoding="utf-8")
    spec = write_spec(exports, base / "gewe.yaml")
    package = generate_package(spec, base / "pkg" / "shapes_api")
    sys.path.insert(0, str(package.parent))
    try:
        api = importlib.import_module("shapes_api.api")
        types = importlib.import_module("shapes_api.types")
        with pytest.MonkeyPatch.context() as patch:
            # Within one package the envelope's "missing" marker is the package's own UNSET.
            patch.setattr(envelope, "UNSET", types.UNSET)
            patch.setattr(envelope, "Unset", types.Unset)
            yield api
    finally:
        sys.path.remove(str(package.parent))
        for name in [m for m in sys.modules if m == "shapes_api" or m.startswith("shapes_api.")]:
            del sys.modules[name]


def _call(api: ModuleType, method: str, payload: Any, *, strict: bool = False) -> Any:
    """`client.shapes.<method>()` on a GeweClient that also has the shapes_api resources."""
    with _client(api, payload, strict) as client:
        return getattr(client.shapes, method)()


def _client(api: ModuleType, payload: Any, strict: bool = False) -> Any:
    class ShapesClient(GeweClient, api.Resources):  # type: ignore[misc,name-defined]
        pass

    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=payload))
    return ShapesClient(token=TOKEN, app_id=APP_ID, retry_policy=FAST, transport=transport, strict=strict)


def _ok(data: Any) -> dict[str, Any]:
    return {"ret": 200, "msg": "ok", "data": data}


def _returns(api: ModuleType) -> dict[str, str]:
    """Each generated method's return annotation, as written in the source."""
    tree = ast.parse(Path(api.__file__).parent.joinpath(MODULE, "__init__.py").read_text(encoding="utf-8"))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "ShapesResource")
    return {
        f.name: ast.unparse(f.returns)
        for f in cls.body
        if isinstance(f, ast.FunctionDef) and f.returns is not None and not f.name.startswith("_")
    }


def test_each_shape_has_an_honest_return_type(shapes_api: ModuleType) -> None:
    returns = _returns(shapes_api)
    assert returns["bool_data"] == "bool"
    assert returns["text_data"] == "str"
    assert returns["count_data"] == "int"
    assert returns["ratio_data"] == "float"
    assert returns["no_data"] == "None"
    assert returns["list_data"].startswith("builtins.list[") and returns["list_data"].endswith("Item]")
    assert returns["empty_data"].endswith(" | None")
    assert returns["object_data"].endswith("Data")
    assert returns["bare_object"].endswith("Response")


def test_well_formed_replies_of_every_shape(shapes_api: ModuleType) -> None:
    data = {
        "id": 1,
        "name": "n",
        "remark": None,
        "sex": 2,
        "tags": ["a"],
        "owner": {"wxid": "w", "extra": 1},
        "members": [{"wxid": "m1"}, {"wxid": "m2", "nickName": "x"}],
    }
    result = _call(shapes_api, "object_data", _ok(data), strict=True)
    assert (result.id, result.name, result.remark, result.sex.value) == (1, "n", None, 2)
    assert result.owner.wxid == "w" and result.owner.additional_properties == {"extra": 1}
    assert [m.wxid for m in result.members] == ["m1", "m2"]
    assert result.to_dict() == data

    members = _call(shapes_api, "list_data", _ok([{"wxid": "a"}, {"wxid": "b"}]), strict=True)
    assert [m.wxid for m in members] == ["a", "b"]
    assert _call(shapes_api, "bool_data", _ok(False), strict=True) is False
    assert _call(shapes_api, "text_data", _ok("hi"), strict=True) == "hi"
    assert _call(shapes_api, "count_data", _ok(7), strict=True) == 7
    assert _call(shapes_api, "ratio_data", _ok(2), strict=True) == 2  # an integer is a number
    assert _call(shapes_api, "no_data", {"ret": 200, "msg": "ok"}, strict=True) is None
    assert _call(shapes_api, "no_data", _ok({"undocumented": 1}), strict=True) is None
    assert _call(shapes_api, "empty_data", _ok(None), strict=True) is None
    assert _call(shapes_api, "empty_data", _ok({"k": 1}), strict=True).additional_properties == {"k": 1}
    bare = _call(shapes_api, "bare_object", {"status": "ok", "time": 5}, strict=True)
    assert (bare.status, bare.time) == ("ok", 5)


BROKEN = {
    "id": "1",
    "name": "n",
    "remark": 5,
    "sex": 9,
    "tags": ["a", 2],
    "owner": {"nickName": "x"},
    "members": [{"wxid": 3}, "m2", {"wxid": "ok"}],
}
MISMATCHES = {
    "data.id is a string, expected integer",
    "data.remark is an integer, expected string or null",
    "data.sex is 9, expected one of 0, 1, 2",
    "data.tags[] is an integer, expected string",
    "data.owner.wxid is missing, expected string",
    "data.members[].wxid is an integer, expected string",
    "data.members[] is a string, expected object",
}


def test_lenient_keeps_what_came_and_logs_each_field_once(
    shapes_api: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="gewe"), _client(shapes_api, _ok(BROKEN)) as client:
        result = client.shapes.object_data()
        again = client.shapes.object_data()
    logged = [r.getMessage().split("reply did not match the spec: ")[1] for r in caplog.records]
    assert sorted(logged) == sorted(MISMATCHES)  # each once, though two calls each saw them all
    assert all(r.getMessage().startswith("shapes.objectData: ") for r in caplog.records)
    assert TOKEN not in caplog.text
    # Kept as it came: wrong scalars as they are, a missing required field as None, good parts built.
    assert (result.id, result.remark, result.sex, result.tags) == ("1", 5, 9, ["a", 2])
    assert result.owner.wxid is None and result.owner.nick_name == "x"
    assert result.members[1] == "m2" and result.members[2].wxid == "ok"
    assert again.to_dict() == {**BROKEN, "owner": {"wxid": None, "nickName": "x"}}


@pytest.mark.parametrize(
    ("method", "data", "field"),
    [
        ("object_data", BROKEN, "data.id"),
        ("object_data", {**BROKEN, "id": 1}, "data.owner.wxid"),  # required fields come first
        ("list_data", [{"wxid": "a"}, 5], "data[]"),
        ("list_data", [{"nickName": "a"}], "data[].wxid"),
    ],
)
def test_strict_refuses_the_first_mismatch(
    shapes_api: ModuleType, method: str, data: Any, field: str
) -> None:
    with pytest.raises(GeweResponseError) as info:
        _call(shapes_api, method, _ok(data), strict=True)
    assert info.value.field == field
    assert info.value.operation.startswith("shapes.")
    assert str(info.value).startswith(f"{info.value.operation}: reply did not match the spec: {field} is ")


def test_other_schema_forms(shapes_api: ModuleType, caplog: pytest.LogCaptureFixture) -> None:
    good = {
        "grid": [[1, 2], []],
        "when": "2026-01-05T00:00:00+08:00",
        "kind": "image",
        "either": 3,
        "maybe": None,
    }
    result = _call(shapes_api, "odd_data", _ok(good), strict=True)
    assert result.grid == [[1, 2], []] and result.when.year == 2026 and result.kind.value == "image"
    assert result.either == 3 and result.maybe is None
    assert result.to_dict() == good
    bad = {"grid": [[1, "2"], 3], "when": "soon", "kind": "video", "either": [], "maybe": [{"wxid": 1}]}
    with caplog.at_level(logging.WARNING, logger="gewe"):
        kept = _call(shapes_api, "odd_data", _ok(bad))
    assert kept.to_dict() == bad
    logged = {r.getMessage().split(": ", 2)[2] for r in caplog.records}
    assert logged == {
        "data.grid[][] is a string, expected integer",
        "data.grid[] is an integer, expected array",
        "data.when is a string, expected date-time string",
        "data.kind is 'video', expected one of text, image",
        "data.either is an array, expected string or integer",
        "data.maybe[].wxid is an integer, expected string",
    }


def test_the_generated_checks_pass_mypy_strict(shapes_api: ModuleType, tmp_path: Path) -> None:
    root = Path(shapes_api.__file__).parents[2]  # shapes_api/api/__init__.py -> the folder holding shapes_api
    proc = mypy_strict(root, tmp_path, "shapes_api")
    assert proc.returncode == 0, proc.stdout
    assert re.search(r"no issues found in (\d\d+) source files", proc.stdout), proc.stdout


def test_typed_additional_properties_are_checked_too(
    shapes_api: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    data = {"total": 2, "a": 1, "b": "x"}
    with caplog.at_level(logging.WARNING, logger="gewe"):
        result = _call(shapes_api, "map_data", _ok(data))
    assert (result.total, result["a"], result["b"]) == (2, 1, "x")
    assert result.to_dict() == data
    assert "data.b is a string, expected integer" in caplog.text
    with pytest.raises(GeweResponseError) as info:
        _call(shapes_api, "map_data", _ok(data), strict=True)
    assert info.value.field == "data.b"


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize(
    ("method", "payload", "detail"),
    [
        ("object_data", _ok(None), "data is null, expected object"),
        ("object_data", {"ret": 200, "msg": "ok"}, "data is missing, expected object"),
        ("object_data", _ok([1]), "data is an array, expected object"),
        ("list_data", _ok({"wxid": "a"}), "data is an object, expected array"),
        ("bool_data", _ok("true"), "data is a string, expected boolean"),
        ("text_data", _ok(None), "data is null, expected string"),
        ("count_data", _ok(1.5), "data is a number, expected integer"),
        ("count_data", _ok(True), "data is a boolean, expected integer"),
        ("ratio_data", _ok("0.5"), "data is a string, expected number"),
        ("bare_object", [1], "reply is an array, expected object"),
    ],
)
def test_data_that_is_missing_or_mistyped_as_a_whole_is_an_error_in_both_modes(
    shapes_api: ModuleType, method: str, payload: Any, detail: str, strict: bool
) -> None:
    with pytest.raises(GeweResponseError) as info:
        _call(shapes_api, method, payload, strict=strict)
    assert info.value.detail == detail


def test_a_bare_reply_page_still_gets_gewe_errors(shapes_api: ModuleType) -> None:
    with pytest.raises(GeweAPIError) as info:
        _call(shapes_api, "bare_object", {"ret": 500, "msg": "失败", "data": None})
    assert (info.value.ret, info.value.msg) == (500, "失败")
