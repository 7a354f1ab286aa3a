"""Our own pages (openapi/pages/) beside GeWe's (openapi/exports/): both bundled, GeWe's wins."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from tests.spec._support import REAL_EXPORTS
from tools.gewe_spec import bundle
from tools.gewe_spec.__main__ import main
from tools.gewe_spec.report import Report

OURS = REAL_EXPORTS.parent / "pages"
SET_CALLBACK = "/gewe/v2/api/login/setCallback"
# What the SDK's own code calls (events/callback.py, resources/login.py and message.py).
CALLED = {
    "login": {"setCallback", "getLoginQrCode", "checkLogin", "checkOnline", "reconnection", "logout"},
    "message": {
        *("postText", "postImage", "postFile", "postVoice", "postVideo", "postLink"),
        *("forwardImage", "forwardFile", "forwardVideo", "revokeMsg"),
        *("downloadImage", "downloadVoice", "downloadVideo", "downloadFile"),
    },
}


def operations(spec: dict[str, object]) -> set[str]:
    paths = spec["paths"]
    assert isinstance(paths, dict)
    return {p.removeprefix("/gewe/v2/api/") for p in paths}


def test_our_pages_cover_what_the_sdk_calls_without_any_export(tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    shutil.copytree(OURS, tmp_path / "pages")
    got = operations(bundle(tmp_path / "exports"))
    assert got == {f"{m}/{op}" for m, ops in CALLED.items() for op in ops}


def test_the_64_bit_id_and_null_fields(tmp_path: Path) -> None:
    spec = bundle(REAL_EXPORTS)
    data = spec["components"]["schemas"]["MessagePostTextData"]
    assert data["properties"]["newMsgId"]["format"] == "int64"
    assert "newMsgId" in data["required"] and "createTime" not in data["required"]
    assert (
        data["properties"]["createTime"]["nullable"] is True
        and data["properties"]["type"]["nullable"] is True
    )


def test_a_pulled_page_for_the_same_operation_wins_and_is_reported(tmp_path: Path) -> None:
    exports, ours = tmp_path / "exports", tmp_path / "pages"
    shutil.copytree(OURS, ours)
    text = (ours / "login" / "setCallback.md").read_text(encoding="utf-8")
    (exports / "登录").mkdir(parents=True)
    theirs = exports / "登录" / "设置回调.md"
    theirs.write_text(text.replace("the full URL GeWe POSTs pushes to", "GeWe's own words"), encoding="utf-8")
    report = Report()
    spec = bundle(exports, report=report)
    schema = spec["components"]["schemas"]["LoginSetCallbackRequest"]
    assert schema["properties"]["callbackUrl"]["description"].startswith("GeWe's own words")
    assert report.replaced == [((ours / "login" / "setCallback.md").as_posix(), theirs.as_posix())]
    assert any(line.startswith("ours replaced: ") and "setCallback.md" in line for line in report.lines())
    assert operations(spec) == {f"{m}/{op}" for m, ops in CALLED.items() for op in ops}


def test_make_spec_bundles_both_folders(tmp_path: Path) -> None:
    exports, out = tmp_path / "openapi" / "exports", tmp_path / "openapi" / "gewe.yaml"
    shutil.copytree(REAL_EXPORTS, exports)
    shutil.copytree(OURS, tmp_path / "openapi" / "pages")
    assert main(["--exports", str(exports), "--out", str(out)]) == 0
    spec = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert SET_CALLBACK in spec["paths"] and "/gewe/v2/api/group/getChatroomQrCode" in spec["paths"]
    shutil.rmtree(tmp_path / "openapi" / "pages")  # without ours: what is left is GeWe's
    assert main(["--exports", str(exports), "--out", str(out), "--check"]) == 1
