"""Which operations are read-only is decided once, at `make spec` (tools/gewe_spec/readonly.py),
carried into the generated package and used by the runtime retry rule; on synthetic pages."""

from __future__ import annotations

import ast
import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fixtures.synth import markdown, page
from tests.spec._support import Generated
from tools.gewe_spec import SpecError, bundle
from tools.gewe_spec.__main__ import main
from tools.gewe_spec.readonly import EXCEPTIONS, EXTENSION, decide, load_exceptions, read_only_by_name, table
from tools.gewe_spec.report import Report

PAGES = [("login", "getLoginQrCode"), ("login", "checkLogin"), ("group", "getChatroomInfo"),
         ("message", "postText"), ("message", "downloadImage"), ("group", "getterNotes")]  # fmt: skip


def write_pages(exports: Path, pages: list[tuple[str, str]]) -> Path:
    for number, (module, operation) in enumerate(pages):
        folder = exports / module
        folder.mkdir(parents=True, exist_ok=True)
        doc = copy.deepcopy(page(module, operation, number))
        (folder / f"{operation}.md").write_text(markdown(operation, doc), encoding="utf-8")
    return exports


def answers(spec: dict[str, Any]) -> dict[str, bool]:
    return {
        f"{op['tags'][0]}.{path.rsplit('/', 1)[1]}": op[EXTENSION]
        for path, item in spec["paths"].items()
        for op in item.values()
    }


def test_the_committed_exceptions_make_get_login_qr_code_not_read_only(tmp_path: Path) -> None:
    """With an empty appId it creates a device: a retry after a timeout could create a second one."""
    assert load_exceptions(EXCEPTIONS)["login.getLoginQrCode"].read_only is False
    report = Report()
    spec = bundle(write_pages(tmp_path / "exports", PAGES), report=report)
    assert answers(spec) == {
        "login.getLoginQrCode": False,  # the reviewed exception beats the name rule
        "login.checkLogin": True,
        "group.getChatroomInfo": True,
        "message.postText": False,
        "message.downloadImage": True,
        "group.getterNotes": False,  # a prefix ends at a word boundary
    }
    lines = report.lines()
    start = lines.index("retried after a timeout (read-only): 3 of 6 operations")
    assert lines[start + 1 : start + 4] == [
        "  group: getChatroomInfo",
        "  login: checkLogin",
        "  message: downloadImage",
    ]
    assert lines[start + 4].startswith("  reviewed: login.getLoginQrCode is never retried after a timeout (")


def test_the_exceptions_reach_the_generated_table_even_without_their_page(tmp_path: Path) -> None:
    spec = bundle(write_pages(tmp_path / "exports", [("group", "getChatroomInfo")]))
    assert spec[EXTENSION] == {"login.getLoginQrCode": False}
    assert table(spec) == {"group.getChatroomInfo": True, "login.getLoginQrCode": False}


def test_a_reviewed_file_can_turn_the_rule_either_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reviewed = tmp_path / "read-only.yml"
    reviewed.write_text(
        "message.postText:\n  read-only: true\n  why: it only echoes\n"
        "group.getChatroomInfo:\n  read-only: false\n  why: it records a visit\n",
        encoding="utf-8",
    )
    exports = write_pages(tmp_path / "exports", PAGES)
    spec = bundle(exports, read_only=reviewed)
    assert answers(spec)["message.postText"] is True
    assert answers(spec)["group.getChatroomInfo"] is False
    assert answers(spec)["login.getLoginQrCode"] is True  # this file does not list it: the name rule
    out = tmp_path / "gewe.yaml"
    assert main(["--exports", str(exports), "--out", str(out), "--read-only", str(reviewed)]) == 0
    err = capsys.readouterr().err
    assert "retried after a timeout (read-only): 4 of 6 operations\n" in err
    assert "  login: checkLogin, getLoginQrCode\n" in err
    assert "  message: downloadImage, postText\n" in err
    assert "  reviewed: message.postText is read-only (reviewed exception: it only echoes)\n" in err


@pytest.mark.parametrize(
    "text",
    [
        "login.getLoginQrCode: false\n",
        "login.getLoginQrCode:\n  read-only: 'no'\n  why: x\n",
        "login.getLoginQrCode:\n  read-only: false\n",
        "login.getLoginQrCode:\n  read-only: false\n  why: ' '\n",
        "getLoginQrCode:\n  read-only: false\n  why: x\n",
        "- login.getLoginQrCode\n",
        "login.getLoginQrCode: [\n",
    ],
)
def test_a_malformed_exceptions_file_is_an_error_naming_it(tmp_path: Path, text: str) -> None:
    reviewed = tmp_path / "read-only.yml"
    reviewed.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as info:
        bundle(write_pages(tmp_path / "exports", PAGES[:1]), read_only=reviewed)
    assert info.value.source == str(reviewed)


NAMES = st.from_regex(r"\A[a-z]{2,8}\.[a-z]{2,8}([A-Z0-9][a-z]{0,5}){0,3}\Z")


@given(name=NAMES, flip=st.booleans())
def test_the_rule_is_the_default_and_an_exception_wins(name: str, flip: bool) -> None:
    from tools.gewe_spec.readonly import Reviewed

    assert decide(name, {}) is read_only_by_name(name)
    assert decide(name, {name: Reviewed(flip, "why")}) is flip
    assert decide(name, {name + "X": Reviewed(flip, "why")}) is read_only_by_name(name)


def test_the_generated_package_carries_the_specs_answers(fixture_generated: Generated) -> None:
    """The table `gewe.retry.is_read_only` reads is the spec's x-gewe-read-only, operation by operation."""
    import yaml

    spec = yaml.safe_load(fixture_generated.spec.read_text(encoding="utf-8"))
    tree = ast.parse((fixture_generated.package / "_read_only.py").read_text(encoding="utf-8"))
    found = {
        node.target.id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None
    }
    assert found["READ_ONLY"] == {**spec[EXTENSION], **answers(spec)}
    assert any(found["READ_ONLY"].values()) and not all(found["READ_ONLY"].values())
