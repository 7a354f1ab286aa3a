"""Every bad case under tests/fixtures/bad/: one clear error naming the file, and no output written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.spec._support import BAD, EXPORTS, ROOT, copy_tree
from tools.gewe_spec.__main__ import main

# case -> (the file the error is about, other files it must name, the problem)
CASES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "yaml_syntax": ("坏的YAML.md", (), r"YAML does not parse: .*line 18, column 9"),
    "json_syntax": ("sync.json", (), r"JSON does not parse: .*line 5 column 84"),
    "duplicate_key": ("重复键.md", (), r"YAML does not parse: .*duplicate key 'summary'"),
    "not_openapi3": ("旧版.md", (), r"not OpenAPI 3 \(swagger: '2.0'\)"),
    "conflict": (
        "b/获取二维码.md",
        ("a/获取二维码.md",),
        r"POST /gewe/v2/api/group/getQrCode is already defined differently in ",
    ),
    "operation_collision": (
        "getQrCode.md",
        ("getQRCode.md",),
        r"name collision: .*'groupGetQrCode'.*'groupGetQRCode'.*'group_get_qr_code'",
    ),
    "model_collision": (
        "getInfoData.md",
        ("getInfo.md",),
        r"name collision: .*model name 'GroupGetInfoDataRequest'",
    ),
    "path_shape": (
        "子路径.md",
        (),
        r"path '/gewe/v2/api/group/admin/getQrCode' is not of the shape /gewe/v2/api/<module>/<operation>",
    ),
    "unresolvable_ref": ("引用.md", (), r"unresolvable \$ref '#/components/schemas/QrData'"),
    "invalid_openapi": (
        "坏的参数.md",
        (),
        r"not valid OpenAPI .*POST /gewe/v2/api/group/getQrCode parameters/0/in: 'querystring' is not one of",
    ),
    "structure": ("结构错误.md", (), r"the responses of groupGetQrCode are not a mapping"),
}
SENTINEL = b"# the previous spec, which a failed run must leave alone\n"


def test_every_bad_fixture_folder_has_a_case() -> None:
    assert sorted(p.name for p in BAD.iterdir() if p.is_dir()) == sorted(CASES)


def run_cli(exports: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    rc = main(["--exports", str(exports), "--out", str(out)])
    return rc, capsys.readouterr().err


def check_error(err: str, exports: Path, case: str) -> None:
    culprit, others, problem = CASES[case]
    lines = [line for line in err.splitlines() if not line.startswith("skip: ")]
    assert len(lines) == 1, err
    prefix = f"error: {(exports / culprit).as_posix()}: "
    assert lines[0].startswith(prefix), err
    assert re.search(problem, lines[0][len(prefix) :]), err
    for other in others:
        assert (exports / other).as_posix() in lines[0], err


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_case_alone(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "gewe.yaml"
    out.write_bytes(SENTINEL)
    exports = BAD / case
    rc, err = run_cli(exports, out, capsys)
    assert rc == 1
    check_error(err, exports, case)
    assert out.read_bytes() == SENTINEL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gewe.yaml"]  # no temp file left behind


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_case_among_good_pages(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad page in a full exports folder is found and named; the good pages are not blamed."""
    exports = copy_tree(EXPORTS, tmp_path / "exports")
    copy_tree(BAD / case, exports / "zz_new")
    out = tmp_path / "gewe.yaml"
    rc, err = run_cli(exports, out, capsys)
    assert rc == 1
    check_error(err, exports / "zz_new", case)
    assert not out.exists()


def test_cli_error_has_no_traceback_and_keeps_the_real_output(tmp_path: Path) -> None:
    out = tmp_path / "gewe.yaml"
    out.write_bytes(SENTINEL)
    before = os.stat(out).st_mtime_ns
    proc = subprocess.run(
        [sys.executable, "-m", "tools.gewe_spec", "--exports", str(BAD / "conflict"), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr
    assert out.read_bytes() == SENTINEL and os.stat(out).st_mtime_ns == before


def test_check_fails_on_a_stale_spec_and_passes_on_a_fresh_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "gewe.yaml"
    assert main(["--exports", str(EXPORTS), "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["--exports", str(EXPORTS), "--out", str(out), "--check"]) == 0
    out.write_text(out.read_text(encoding="utf-8").replace("GeWe API", "Stale API"), encoding="utf-8")
    stale = out.read_bytes()
    assert main(["--exports", str(EXPORTS), "--out", str(out), "--check"]) == 1
    assert f"stale: {out}" in capsys.readouterr().err
    assert out.read_bytes() == stale  # --check never writes
