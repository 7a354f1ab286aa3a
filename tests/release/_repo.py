"""A temporary git repository built from this project, for the release tests.

The tracked (and new, not ignored) files of this checkout are copied into a fresh folder, its
`openapi/exports/` replaced by the tests' own pages (PAGES: the group-QR page the tests edit) and
regenerated, then `git init` there, committed and tagged for real. The tests so hold whatever
pages the project's exports folder has. The project's .venv is linked in, and make runs with
`-o .venv/.installed` so that it uses it as is; the copied requirements are also dated older than
its stamp, for the sub-makes (`make update`), which do not inherit `-o`.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The venv running the tests (make test runs them from the project's .venv).
VENV = Path(sys.prefix) if (Path(sys.prefix) / "pyvenv.cfg").is_file() else ROOT / ".venv"
# The pages the release tests start from, copied into the repository's openapi/exports/: a copy
# of the project's seed page, owned by the tests (openapi/exports/ may hold any pages).
PAGES = ROOT / "tests" / "fixtures" / "seed"
QR_PAGE = Path("openapi/exports/group/获取群二维码.md")
VERSION_FILE = Path("overrides/gewe/_version.py")


def project_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [f for f in out.split("\0") if f and (ROOT / f).is_file()]


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.invalid",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,  # no signing, hooks or aliases from the machine's config
        HOME=os.environ.get("HOME", "/tmp"),
    )
    return env


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass(frozen=True)
class Repo:
    path: Path

    def run(self, *cmd: str | Path, check: bool = True) -> Result:
        proc = subprocess.run(
            [str(c) for c in cmd], cwd=self.path, capture_output=True, text=True, env=git_env(), check=False
        )
        result = Result(proc.returncode, proc.stdout, proc.stderr)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{result.output}")
        return result

    def git(self, *args: str) -> str:
        return self.run("git", *args).stdout

    def make(self, *targets: str, check: bool = False) -> Result:
        """make in the repository, with this project's .venv as it is."""
        return self.run("make", "--no-print-directory", "-o", ".venv/.installed", *targets, check=check)

    def release(self, *args: str, check: bool = False) -> Result:
        """python -m tools.gewe_release (faster than make for the steps that need no generation)."""
        return self.run(sys.executable, "-m", "tools.gewe_release", *args, check=check)

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def read(self, rel: str | Path) -> str:
        return (self.path / rel).read_text(encoding="utf-8")

    def write(self, rel: str | Path, text: str) -> None:
        (self.path / rel).write_text(text, encoding="utf-8")

    def edit_page(self, old: str, new: str, count: int = -1) -> None:
        """Replace text in the group-QR page (all occurrences unless `count`)."""
        text = self.read(QR_PAGE)
        assert old in text, f"{old!r} not in {QR_PAGE}"
        self.write(QR_PAGE, text.replace(old, new, count))

    def version(self) -> str:
        match = re.search(r'__version__ = "([^"]+)"', self.read(VERSION_FILE))
        assert match is not None
        return match.group(1)

    def regenerate(self) -> Result:
        """`make spec generate`, failing loudly."""
        return self.make("spec", "generate", check=True)


def _describe_version(repo: Repo) -> None:
    """CHANGELOG.md with one entry: the project's version as these pages' spec (not the project's
    own CHANGELOG.md, whose entries record the project's spec), as `make bump` would write it."""
    version = repo.version()
    sha = hashlib.sha256((repo.path / "openapi" / "gewe.yaml").read_bytes()).hexdigest()
    repo.write(
        "CHANGELOG.md",
        f"# Changelog\n\n## {version} — 2026-01-01\n\nSpec: `openapi/gewe.yaml` sha256 `{sha}`.\n\n"
        "The release tests' own repository: the project built from the tests' pages.\n",
    )


def new_repo(dest: Path, tag: str | None = "release") -> Repo:
    """This project in a fresh git repository at `dest`: one commit, tagged `tag` ("release": the
    project's own version, `v<version>`)."""
    dest.mkdir(parents=True, exist_ok=True)
    for rel in project_files():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    (dest / ".venv").symlink_to(VENV, target_is_directory=True)
    for rel in ("requirements/dev.txt", "pyproject.toml"):  # older than the linked .venv's stamp, so
        os.utime(dest / rel, (0, 0))  # every make, sub-makes included (`make update`), uses it as is
    repo = Repo(dest)
    shutil.rmtree(dest / "openapi" / "exports")
    shutil.copytree(PAGES, dest / "openapi" / "exports")
    repo.run(sys.executable, "-m", "tools.gewe_spec")  # the spec and package of these pages
    repo.run(sys.executable, "tools/generate.py")
    _describe_version(repo)
    repo.git("init", "-q", "-b", "main")
    repo.commit("the project")
    if tag == "release":
        tag = f"v{repo.version()}"
    if tag:
        repo.git("tag", "-a", tag, "-m", f"release {tag}")
    return repo


def clone(repo: Repo, dest: Path) -> Repo:
    """A copy of `repo` (history, tags and working tree), so that one base can serve several tests."""
    shutil.copytree(repo.path, dest, symlinks=True)
    return Repo(dest)
