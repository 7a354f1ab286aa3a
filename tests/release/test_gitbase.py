"""Which base `make diff` / `make check` compare with, and what they say when there is none."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.release._repo import ROOT, Repo, git_env
from tools.gewe_release.gitbase import NoBase, resolve_base


def small_repo(path: Path) -> Repo:
    """A repository with three commits: spec v1, spec v2, an unrelated file."""
    path.mkdir(parents=True)
    repo = Repo(path)
    repo.git("init", "-q", "-b", "main")
    (path / "openapi").mkdir()
    repo.write("openapi/gewe.yaml", "openapi: 3.0.3\ninfo: {version: '1'}\n")
    repo.commit("spec v1")
    repo.write("openapi/gewe.yaml", "openapi: 3.0.3\ninfo: {version: '2'}\n")
    repo.commit("spec v2")
    repo.write("README.md", "hello\n")
    repo.commit("docs")
    return repo


def sha(repo: Repo, ref: str) -> str:
    return repo.git("rev-parse", ref).strip()


def test_latest_reachable_tag_wins(tmp_path: Path) -> None:
    repo = small_repo(tmp_path / "r")
    repo.git("tag", "v0.1.0", "HEAD~2")
    repo.git("tag", "-a", "v0.1.1", "-m", "r", "HEAD~1")
    repo.git("tag", "other", "HEAD")  # not a release tag
    base = resolve_base(repo.path)
    assert (base.ref, base.sha) == ("v0.1.1", sha(repo, "HEAD~1"))


def test_without_tags_a_committed_spec_compares_with_the_spec_before_it(tmp_path: Path) -> None:
    repo = small_repo(tmp_path / "r")
    base = resolve_base(repo.path)
    assert base.sha == sha(repo, "HEAD~2")  # the parent of "spec v2", the last change of the spec


def test_without_tags_an_edited_spec_compares_with_head(tmp_path: Path) -> None:
    repo = small_repo(tmp_path / "r")
    repo.write("openapi/gewe.yaml", "openapi: 3.0.3\ninfo: {version: '3'}\n")
    assert resolve_base(repo.path).sha == sha(repo, "HEAD")


def test_explicit_base(tmp_path: Path) -> None:
    repo = small_repo(tmp_path / "r")
    assert resolve_base(repo.path, "HEAD~1").sha == sha(repo, "HEAD~1")
    with pytest.raises(NoBase, match="BASE=nope is not a commit"):
        resolve_base(repo.path, "nope")


def test_a_spec_with_no_earlier_version(tmp_path: Path) -> None:
    path = tmp_path / "r"
    path.mkdir()
    repo = Repo(path)
    repo.git("init", "-q", "-b", "main")
    (path / "openapi").mkdir()
    repo.write("openapi/gewe.yaml", "openapi: 3.0.3\n")
    repo.commit("first")
    with pytest.raises(NoBase, match="has no earlier version"):
        resolve_base(repo.path)


def test_shallow_clone_says_so(tmp_path: Path) -> None:
    repo = small_repo(tmp_path / "r")
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(shallow)],
        check=True,
        env=git_env(),
        capture_output=True,
    )
    with pytest.raises(NoBase, match="shallow"):
        resolve_base(shallow)


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(NoBase, match="not a git work tree"):
        resolve_base(tmp_path)


@pytest.mark.parametrize("command", ["check", "diff"])
def test_check_and_diff_never_fail_for_lack_of_history(command: str, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tools.gewe_release", command, "--root", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    assert "not a git work tree" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr


def test_bump_without_history_is_a_clear_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tools.gewe_release", "bump", "--root", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("bump: error: nothing to compare with") and proc.stderr.count("\n") == 1
