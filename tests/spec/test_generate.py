"""tools/generate.py and what it produces: stable names, byte-identical reruns, drift checks."""

from __future__ import annotations

import filecmp
import hashlib
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

from tests.spec._support import (
    NEW_FIELD,
    NEW_MODULE,
    REAL_PACKAGE,
    Generated,
    Regeneration,
    class_fields,
    copy_tree,
    generate,
    load_yaml,
    package_names,
    resource_methods,
    spec_names,
)
from tools import generate as generate_tool
from tools.generate import MARK, stale_files
from tools.gewe_spec.names import pascal_case, python_name, snake_case

# What the page added by the regeneration test must bring (synthnew/sendTextSns, see conftest).
NEW_OPERATION_ID = "synthnewSendTextSns"
NEW_FUNCTION = "synthnew.synthnew_send_text_sns"
NEW_METHOD = "synthnew.send_text_sns"
NEW_MODELS = {
    "SynthnewSendTextSnsRequest",
    "SynthnewSendTextSnsResponse",
    "SynthnewSendTextSnsData",
    "SynthnewSendTextSnsDataItemsItem",
}


def test_regeneration_adds_the_new_endpoint_and_field_and_renames_nothing(regeneration: Regeneration) -> None:
    before_spec, after_spec = (
        spec_names(load_yaml(g.spec)) for g in (regeneration.before, regeneration.after)
    )
    before, after = package_names(regeneration.before.package), package_names(regeneration.after.package)

    # every operation of the real exports is a function and a method, before and after
    for names in (before, after):
        for operation_id in before_spec.operation_ids:
            module = next(m for m in before.modules if snake_case(operation_id).startswith(m + "_"))
            assert f"{module}.{snake_case(operation_id)}" in names.functions
            assert f"{module}.{snake_case(operation_id)[len(module) + 1 :]}" in names.methods
        assert {pascal_case(s) for s in before_spec.schemas} <= names.models

    # nothing existing changed: every name set only grew, and by exactly the new endpoint's names
    assert after_spec.operation_ids - before_spec.operation_ids == {NEW_OPERATION_ID}
    assert before_spec.operation_ids <= after_spec.operation_ids
    assert before_spec.schemas <= after_spec.schemas
    assert after_spec.schemas - before_spec.schemas == NEW_MODELS
    assert after.modules - before.modules == {NEW_MODULE} and before.modules <= after.modules
    assert after.functions - before.functions == {NEW_FUNCTION} and before.functions <= after.functions
    assert after.methods - before.methods == {NEW_METHOD} and before.methods <= after.methods
    assert after.models - before.models == NEW_MODELS and before.models <= after.models
    assert before.model_modules <= after.model_modules

    # the new function module and resource method are there
    assert (regeneration.after.package / "api" / NEW_MODULE / "synthnew_send_text_sns.py").is_file()
    assert "send_text_sns" in resource_methods(regeneration.after.package, NEW_MODULE, "SynthnewResource")
    assert NEW_MODULE in (regeneration.after.package / "api" / "__init__.py").read_text(encoding="utf-8")


def test_regeneration_adds_the_new_reply_field_to_its_model_only(regeneration: Regeneration) -> None:
    if regeneration.data_model is None:
        pytest.skip("no operation of openapi/exports has a data object to add a field to")
    model = regeneration.data_model
    data = (snake_case(model), pascal_case(model))
    field = python_name(NEW_FIELD)
    assert field not in class_fields(regeneration.before.package, *data)
    assert class_fields(regeneration.after.package, *data) == class_fields(
        regeneration.before.package, *data
    ) | {field}
    after_schema = load_yaml(regeneration.after.spec)["components"]["schemas"][model]
    assert after_schema["properties"][NEW_FIELD] == {"type": "integer", "description": "过期时间"}


def test_the_unchanged_parts_regenerate_byte_identically(regeneration: Regeneration) -> None:
    """Adding a page and a field churns nothing else: only the indexes and the changed model differ."""
    before, after = regeneration.before.package, regeneration.after.package
    changed = set(stale_files(after, before))
    # a new operation: the indexes, and the operation table a fake GeWe serves
    expected = {"_spec.py", "_read_only.py", "_operations.json", "api/__init__.py", "models/__init__.py"}
    if regeneration.data_model is not None:
        expected.add(f"models/{snake_case(regeneration.data_model)}.py")
    new = {f for f in changed if f.startswith(f"api/{NEW_MODULE}/")}
    new |= {f for f in changed if f.startswith("models/synthnew_")}
    assert changed - new == expected
    assert filecmp.cmp(before / "client.py", after / "client.py", shallow=False)


def test_the_real_exports_generate_what_is_committed(regeneration: Regeneration) -> None:
    """The regeneration test's 'before' is the shipped package (so it tests the real names)."""
    assert stale_files(regeneration.before.package, REAL_PACKAGE) == []


def test_every_file_is_marked_and_the_package_complete(fixture_generated: Generated) -> None:
    pkg = fixture_generated.package
    mark = MARK.format(v=version("openapi-python-client"))
    python_files = sorted(pkg.rglob("*.py"))
    assert len(python_files) > 20
    for path in python_files:
        assert path.read_text(encoding="utf-8").startswith(mark), path
    assert (pkg / "py.typed").is_file()
    digest = hashlib.sha256(fixture_generated.spec.read_bytes()).hexdigest()
    assert f'SPEC_SHA256 = "{digest}"' in (pkg / "_spec.py").read_text(encoding="utf-8")
    assert not list(pkg.rglob(".ruff_cache")) and not list(pkg.parent.glob(".gen-*"))


def test_rerun_is_byte_identical(fixture_generated: Generated, tmp_path: Path) -> None:
    again = tmp_path / "elsewhere" / "gewe_api"  # another location must not change a byte either
    assert generate(fixture_generated.spec, again) == 0
    assert stale_files(again, fixture_generated.package) == []


def test_generate_replaces_the_whole_tree(fixture_generated: Generated, tmp_path: Path) -> None:
    out = copy_tree(fixture_generated.package, tmp_path / "gewe_api")
    (out / "models" / "leftover_model.py").write_text("# from an older spec\n", encoding="utf-8")
    assert generate(fixture_generated.spec, out) == 0
    assert not (out / "models" / "leftover_model.py").exists()
    assert stale_files(out, fixture_generated.package) == []


def test_check_names_hand_edited_removed_and_stray_files(
    fixture_generated: Generated, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = copy_tree(fixture_generated.package, tmp_path / "gewe_api")
    assert generate(fixture_generated.spec, copy, "--check") == 0
    capsys.readouterr()

    edited = copy / "models" / "group_get_chatroom_member_list_data.py"
    edited.write_text(edited.read_text(encoding="utf-8").replace("wxid", "wx_id"), encoding="utf-8")
    (copy / "api" / "label" / "label_list.py").unlink()
    (copy / "models" / "hand_written.py").write_text("x = 1\n", encoding="utf-8")
    snapshot = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}

    assert generate(fixture_generated.spec, copy, "--check") == 1
    err = capsys.readouterr().err
    listed = {line.strip() for line in err.splitlines() if line.startswith("  ")}
    assert listed == {
        f"{copy}/models/group_get_chatroom_member_list_data.py",
        f"{copy}/api/label/label_list.py",
        f"{copy}/models/hand_written.py",
    }
    assert "stale:" in err
    assert {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()} == snapshot  # --check never writes


def test_generate_fails_cleanly_on_a_missing_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "gewe_api"
    assert generate(tmp_path / "missing.yaml", out) == 1
    assert "missing.yaml: spec not found" in capsys.readouterr().err
    assert not out.exists()


def test_generator_warnings_fail_and_leave_the_output_alone(
    fixture_generated: Generated, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An endpoint the generator would skip is an error, not a silently smaller client."""
    spec = load_yaml(fixture_generated.spec)
    body = spec["paths"]["/gewe/v2/api/group/modifyChatroomName"]["post"]["requestBody"]
    body["content"] = {"application/x-weird": {"schema": {"type": "string"}}}
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    out = copy_tree(fixture_generated.package, tmp_path / "gewe_api")

    assert generate(broken, out) == 1
    err = capsys.readouterr().err
    assert f"openapi-python-client failed on {broken}" in err
    assert "Unsupported content type application/x-weird" in err
    assert stale_files(out, fixture_generated.package) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.yaml", "gewe_api"]  # no temp dir left


def test_output_that_does_not_compile_is_an_error(
    fixture_generated: Generated,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Code that parses but does not compile (a repeated argument, as a request field named like a
    method's option once gave) passes the generator and its ruff post-hooks; generate.py must stop it."""
    templates = copy_tree(generate_tool.TEMPLATES, tmp_path / "templates")
    resource = templates / "endpoint_init.py.jinja"
    resource.write_text(
        resource.read_text(encoding="utf-8") + "\n\ndef repeated(x: int, x: int) -> None: ...\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(generate_tool, "TEMPLATES", templates)
    out = copy_tree(fixture_generated.package, tmp_path / "gewe_api")
    assert generate(fixture_generated.spec, out) == 1
    assert "generates invalid Python: __init__.py" in capsys.readouterr().err
    assert stale_files(out, fixture_generated.package) == []
