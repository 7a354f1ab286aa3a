"""tools/generate.py writes api.md with the package and `--check` keeps it current; the shipped api.md
shows the hand-written overrides and is linked from both READMEs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.spec._support import Generated, copy_tree, generate
from tools import apidoc

ROOT = Path(__file__).resolve().parents[2]


def test_check_names_a_stale_api_md_and_never_writes(fixture_generated: Generated, tmp_path: Path) -> None:
    package = copy_tree(fixture_generated.package, tmp_path / "gewe_api")
    api_md = tmp_path / "api.md"
    current = apidoc.reference(package)
    api_md.write_text(current.replace("## Models", "## Models (edited)"), encoding="utf-8")
    edited = api_md.read_bytes()
    cmd = [sys.executable, "tools/generate.py", "--spec", fixture_generated.spec, "--out", package]
    proc = subprocess.run(
        [*cmd, "--api-md", api_md, "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert [line for line in proc.stderr.splitlines() if line.startswith("  ")] == [f"  {api_md}"]
    assert api_md.read_bytes() == edited


def test_a_failed_generation_leaves_api_md_as_it_was(fixture_generated: Generated, tmp_path: Path) -> None:
    package = copy_tree(fixture_generated.package, tmp_path / "gewe_api")
    api_md = tmp_path / "api.md"
    api_md.write_text("previous reference\n", encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.0.3\npaths: {/x: {post: {responses: 7}}}\n", encoding="utf-8")
    assert generate(broken, package, "--api-md", str(api_md)) == 1
    assert api_md.read_text(encoding="utf-8") == "previous reference\n"


def test_a_package_without_the_expected_shape_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "__init__.py").write_text("x = 1\n", encoding="utf-8")
    with pytest.raises(apidoc.ApiDocError, match=r"api/__init__.py: no MODULES tuple"):
        apidoc.reference(tmp_path)


def test_a_hand_written_override_shows_its_return_type() -> None:
    text = apidoc.reference(ROOT / "generated" / "gewe_api")
    section = text.split("### `group.get_chatroom_qr_code`\n", 1)[1].split("\n### ", 1)[0]
    assert "`gewe/resources/group.py` refines it: returns `GroupQrCode`" in section
    assert ") -> GroupQrCode" in section
    assert text == (ROOT / "api.md").read_text(encoding="utf-8")  # what `make check` also proves


def test_the_shipped_api_md_is_linked_from_both_readmes() -> None:
    for readme in ("README.md", "overrides/README.md"):
        assert "api.md" in (ROOT / readme).read_text(encoding="utf-8"), readme


def test_each_operation_raises_only_what_its_call_can() -> None:
    from types import SimpleNamespace

    from tools.apidoc.render import raises

    every = [
        "GeweConfigError",
        "GeweAPIError",
        "GeweAuthError",
        "GeweOfflineError",
        "GeweDeviceNotFoundError",
        "GeweVerificationRequiredError",
        "GeweAlreadyLoggedInError",
        "GeweDeviceLimitError",
        "GeweResponseError",
        "GeweConnectionError",
        "GeweTimeoutError",
        "GeweEventError",
    ]

    def of(op: str, returns: str, *fields: str) -> set[str]:
        method = SimpleNamespace(operation=op, returns=returns)
        return set(raises(method, set(fields), every))  # type: ignore[arg-type]

    common = {"GeweConfigError", "GeweAPIError", "GeweAuthError", "GeweConnectionError", "GeweTimeoutError"}
    group_qr = of("group.getChatroomQrCode", "GroupGetChatroomQrCodeData", "appId", "chatroomId")
    assert group_qr == common | {"GeweOfflineError", "GeweDeviceNotFoundError", "GeweResponseError"}
    assert of("login.setCallback", "None", "token", "callbackUrl") == common
    login_qr = of("login.getLoginQrCode", "Data", "appId", "type")
    assert {"GeweAlreadyLoggedInError", "GeweDeviceLimitError"} <= login_qr
    assert "GeweVerificationRequiredError" not in login_qr
    assert "GeweVerificationRequiredError" in of("login.checkLogin", "Data", "appId", "uuid", "captchCode")
    text = (ROOT / "api.md").read_text(encoding="utf-8")
    assert "GeweEventError`, " not in "".join(
        line for line in text.splitlines() if line.startswith("Raises:")
    )


def test_api_md_documents_the_hand_written_api() -> None:
    text = (ROOT / "api.md").read_text(encoding="utf-8")
    for heading in (
        "### `client.invoke`",
        "### `client.with_options`",
        "### `client.with_raw_response`",
        "### `gewe.events.Receiver`",
        "### `gewe.events.parse_event`",
        "### `gewe.events.set_callback`",
        "### `gewe.testing.FakeGewe`",
        "### `gewe.testing.pushes`",
    ):
        assert text.count(heading + "\n") == 1, heading
    from gewe.events import KINDS

    table = text.split("### `gewe.events.Event`", 1)[1].split("\n## ", 1)[0]
    for kind in KINDS:
        assert f"| `{kind}` |" in table, kind
    assert "fake.push(" in text and "pushes.group_text(" in text
