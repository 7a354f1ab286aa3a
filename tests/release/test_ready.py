"""`make wheel` builds only a version that its CHANGELOG.md entry describes (tools/gewe_release/ready.py).

In a temporary repository built from this project: a change of the spec or the Python API since the
commit that last changed the version's entry stops `make wheel` before anything is built, with a
message saying what was compared and to run `make bump`; after `make bump` the wheel builds.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from tests.release._repo import Repo, clone, new_repo
from tests.release.test_release_flow import add_reply_field, next_version

pytestmark = pytest.mark.slow

PAGE = "openapi/exports/group/获取群二维码.md"
SPEC = "openapi/gewe.yaml"


@pytest.fixture(scope="module")
def untagged(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """This project committed once, without a release tag (as a clone without tags is)."""
    return new_repo(tmp_path_factory.mktemp("untagged") / "repo", tag=None)


@pytest.fixture
def repo(untagged: Repo, tmp_path: Path) -> Repo:
    return clone(untagged, tmp_path / "repo")


def add_optional_field(repo: Repo, field: str) -> None:
    """A compatible change the way a user makes it: GeWe's page edited, `make spec generate`."""
    repo.write(PAGE, add_reply_field(repo.read(PAGE), "chatroomId", field))
    repo.regenerate()


def add_spec_field(repo: Repo, field: str) -> None:
    """A compatible change to openapi/gewe.yaml alone (faster: no generation; the spec level sees it)."""
    spec = yaml.safe_load(repo.read(SPEC))
    request = spec["components"]["schemas"]["GroupGetChatroomQrCodeRequest"]
    request["properties"][field] = {"type": "integer", "description": "synthetic"}
    repo.write(SPEC, yaml.safe_dump(spec, allow_unicode=True, sort_keys=False))


def test_a_compatible_change_without_a_bump_stops_make_wheel_before_it_builds(repo: Repo) -> None:
    released = repo.version()
    add_optional_field(repo, "remarkCount")
    assert repo.release("check").returncode == 0  # make check (so make test) stays green between releases

    # `-o check`: make check's own steps are the release-flow tests'; this is the step after them
    wheel = repo.make("-o", "check", "wheel")
    assert wheel.returncode != 0
    assert not (repo.path / "dist").exists(), "nothing may be built"
    assert "release ready: FAILED: compared the working tree with " in wheel.stderr
    assert "the commit that last changed CHANGELOG.md's entry for " + released in wheel.stderr
    assert re.search(r"0 breaking and \d+ compatible changes", wheel.stderr)
    assert (
        "`new-optional-request-property`" in wheel.stderr and "`remarkCount` / `remark_count`" in wheel.stderr
    )
    patch = next_version(repo, breaking=False)
    assert f"Run `make bump` (it sets {patch} and writes its CHANGELOG.md entry)" in wheel.stderr
    assert "^" not in wheel.stderr and " ok " not in wheel.stderr

    assert repo.make("bump").returncode == 0 and repo.version() == patch
    built = repo.make("-o", "check", "wheel")
    assert built.returncode == 0, built.output
    assert f"version {patch} and its CHANGELOG.md entry describe this build" in built.stderr
    assert [p.name for p in (repo.path / "dist").iterdir()] == [f"gewe_sdk-{patch}-py3-none-any.whl"]


def test_a_second_bump_before_committing_rewrites_its_entry(repo: Repo) -> None:
    add_spec_field(repo, "remarkCount")
    patch = next_version(repo, breaking=False)
    assert repo.release("bump").returncode == 0
    add_spec_field(repo, "memberCount")
    ready = repo.release("ready")
    assert ready.returncode == 1 and "changed after the entry was written" in ready.stderr

    again = repo.release("bump")
    assert again.returncode == 0 and "rewrote the entry for " + patch in again.stdout
    changelog = repo.read("CHANGELOG.md")
    assert changelog.count(f"## {patch} ") == 1
    assert "`memberCount` / `member_count`" in changelog and "`remarkCount` / `remark_count`" in changelog
    assert repo.version() == patch
    assert repo.release("ready").returncode == 0


def test_a_committed_version_needs_a_new_bump_for_later_changes(repo: Repo) -> None:
    add_spec_field(repo, "remarkCount")
    repo.release("bump", check=True)
    repo.commit("release")
    bumped_once = repo.version()
    assert repo.release("ready").returncode == 0
    assert "nothing to bump" in repo.release("bump", check=True).stdout

    add_spec_field(repo, "memberCount")
    repo.commit("a change after the release, without a bump")
    ready = repo.release("ready")
    assert ready.returncode == 1 and f"the version is still {bumped_once}" in ready.stderr
    expected = next_version(repo, breaking=False)  # from the committed version
    repo.release("bump", check=True)
    assert repo.version() == expected != bumped_once
    assert repo.release("ready").returncode == 0


def test_an_entry_edited_after_the_change_describes_it(repo: Repo) -> None:
    """Amending the version's entry by hand (before it was released) is saying it covers the change."""
    add_spec_field(repo, "remarkCount")
    repo.commit("a change")
    assert repo.release("ready").returncode == 1
    version = repo.version()
    text = repo.read("CHANGELOG.md")
    repo.write("CHANGELOG.md", _amend(text, version, "Also: the reply's `remarkCount`."))
    repo.commit("CHANGELOG: the entry covers remarkCount")
    ready = repo.release("ready")
    assert ready.returncode == 0, ready.stderr


def _amend(text: str, version: str, line: str) -> str:
    start = text.index(f"## {version} ")
    end = text.index("\n\n", start)
    return text[:end] + "\n\n" + line + text[end:]


def test_without_history_the_entry_s_spec_sha256_decides(repo: Repo, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    shutil.copytree(repo.path, plain, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    bare = Repo(plain)
    ok = bare.release("ready")
    assert ok.returncode == 0 and "no history to compare with" in ok.stderr and "it matches" in ok.stderr
    add_spec_field(bare, "remarkCount")
    stale = bare.release("ready")
    assert stale.returncode == 1 and "changed after the entry was written" in stale.stderr
    assert "Run `make bump`" in stale.stderr


def test_make_check_says_what_it_compared_without_caret_refs(repo: Repo) -> None:
    add_spec_field(repo, "remarkCount")
    repo.commit("a compatible spec change")
    check = repo.release("check")
    entry = repo.git("rev-parse", "--short=7", "HEAD~1").strip()  # the commit of the version's entry
    assert check.returncode == 0, check.stderr
    line = check.stderr.strip().splitlines()[-1]
    assert line.startswith("release check: passed: compared the working tree with ")
    version = repo.version()
    assert (
        f"{version}'s CHANGELOG.md entry ({entry}), "
        f"the commit that last changed CHANGELOG.md's entry for {version} (HEAD's version): "
    ) in line
    assert "0 breaking and 1 compatible changes; nothing breaking, so no bump is required here" in line
    assert "^" not in check.stderr
