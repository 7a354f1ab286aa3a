"""api.md (tools/apidoc) against the spec it documents and the generated package as Python sees it.

Spec-driven: in the main run over tests/fixtures/exports (several modules, nested models, enums), and
in `make corpus` (GEWE_TEST_SPEC, with the corpus package first on PYTHONPATH) over the 160-page
synthetic corpus. How tools/generate.py writes and checks api.md: test_apidoc_generate.py.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import SPEC, TEST_SPEC
from tests.spec._support import Generated
from tools import apidoc
from tools.apidoc.render import anchor

ROOT = Path(__file__).resolve().parents[2]
PATH = re.compile(r"^/gewe/v2/api/(?P<module>[^/]+)/(?P<operation>[^/]+)$")


class Documented:
    def __init__(self, spec: Path, package: Path) -> None:
        self.spec: dict[str, Any] = yaml.safe_load(spec.read_text(encoding="utf-8"))
        self.package = package
        self.text = apidoc.reference(package)

    def sections(self) -> dict[str, str]:
        """Each `### `module.method`` section of api.md, by its POST path."""
        found = {}
        for chunk in re.split(r"(?m)^(?=### )", self.text):
            match = re.search(r"^`POST (\S+)` \(operation `([^`]+)`\)$", chunk, re.M)
            if match:
                found[match.group(1)] = chunk
        return found


@pytest.fixture(scope="session")
def documented(request: pytest.FixtureRequest) -> Documented:
    """The reference of a generated package and the spec it came from (see the module docstring)."""
    if SPEC.resolve() != TEST_SPEC:
        found = importlib.util.find_spec("gewe_api")
        assert found is not None and found.origin is not None
        package = Path(found.origin).parent
        digest = hashlib.sha256(TEST_SPEC.read_bytes()).hexdigest()
        assert digest in (package / "_spec.py").read_text(encoding="utf-8"), (
            f"{package} is not from {TEST_SPEC}"
        )
        return Documented(TEST_SPEC, package)
    generated: Generated = request.getfixturevalue("fixture_generated")
    return Documented(generated.spec, generated.package)


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema or "allOf" in schema:
        ref = schema.get("$ref") or schema["allOf"][0]["$ref"]
        schema = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return schema


def test_every_operation_is_documented_with_its_request_fields(documented: Documented) -> None:
    sections = documented.sections()
    paths = documented.spec["paths"]
    assert len(paths) >= 2 and set(sections) == set(paths)
    for path, item in paths.items():
        op = item["post"]
        section = sections[path]
        module, operation = PATH.match(path).groups()  # type: ignore[union-attr]
        assert f"(operation `{module}.{operation}`)" in section
        assert op["summary"] in section.splitlines()[2], (path, section[:200])
        schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        body = _resolve(documented.spec, schema) if schema else {}
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
from gewe_api.api import MODULES, CallOptions
out = {"(options)": sorted(CallOptions.__annotations__)}
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


def test_signatures_match_the_generated_package_as_python_sees_them(documented: Documented) -> None:
    env = {**os.environ, "PYTHONPATH": str(documented.package.parent)}
    proc = subprocess.run(
        [sys.executable, "-c", INTROSPECT],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=documented.package.parent,
    )
    methods = json.loads(proc.stdout)
    options = set(methods.pop("(options)"))  # the per-call options, as Python sees CallOptions
    assert options >= {"idempotent", "timeout", "max_retries", "extra_body", "extra_headers"}
    for qualified, found in methods.items():
        assert set(found) == {"false", "true"}, f"{qualified} is missing its sync or async method"
        params, returns = found["false"]
        assert found["true"] == found["false"], qualified
        section = documented.text.split(f"### `{qualified}`\n", 1)[1].split("\n### ", 1)[0]
        code = section.split("```python\n", 1)[1].split("```", 1)[0]
        shown = re.findall(r"(?m)^\s*(\w+): ", code.split("\nawait ", 1)[0]) or re.findall(
            r"[(,] (\w+): ", code
        )
        assert shown == [p for p in params if p not in options], qualified
        assert f"await async_client.{qualified}(" in code
        assert f"-> {returns.replace('builtins.', '')}" in code or "refines it" in section, qualified
    assert len(methods) == len(documented.spec["paths"])


def test_every_model_and_enum_is_documented_once_and_links_resolve(documented: Documented) -> None:
    files = [p for p in (documented.package / "models").glob("*.py") if p.name != "__init__.py"]
    classes = {m.group(1) for p in files for m in re.finditer(r"(?m)^class (\w+)", p.read_text("utf-8"))}
    headings = re.findall(r"(?m)^### (\w+)$", documented.text)
    assert sorted(headings) == sorted(classes)
    targets = {anchor(h) for h in re.findall(r"(?m)^#+ (.+)$", documented.text)}
    links = set(re.findall(r"\]\((#[^)]+)\)", documented.text))
    assert links and links <= targets, sorted(links - targets)[:5]
    assert re.search(r"(?m)^Enum \(`(Str|Int)Enum`\):$", documented.text)


def test_the_options_and_error_table_appear_once(documented: Documented) -> None:
    text = documented.text
    assert text.count("## Per-call options") == 1 and text.count("## Errors") == 1
    options = text.split("## Per-call options", 1)[1].split("\n## ", 1)[0]
    # the operations' code (the hand-written API after the models has its own `timeout` arguments)
    code = "".join(re.findall(r"(?s)```python\n(.*?)```", text.split("\n## Models\n", 1)[0]))
    for option in ("idempotent", "timeout", "max_retries", "extra_body", "extra_headers"):
        assert options.count(f"| `{option}` |") == 1, option
        assert f" {option}: " not in code, f"{option} is listed in a method's signature, not once"
    assert len(re.findall(r"\*\*options,?\n?\) ->", code)) == len(documented.spec["paths"])
    for error in ("GeweError", "GeweAPIError", "GeweAuthError", "GeweConnectionError", "GeweTimeoutError"):
        assert f"| `{error}` |" in text
