"""The Python API level on small source trees: attrs models (keyword-only or not) and functions."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tools.gewe_release.apidiff import diff_apis
from tools.gewe_release.report import API, BREAKING, COMPATIBLE

HEADER = """\
from __future__ import annotations

from typing import Any

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset
"""


def model(fields: str, kw_only: bool) -> str:
    decorator = "@_attrs_define(kw_only=True)" if kw_only else "@_attrs_define"
    body = textwrap.indent(textwrap.dedent(fields).strip(), "    ")
    return (
        f"{HEADER}\n\n{decorator}\nclass GroupGetChatroomQrCodeData:\n"
        f'    """A reply."""\n\n{body}\n'
        "    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)\n"
    )


def tree(
    root: Path, fields: str, kw_only: bool, function: str = "def send(*, chatroom_id: str) -> None: ..."
) -> Path:
    pkg = root / "generated" / "gewe_api"
    (pkg / "models").mkdir(parents=True)
    (pkg / "__init__.py").write_text('"""gewe_api."""\n')
    (pkg / "types.py").write_text("UNSET: Any = object()\nUnset = object\n")
    (pkg / "models" / "__init__.py").write_text("")
    (pkg / "models" / "group_get_chatroom_qr_code_data.py").write_text(model(fields, kw_only))
    (pkg / "calls.py").write_text(function + "\n")
    gewe = root / "overrides" / "gewe"
    gewe.mkdir(parents=True)
    (gewe / "__init__.py").write_text('"""gewe."""\n')
    return root


BASE_FIELDS = """
    qr_tips: str
    qr_base_64: str
"""
WIRE = {
    "qr_tips": "qrTips",
    "qr_base_64": "qrBase64",
    "qr_expire_time": "qrExpireTime",
    "chatroom_id": "chatroomId",
}
MODEL = "`gewe_api.models.GroupGetChatroomQrCodeData`"

CASES = {
    "new required field": (
        "qr_tips: str\nqr_base_64: str\nqr_expire_time: int",
        {("model-required-field-added", BREAKING, "field `qrExpireTime` / `qr_expire_time`")},
    ),
    "removed field": (
        "qr_base_64: str",
        {("model-field-removed", BREAKING, "field `qrTips` / `qr_tips`")},
    ),
    "new optional field": (
        "qr_tips: str\nqr_base_64: str\nqr_expire_time: int | Unset = UNSET",
        {("model-optional-field-added", COMPATIBLE, "field `qrExpireTime` / `qr_expire_time`")},
    ),
    "field made optional (type now admits UNSET)": (
        "qr_base_64: str\nqr_tips: str | Unset = UNSET",
        {
            ("model-field-type-changed", BREAKING, "field `qrTips` / `qr_tips`"),
            ("model-field-became-optional", COMPATIBLE, "field `qrTips` / `qr_tips`"),
        },
    ),
}


@pytest.mark.parametrize("kw_only", [False, True], ids=["positional", "kw_only"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_model_fields(case: str, kw_only: bool, tmp_path: Path) -> None:
    fields, expected = CASES[case]
    old = tree(tmp_path / "old", BASE_FIELDS, kw_only)
    new = tree(tmp_path / "new", fields, kw_only)
    changes, notes = diff_apis(old, new, WIRE)
    assert notes == []
    model_changes = {(c.check, c.severity, c.field) for c in changes if c.check.startswith("model-")}
    assert model_changes == expected
    assert all(c.level == API and c.subject == MODEL for c in changes if c.check.startswith("model-"))


def test_attrs_init_lets_griffe_see_a_field_that_moved(tmp_path: Path) -> None:
    """Positional models: swapping two fields shifts users' positional arguments."""
    old = tree(tmp_path / "old", BASE_FIELDS, kw_only=False)
    new = tree(tmp_path / "new", "qr_base_64: str\nqr_tips: str", kw_only=False)
    checks = {c.check for c in diff_apis(old, new, WIRE)[0]}
    assert "parameter-moved" in checks
    # keyword-only models cannot be called positionally: the same swap changes nothing
    old_kw = tree(tmp_path / "old_kw", BASE_FIELDS, kw_only=True)
    new_kw = tree(tmp_path / "new_kw", "qr_base_64: str\nqr_tips: str", kw_only=True)
    assert diff_apis(old_kw, new_kw, WIRE)[0] == []


def test_models_becoming_keyword_only_is_breaking(tmp_path: Path) -> None:
    old = tree(tmp_path / "old", BASE_FIELDS, kw_only=False)
    new = tree(tmp_path / "new", BASE_FIELDS, kw_only=True)
    changes = diff_apis(old, new, WIRE)[0]
    assert {(c.check, c.field) for c in changes} == {
        ("parameter-changed-kind", "parameter `qrTips` / `qr_tips`"),
        ("parameter-changed-kind", "parameter `qrBase64` / `qr_base_64`"),
    }
    assert all(c.severity == BREAKING for c in changes)


def test_function_parameter_renamed(tmp_path: Path) -> None:
    old = tree(tmp_path / "old", BASE_FIELDS, kw_only=True)
    new = tree(tmp_path / "new", BASE_FIELDS, kw_only=True, function="def send(*, room_id: str) -> None: ...")
    changes = diff_apis(old, new, WIRE)[0]
    assert {(c.check, c.subject, c.field) for c in changes} == {
        ("parameter-removed", "`gewe_api.calls.send`", "parameter `chatroomId` / `chatroom_id`"),
        ("parameter-added-required", "`gewe_api.calls.send`", "parameter `room_id`"),
    }


def test_unchanged_tree_has_no_changes(tmp_path: Path) -> None:
    old = tree(tmp_path / "old", BASE_FIELDS, kw_only=False)
    new = tree(tmp_path / "new", BASE_FIELDS, kw_only=False)
    assert diff_apis(old, new, WIRE) == ([], [])


def test_a_package_missing_at_the_base_is_a_note(tmp_path: Path) -> None:
    new = tree(tmp_path / "new", BASE_FIELDS, kw_only=False)
    (tmp_path / "old").mkdir()
    changes, notes = diff_apis(tmp_path / "old", new, WIRE)
    assert changes == []
    assert len(notes) == 2 and all("cannot read it in the base" in n for n in notes)
