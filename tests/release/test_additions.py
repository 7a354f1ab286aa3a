"""Additions to the public Python API (tools/gewe_release/additions.py): compatible changes that a
version must still count, found on small source trees."""

from __future__ import annotations

from pathlib import Path

from tests.release.test_apidiff import BASE_FIELDS, WIRE, tree
from tools.gewe_release.apidiff import diff_apis
from tools.gewe_release.report import API, COMPATIBLE


def _hand_written(root: Path, source: str) -> None:
    (root / "overrides" / "gewe" / "helpers.py").write_text(source)


def test_added_function_method_and_optional_parameter_are_compatible_changes(tmp_path: Path) -> None:
    old = tree(tmp_path / "old", BASE_FIELDS, True)
    new = tree(
        tmp_path / "new",
        BASE_FIELDS,
        True,
        "def send(*, chatroom_id: str, timeout: float | None = None) -> None: ...",
    )
    _hand_written(old, "class Helper:\n    def one(self) -> int: ...\n")
    _hand_written(
        new,
        "class Helper:\n    def one(self) -> int: ...\n    def two(self) -> int: ...\n\n"
        "def fresh() -> None: ...\n\ndef _private() -> None: ...\n",
    )
    changes = diff_apis(old, new, WIRE)[0]
    found = {(c.check, c.subject, c.field) for c in changes}
    assert found == {
        ("parameter-added", "`gewe_api.calls.send`", "`timeout`"),
        ("object-added", "`gewe.helpers.Helper.two`", ""),
        ("object-added", "`gewe.helpers.fresh`", ""),
    }
    assert all(c.level == API and c.severity == COMPATIBLE for c in changes)


def test_a_new_hand_written_module_lists_what_it_exports(tmp_path: Path) -> None:
    old = tree(tmp_path / "old", BASE_FIELDS, True)
    new = tree(tmp_path / "new", BASE_FIELDS, True)
    _hand_written(new, '__all__ = ["shown"]\n\ndef shown() -> None: ...\n\ndef hidden() -> None: ...\n')
    found = [(c.check, c.subject) for c in diff_apis(old, new, WIRE)[0]]
    assert found == [("object-added", "`gewe.helpers.shown`")]
    _hand_written(old, '__all__ = ["shown"]\n\ndef shown() -> None: ...\n')
    assert diff_apis(old, new, WIRE)[0] == []


def test_a_new_required_parameter_is_left_to_the_breaking_check(tmp_path: Path) -> None:
    old = tree(tmp_path / "old", BASE_FIELDS, True)
    new = tree(tmp_path / "new", BASE_FIELDS, True, "def send(*, chatroom_id: str, room: str) -> None: ...")
    checks = [(c.check, c.severity) for c in diff_apis(old, new, WIRE)[0]]
    assert ("parameter-added", COMPATIBLE) not in checks and checks  # griffe says it, as breaking


def test_a_new_model_is_said_once_by_the_model_check(tmp_path: Path) -> None:
    old = tree(tmp_path / "old", BASE_FIELDS, True)
    new = tree(tmp_path / "new", BASE_FIELDS, True)
    source = (new / "generated/gewe_api/models/group_get_chatroom_qr_code_data.py").read_text()
    extra = source.replace("class GroupGetChatroomQrCodeData:", "class GroupNewData:")
    (new / "generated/gewe_api/models/group_new_data.py").write_text(extra)
    assert [c.check for c in diff_apis(old, new, WIRE)[0]] == ["model-added"]


def test_a_new_generated_module_is_left_to_the_spec_level(tmp_path: Path) -> None:
    old = tree(tmp_path / "old", BASE_FIELDS, True)
    new = tree(tmp_path / "new", BASE_FIELDS, True)
    (new / "generated/gewe_api/sns_send.py").write_text("def sync() -> None: ...\n")
    assert diff_apis(old, new, WIRE)[0] == []
    calls = "def send(*, chatroom_id: str) -> None: ...\ndef more() -> None: ...\n"
    (new / "generated/gewe_api/calls.py").write_text(calls)
    assert [c.subject for c in diff_apis(old, new, WIRE)[0]] == ["`gewe_api.calls.more`"]
