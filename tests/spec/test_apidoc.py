"""api.md (tools/apidoc), written by tools/generate.py with the package: checked against the synthetic
corpus's spec and against the generated package as Python sees it, and kept current by --check."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures import corpus
from tests.spec._support import Generated, copy_tree, generate, write_spec
from tools import apidoc
from tools.apidoc.render import anchor

ROOT = Path(__file__).resolve().parents[2]
PATH = re.compile(r"^/gewe/v2/api/(?P<module>[^/]+)/(?P<operation>[^/]+)$")


class Corpus:
    def __init__(self, spec: Path, package: Path, api_md: Path) -> None:
        self.spec: dict[str, Any] = yaml.safe_load(spec.read_text(encoding="utf-8"))
        self.package = package
        self.text = api_md.read_text(encoding="utf-8")

    def sections(self) -> dict[str, str]:
        """Each `### `module.method`` section of api.md, by its POST path."""
        found = {}
        for chunk in re.split(r"(?m)^(?=### )", self.text):
            match = re.search(r"^`POST (\S+)` \(operation `([^`]+)`\)$", chunk, re.M)
            if match:
                found[match.group(1)] = chunk
        return found


@pytest.fixture(scope="session")
def corpus_api(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """The synthetic corpus (160 pages, 10 modules, every dialect form) generated with its api.md."""
    base = tmp_path_factory.mktemp("apidoc-corpus")
    corpus.write_corpus(base / "exports")
    spec = write_spec(base / "exports", base / "gewe.yaml")
    package = base / "pkg" / "gewe_api"
    assert generate(spec, package, "--api-md", str(base / "api.md")) == 0
    return Corpus(spec, package, base / "api.md")


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema or "allOf" in schema:
        ref = schema.get("$ref") or schema["allOf"][0]["$ref"]
        schema = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return schema


def test_every_operation_of_the_corpus_is_documented_with_its_request_fields(corpus_api: Corpus) -> None:
    sections = corpus_api.sections()
    paths = corpus_api.spec["paths"]
    assert len(paths) >= 150 and set(sections) == set(paths)
    for path, item in paths.items():
        op = item["post"]
        section = sections[path]
        module, operation = PATH.match(path).groups()  # type: ignore[union-attr]
        assert f"(operation `{module}.{operation}`)" in section
        assert op["summary"] in section.splitlines()[2], (path, section[:200])
        body = _resolve(corpus_api.spec, op["requestBody"]["content"]["application/json"]["schema"])
        table = [line for line in section.splitlines() if line.startswith("| `")]
        wire = {line.split(" | ")[1].strip("` ") for line in table}
        assert set(body.get("properties", {})) == wire, path
        for line in table:
            required = line.split(" | ")[3]
            assert required == "yes" or required.startswith("no"), line
        assert "Raises: `GeweConfigError`, `GeweAPIError`" in section
        assert section.count("Retries: ") == 1


INTROSPECT = """
import importlib, inspect, json, sys
from gewe_api.api import MODULES
out = {}
for module in MODULES:
    mod = importlib.import_module(f"gewe_api.api.{module}")
    for cls_name in mod.__all__:
        cls = getattr(mod, cls_name)
        for name, func in inspect.getmembers(cls, inspect.isfunction):
            if not name.startswith("_"):
                sig = inspect.signature(func)
                out.setdefault(f"{module}.{name}", {})[cls_name.startswith("Async")] = [
                    list(sig.parameters)[1:], sig.return_annotation,
                ]
print(json.dumps(out))
"""


def test_signatures_match_the_generated_package_as_python_sees_them(corpus_api: Corpus) -> None:
    env = {**os.environ, "PYTHONPATH": str(corpus_api.package.parent)}
    proc = subprocess.run(
        [sys.executable, "-c", INTROSPECT],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=corpus_api.package.parent,
    )
    methods = json.loads(proc.stdout)
    options = {"idempotent", "timeout", "max_retries", "extra_body", "extra_headers"}
    for qualified, found in methods.items():
        assert set(found) == {"false", "true"}, f"{qualified} is missing its sync or async method"
        params, returns = found["false"]
        assert found["true"] == found["false"], qualified
        section = corpus_api.text.split(f"### `{qualified}`\n", 1)[1].split("\n### ", 1)[0]
        code = section.split("```python\n", 1)[1].split("```", 1)[0]
        shown = re.findall(r"(?m)^\s*(\w+): ", code.split("\nawait ", 1)[0]) or re.findall(
            r"[(,] (\w+): ", code
        )
        assert shown == [p for p in params if p not in options], qualified
        assert f"await async_client.{qualified}(" in code
        assert f"-> {returns.replace('builtins.', '')}" in code or "refines it" in section, qualified
    assert len(methods) == len(corpus_api.spec["paths"])


def test_every_model_and_enum_is_documented_once_and_links_resolve(corpus_api: Corpus) -> None:
    files = [p for p in (corpus_api.package / "models").glob("*.py") if p.name != "__init__.py"]
    classes = {m.group(1) for p in files for m in re.finditer(r"(?m)^class (\w+)", p.read_text("utf-8"))}
    headings = re.findall(r"(?m)^### (\w+)$", corpus_api.text)
    assert sorted(headings) == sorted(classes)
    targets = {anchor(h) for h in re.findall(r"(?m)^#+ (.+)$", corpus_api.text)}
    links = set(re.findall(r"\]\((#[^)]+)\)", corpus_api.text))
    assert links and links <= targets, sorted(links - targets)[:5]
    assert re.search(r"(?m)^Enum \(`(Str|Int)Enum`\):$", corpus_api.text)


def test_the_options_and_error_table_appear_once(corpus_api: Corpus) -> None:
    text = corpus_api.text
    assert text.count("## Per-call options") == 1 and text.count("## Errors") == 1
    options = text.split("## Per-call options", 1)[1].split("\n## ", 1)[0]
    code = "".join(re.findall(r"(?s)```python\n(.*?)```", text))
    for option in ("idempotent", "timeout", "max_retries", "extra_body", "extra_headers"):
        assert options.count(f"| `{option}` |") == 1, option
        assert f" {option}: " not in code, f"{option} is listed in a method's signature, not once"
    assert len(re.findall(r"\*\*options,?\n?\) ->", code)) == len(corpus_api.spec["paths"])
    for error in ("GeweError", "GeweAPIError", "GeweAuthError", "GeweConnectionError", "GeweTimeoutError"):
        assert f"| `{error}` |" in text


def test_a_hand_written_override_shows_its_return_type(corpus_api: Corpus) -> None:
    section = corpus_api.text.split("### `group.get_chatroom_qr_code`\n", 1)[1].split("\n### ", 1)[0]
    assert "`gewe/resources/group.py` refines it: returns `GroupQrCode`" in section
    assert ") -> GroupQrCode" in section


def test_check_names_a_stale_api_md_and_never_writes(fixture_generated: Generated, tmp_path: Path) -> None:
    package = copy_tree(fixture_generated.package, tmp_path / "gewe_api")
    api_md = tmp_path / "api.md"
    assert generate(fixture_generated.spec, package, "--api-md", str(api_md)) == 0
    current = api_md.read_text(encoding="utf-8")
    assert generate(fixture_generated.spec, package, "--api-md", str(api_md), "--check") == 0
    api_md.write_text(current.replace("## Models", "## Models (edited)"), encoding="utf-8")
    edited = api_md.read_bytes()
    proc = subprocess.run(
        [
            sys.executable,
            "tools/generate.py",
            "--spec",
            fixture_generated.spec,
            "--out",
            package,
            "--api-md",
            api_md,
            "--check",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1 and f"  {api_md}" in proc.stderr.splitlines(), proc.stderr
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


def test_the_shipped_api_md_is_linked_from_both_readmes() -> None:
    for readme in ("README.md", "overrides/README.md"):
        assert "api.md" in (ROOT / readme).read_text(encoding="utf-8"), readme
