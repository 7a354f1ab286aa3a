"""The bundled spec: golden file, determinism, the committed spec, and rules across all pages."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_python_client.strings import pascal_case

from tests.fixtures.synth import page
from tests.spec._support import EXPORTS, GOLDEN, REAL_EXPORTS, REAL_SPEC, copy_tree, diff_hint, spec_text
from tools.gewe_spec import SpecError, bundle, dump
from tools.gewe_spec import pages as pages_module

UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def fixture_text() -> str:
    return spec_text(EXPORTS)


@pytest.fixture(scope="module")
def fixture_spec(fixture_text: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(fixture_text)
    return loaded


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]


def test_golden(fixture_text: str) -> None:
    """The normalized spec of tests/fixtures/exports. After a deliberate rule change: UPDATE_GOLDEN=1."""
    if UPDATE:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(fixture_text, encoding="utf-8")
    expected = GOLDEN.read_text(encoding="utf-8") if GOLDEN.exists() else ""
    assert fixture_text == expected, (
        "the normalized fixture spec changed; if that is intended, rerun with UPDATE_GOLDEN=1 and review "
        f"the diff of {GOLDEN.relative_to(GOLDEN.parents[3])}:\n"
        + diff_hint(expected, fixture_text, "gewe.yaml")
    )


def test_committed_spec_is_what_the_exports_give() -> None:
    expected = spec_text(REAL_EXPORTS)
    actual = REAL_SPEC.read_text(encoding="utf-8")
    assert actual == expected, "openapi/gewe.yaml is stale; run `make spec`:\n" + diff_hint(
        expected, actual, "gewe.yaml"
    )


def test_bundling_twice_is_byte_identical(fixture_text: str) -> None:
    assert spec_text(EXPORTS) == fixture_text


def test_output_does_not_depend_on_the_folder_or_discovery_order(
    fixture_text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    moved = copy_tree(EXPORTS, tmp_path / "somewhere" / "else" / "exports")
    assert spec_text(moved) == fixture_text

    found = pages_module.iter_page_files(moved)
    monkeypatch.setattr(pages_module, "iter_page_files", lambda _exports: list(reversed(found)))
    assert spec_text(moved) == fixture_text


def test_a_page_repeated_identically_is_harmless(fixture_text: str, tmp_path: Path) -> None:
    exports = copy_tree(EXPORTS, tmp_path / "exports")
    member_page = next(exports.rglob("获取群成员列表.md"))
    shutil.copy(member_page, exports / "copy-of-a-page.md")
    assert spec_text(exports) == fixture_text


def test_a_repeated_page_may_differ_in_apifox_noise_only(fixture_text: str, tmp_path: Path) -> None:
    exports = copy_tree(EXPORTS, tmp_path / "exports")
    member_page = next(exports.rglob("获取群成员列表.md"))
    text = member_page.read_text(encoding="utf-8").replace("api-139908307-run", "api-000000000-run")
    (exports / "copy-of-a-page.md").write_text(text, encoding="utf-8")
    assert spec_text(exports) == fixture_text
    (exports / "copy-of-a-page.md").write_text(text.replace("群主的wxid", "群主"), encoding="utf-8")
    with pytest.raises(SpecError, match="already defined differently"):
        bundle(exports)


def test_guide_pages_are_skipped_with_one_notice_each() -> None:
    notices: list[str] = []
    bundle(EXPORTS, notice=notices.append)
    assert notices == [
        f"skip: {(EXPORTS / '说明' / '快速开始.md').as_posix()}: no OpenAPI block (guide page)"
    ]


def test_every_operation_follows_the_rules(fixture_spec: dict[str, Any]) -> None:
    found = operations(fixture_spec)
    assert len(found) >= 12
    for path, _method, op in found:
        module, operation = path.split("/")[4:6]
        assert op["tags"] == [module]
        assert op["operationId"] == module + operation[0].upper() + operation[1:]
        assert op["security"] == [{"GeweToken": []}]
        assert not [p for p in op.get("parameters", []) if p["name"].lower() == "x-gewe-token"]


def test_every_model_is_named_for_its_module_and_operation(fixture_spec: dict[str, Any]) -> None:
    prefixes = {
        pascal_case(op["tags"][0]) + pascal_case(path.rsplit("/", 1)[1])
        for path, _, op in operations(fixture_spec)
    }
    for name in fixture_spec["components"]["schemas"]:
        assert name.isascii() and name.isidentifier(), name
        assert any(name.startswith(p) for p in prefixes), name


def test_no_vendor_noise_or_titles_survive(fixture_text: str) -> None:
    assert "x-apifox" not in fixture_text and "x-run-in-apifox" not in fixture_text
    assert "\n      title:" not in fixture_text and "视频号对象" not in fixture_text


def test_envelopes_accept_error_replies(fixture_spec: dict[str, Any]) -> None:
    envelopes = [
        s for s in fixture_spec["components"]["schemas"].values() if "ret" in s.get("properties", {})
    ]
    assert len(envelopes) >= 8
    for schema in envelopes:
        # `data` may be required (a success must carry it), but it is nullable: errors fit.
        assert schema["required"] in (["ret"], ["data", "ret"])
        assert schema["properties"]["msg"]["nullable"] is True
        if "data" in schema["properties"]:
            assert schema["properties"]["data"]["nullable"] is True


def test_tags_servers_and_info(fixture_spec: dict[str, Any]) -> None:
    tags = {t["name"]: t.get("description") for t in fixture_spec["tags"]}
    assert tags["group"] == "基础API/群模块"
    assert tags["finder"] == "视频号模块"
    assert all(name.isascii() for name in tags)
    assert fixture_spec["servers"] == [{"url": "http://api.geweapi.com", "description": "测试环境"}]
    assert fixture_spec["info"]["title"] and fixture_spec["info"]["version"]


def test_multi_line_descriptions_are_readable_blocks(fixture_text: str) -> None:
    assert "      description: |-\n        ### 注意\n        - 群成员列表包含群主和管理员\n" in fixture_text


def test_the_bundle_is_a_fixed_point_of_dump_and_load(
    fixture_text: str, fixture_spec: dict[str, Any]
) -> None:
    assert dump(fixture_spec) == fixture_text


def write_page(exports: Path, name: str, document: dict[str, Any]) -> None:
    exports.mkdir(parents=True, exist_ok=True)
    (exports / name).write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


def test_path_level_parameters_apply_to_their_operations(tmp_path: Path) -> None:
    document = page("group", "getChatroomInfo", 1)
    item = document["paths"]["/gewe/v2/api/group/getChatroomInfo"]
    token = item["post"].pop("parameters")[0]
    trace = {"name": "X-Trace", "in": "header", "schema": {"type": "string"}}
    item["parameters"] = [token, trace]
    write_page(tmp_path / "exports", "page.yaml", document)
    op = bundle(tmp_path / "exports")["paths"]["/gewe/v2/api/group/getChatroomInfo"]["post"]
    assert op["parameters"] == [trace]
    assert op["security"] == [{"GeweToken": []}]


def test_the_same_path_with_two_methods_is_a_name_collision(tmp_path: Path) -> None:
    document = page("group", "getChatroomInfo", 1)
    item = document["paths"]["/gewe/v2/api/group/getChatroomInfo"]
    item["get"] = {"responses": {"200": {"description": "ok"}}}
    write_page(tmp_path / "exports", "page.yaml", document)
    with pytest.raises(SpecError, match=r"name collision: .*'groupGetChatroomInfo'"):
        bundle(tmp_path / "exports")


def test_exports_without_any_endpoint_are_an_error(tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "guide.md").write_text("# 说明\n", encoding="utf-8")
    with pytest.raises(SpecError, match="no OpenAPI page found") as info:
        bundle(tmp_path / "exports")
    assert info.value.source == str(tmp_path / "exports")
