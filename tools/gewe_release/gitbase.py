"""The base every release command compares with, and its files, from git.

THE RULE (the one place it is stated; `make diff`, `make check`, `make bump`, `make wheel`/`ready`
and `make update`/`answer` all call `resolve_base` and nothing else):

1. `BASE=<ref>` when given;
2. else the release of the version committed at HEAD: the newest commit that added or changed
   CHANGELOG.md's entry for that version. Everything since it is what the next version must describe,
   so `make bump` writes the version it asks for, and `make check` (same base, same report) then
   passes on the uncommitted bump;
3. else (HEAD's CHANGELOG.md has no entry for its version, or there is no version file) the nearest
   `v*` tag reachable from HEAD;
4. else the spec before the one in the working tree: HEAD if openapi/gewe.yaml has uncommitted
   changes, else the parent of the last commit that changed it (that commit itself would compare a
   committed spec change with itself and hide it, in CI above all).

The commands differ only in what they ask of the one report: `check` that a breaking change has its
bump and entry; `ready` (before a wheel is built) and `answer` that any change has them.

Whatever cannot be known from the history at hand (no git, no repository, a shallow clone that
lacks the commit needed) is a `NoBase` with a sentence saying so: the caller reports it and never
fails because of it.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from . import changelog
from .version import VERSION_FILE, VersionError, parse_version

SPEC_PATH = "openapi/gewe.yaml"
# What the comparison reads from the base.
PATHS = (SPEC_PATH, "overrides/gewe", "generated/gewe_api", "CHANGELOG.md")


class NoBase(Exception):
    """There is nothing to compare with, and why (one sentence)."""


class GitError(Exception):
    pass


@dataclass(frozen=True)
class Base:
    ref: str  # what the user gave or what was chosen, e.g. "v0.1.0"
    sha: str
    why: str  # how it was chosen

    @property
    def label(self) -> str:
        """`v0.1.0 (3f2a1bc)`, or just the short commit when the ref is (a prefix of) it."""
        return self.sha[:7] if self.sha.startswith(self.ref) else f"{self.ref} ({self.sha[:7]})"

    def described(self) -> str:
        """The base and how it was chosen, for messages: `v0.1.0 (3f2a1bc), the latest release tag`."""
        return f"{self.label}, {self.why}"


def git(root: Path, *args: str, binary: bool = False) -> str:
    """Run git in `root`; GitError with git's own message on failure."""
    if shutil.which("git") is None:
        raise NoBase("git is not installed, so there is no history to compare with")
    proc = subprocess.run(["git", *args], cwd=root, capture_output=True, check=False)
    if proc.returncode != 0:
        raise GitError(proc.stderr.decode("utf-8", "replace").strip() or f"git {' '.join(args)} failed")
    return proc.stdout.decode("utf-8", "replace")


def _git_bytes(root: Path, *args: str) -> bytes:
    proc = subprocess.run(["git", *args], cwd=root, capture_output=True, check=False)
    if proc.returncode != 0:
        raise GitError(proc.stderr.decode("utf-8", "replace").strip())
    return proc.stdout


def _is_shallow(root: Path) -> bool:
    try:
        return git(root, "rev-parse", "--is-shallow-repository").strip() == "true"
    except GitError:
        return False


def _shallow_hint(root: Path) -> str:
    return (
        " (this clone is shallow: `git fetch --unshallow --tags` brings the history)"
        if _is_shallow(root)
        else ""
    )


def resolve_base(root: Path, explicit: str | None = None) -> Base:
    """The base commit (see the module docstring); NoBase saying why there is none."""
    try:
        git(root, "rev-parse", "--is-inside-work-tree")
    except GitError:
        raise NoBase(f"{root} is not a git work tree, so there is no history to compare with") from None
    if explicit:
        try:
            sha = git(root, "rev-parse", "--verify", "--quiet", f"{explicit}^{{commit}}").strip()
        except GitError:
            raise NoBase(f"BASE={explicit} is not a commit in this repository{_shallow_hint(root)}") from None
        return Base(explicit, sha, "given as BASE")
    try:
        git(root, "rev-parse", "--verify", "--quiet", "HEAD")
    except GitError:
        raise NoBase("the repository has no commits yet") from None
    release = _release_commit(root)
    if release is not None:
        return release
    try:
        tag = git(root, "describe", "--tags", "--abbrev=0", "--match", "v[0-9]*", "HEAD").strip()
    except GitError:
        tag = ""
    if tag:
        sha = git(root, "rev-parse", f"{tag}^{{commit}}").strip()
        return Base(tag, sha, "the latest release tag")
    head = git(root, "rev-parse", "HEAD").strip()
    try:
        committed = _git_bytes(root, "show", f"HEAD:{SPEC_PATH}")
    except GitError:
        committed = None
    spec = root / SPEC_PATH
    current = spec.read_bytes() if spec.is_file() else None
    if committed is not None and committed != current:
        return Base("HEAD", head, f"no release tag; {SPEC_PATH} has uncommitted changes")
    last = git(root, "log", "-1", "--format=%H", "--", SPEC_PATH).strip()
    if not last:
        raise NoBase(f"no release tag and no commit of {SPEC_PATH}{_shallow_hint(root)}")
    try:
        parent = git(root, "rev-parse", "--verify", "--quiet", f"{last}^1").strip()
    except GitError:
        parent = ""
    if not parent:
        if _is_shallow(root):
            raise NoBase(
                f"no release tag, and the commit before {last[:7]} is not in this shallow clone"
                f"{_shallow_hint(root)}"
            )
        raise NoBase(f"no release tag, and {SPEC_PATH} has no earlier version: {last[:7]} created it")
    return Base(
        parent[:7],
        parent,
        f"the commit before {last[:7]}, which last changed {SPEC_PATH} (there is no release tag)",
    )


def _entry_at(root: Path, rev: str, version: Version) -> str | None:
    text = show(root, rev, changelog.CHANGELOG.as_posix())
    return changelog.section(text.decode("utf-8", "replace"), version) if text is not None else None


def _release_commit(root: Path) -> Base | None:
    """Rule 2: the newest commit that added or changed CHANGELOG.md's entry for HEAD's version."""
    text = show(root, "HEAD", VERSION_FILE.as_posix())
    if text is None:
        return None
    try:
        version = parse_version(text.decode("utf-8", "replace"), f"HEAD:{VERSION_FILE}")
    except VersionError:
        return None
    if _entry_at(root, "HEAD", version) is None:
        return None
    log = git(root, "log", "--format=%H %P", "HEAD", "--", changelog.CHANGELOG.as_posix())
    for line in log.splitlines():
        sha, *parents = line.split()
        here = _entry_at(root, sha, version)
        if here is not None and (not parents or here != _entry_at(root, parents[0], version)):
            if not parents and _is_shallow(root):
                raise NoBase(
                    f"the commit that wrote CHANGELOG.md's entry for {version} is not in this clone"
                    f"{_shallow_hint(root)}"
                )
            return Base(
                f"{version}'s CHANGELOG.md entry",
                sha,
                f"the commit that last changed CHANGELOG.md's entry for {version} (HEAD's version)",
            )
    return None


def show(root: Path, sha: str, path: str) -> bytes | None:
    """The bytes of `path` at `sha`, None if it does not exist there."""
    try:
        return _git_bytes(root, "show", f"{sha}:{path}")
    except GitError:
        return None


def export(root: Path, sha: str, dest: Path) -> list[str]:
    """Write PATHS as they are at `sha` into `dest` (git archive); the ones that exist there."""
    listed = git(root, "ls-tree", "--name-only", sha, "--", *PATHS).split()
    present = [p for p in PATHS if p in listed]
    if not present:
        return []
    data = _git_bytes(root, "archive", "--format=tar", sha, "--", *present)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")
    return present
