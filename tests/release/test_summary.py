"""The per-module summary that `make spec` and `make generate` end with."""

from __future__ import annotations

import io
from pathlib import Path

import yaml

from tests.release._repo import Repo
from tests.release.test_specdiff import add_operation, base_spec, rename_request_field
from tools.gewe_release.summary import print_summary, summary_lines


def test_lines_per_module_against_the_committed_spec(tmp_path: Path) -> None:
    tmp_path.joinpath("openapi").mkdir()
    repo = Repo(tmp_path)
    repo.git("init", "-q", "-b", "main")
    spec = tmp_path / "openapi" / "gewe.yaml"
    spec.write_text(yaml.safe_dump(base_spec()), encoding="utf-8")
    repo.commit("spec")
    assert summary_lines(spec) == [
        "since the committed spec (HEAD:openapi/gewe.yaml):",
        "  group: 0 added, 0 removed, 0 changed",
    ]
    new = base_spec()
    rename_request_field(new)
    add_operation(new)
    spec.write_text(yaml.safe_dump(new), encoding="utf-8")
    assert summary_lines(spec)[1:] == [
        "  group: 0 added, 0 removed, 1 changed (getChatroomQrCode)",
        "  sns: 1 added (sendTextSns), 0 removed, 0 changed",
    ]


def test_outside_git_and_on_bad_input_it_says_so_and_never_raises(tmp_path: Path) -> None:
    spec = tmp_path / "gewe.yaml"
    spec.write_text(yaml.safe_dump(base_spec()), encoding="utf-8")
    out = io.StringIO()
    print_summary(spec, out)
    assert (
        out.getvalue() == "gewe.yaml: not in a git work tree, so there is no committed spec to compare with\n"
    )
    repo = Repo(tmp_path)
    repo.git("init", "-q", "-b", "main")
    repo.commit("spec")
    spec.write_text("paths: [unclosed\n", encoding="utf-8")
    out = io.StringIO()
    print_summary(spec, out)
    assert out.getvalue().startswith("(could not compare with the committed spec: ")
    assert out.getvalue().count("\n") == 1
