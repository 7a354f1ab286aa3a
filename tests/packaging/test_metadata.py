"""What a reviewer reads before adopting the package: license, classifiers, keywords, URLs, the install
line, and an sdist that holds only what builds the wheel. Read from pyproject.toml as it is, so a
dependency or extra added there must be named in the users' README too."""

from __future__ import annotations

import re
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path, PurePosixPath

import pytest
from packaging.utils import canonicalize_name

from tests.packaging import matrix
from tests.packaging.helpers import ROOT, project_version, run

USER_README = ROOT / "overrides" / "README.md"


def _metadata(wheel: Path) -> Parser:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        return Parser().parsestr(zf.read(name).decode("utf-8"))  # type: ignore[return-value]


def _install_lines() -> list[str]:
    text = USER_README.read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block is not None, "the users' README has no ```sh install block"
    return [line for line in block.group(1).splitlines() if "pip install" in line]


def test_the_install_line_names_every_runtime_dependency_and_each_extra_its_own() -> None:
    lines = _install_lines()
    plain = next(line for line in lines if "[" not in line)
    for req in matrix.dependencies():
        assert re.search(rf"\b{re.escape(req.name)}\b", plain, re.I), f"{req.name} missing from: {plain}"
    for extra, reqs in matrix.extra_requirements().items():
        line = next((x for x in lines if f"[{extra}]" in x), None)
        assert line is not None, f"no `pip install 'gewe-sdk[{extra}]'` line in {USER_README.name}"
        for req in reqs:
            assert re.search(rf"\b{re.escape(req.name)}\b", line, re.I), f"{req.name} missing from: {line}"


def test_the_license_file_is_mit_and_declared() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text
    meta = matrix.project()
    assert meta["license"] == "MIT" and meta["license-files"] == ["LICENSE"]


def test_project_urls_if_given_are_https() -> None:
    for name, url in dict(matrix.project().get("urls", {})).items():  # type: ignore[call-overload]
        assert str(url).startswith("https://") and "<" not in str(url), (name, url)


@pytest.mark.slow
def test_the_wheel_carries_license_classifiers_and_keywords(wheel: Path) -> None:
    meta = _metadata(wheel)
    with zipfile.ZipFile(wheel) as zf:
        licenses = [n for n in zf.namelist() if ".dist-info/licenses/" in n]
        assert licenses == [f"gewe_sdk-{project_version()}.dist-info/licenses/LICENSE"]
        assert zf.read(licenses[0]) == (ROOT / "LICENSE").read_bytes()
    assert meta["License-Expression"] == "MIT" and meta.get_all("License-File") == ["LICENSE"]
    classifiers = meta.get_all("Classifier") or []
    assert "Typing :: Typed" in classifiers
    assert any(c.startswith("Development Status :: ") for c in classifiers)
    declared = [
        c.rsplit(" :: ", 1)[1]
        for c in classifiers
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert declared == matrix.declared_pythons()
    assert "wechat" in (meta["Keywords"] or "").split(",")


@pytest.mark.slow
def test_the_sdist_holds_only_what_builds_the_wheel(tmp_path: Path) -> None:
    run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", tmp_path, ROOT], cwd=ROOT)
    (sdist,) = tmp_path.glob("*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = [
            PurePosixPath(n).relative_to(f"gewe_sdk-{project_version()}").as_posix() for n in tar.getnames()
        ]
    # hatchling always adds .gitignore; the rest is the two packages, the README the wheel shows, metadata
    single = {"overrides/README.md", "pyproject.toml", "LICENSE", "PKG-INFO", ".gitignore"}
    extra = [
        n for n in names if n not in single and not n.startswith(("overrides/gewe/", "generated/gewe_api/"))
    ]
    assert extra == [], extra
    assert {"LICENSE", "overrides/README.md", "pyproject.toml"} <= set(names)
    assert any(n.startswith("overrides/gewe/") for n in names) and any(
        n.startswith("generated/gewe_api/") for n in names
    )
    # and it builds the same wheel contents
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", tmp_path, sdist],
        cwd=tmp_path,
    )
    (rebuilt,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(rebuilt) as zf:
        assert f"gewe_sdk-{project_version()}.dist-info/licenses/LICENSE" in zf.namelist()
        assert {canonicalize_name(n.split("/")[0]) for n in zf.namelist()} >= {"gewe", "gewe-api"}
