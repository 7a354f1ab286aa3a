"""Session-wide generated trees: generating code takes seconds, so each tree is made once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures.synth import markdown, page
from tests.spec._support import (
    EXPORTS,
    NEW_FIELD,
    NEW_MODULE,
    NEW_OPERATION,
    REAL_EXPORTS,
    REAL_SPEC,
    Generated,
    Regeneration,
    copy_tree,
    generate_package,
    load_yaml,
    write_spec,
)
from tools.gewe_spec.pages import iter_page_files, read_page


@pytest.fixture(scope="session")
def fixture_generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """tests/fixtures/exports bundled and generated (several modules, nested models)."""
    base = tmp_path_factory.mktemp("fixture")
    spec = write_spec(EXPORTS, base / "gewe.yaml")
    return Generated(spec, generate_package(spec, base / "pkg" / "gewe_api"))


def _first_data_object(spec: dict[str, Any]) -> tuple[str, str, str] | None:
    """(path, method, data component) of the first operation whose reply data is an object model."""
    schemas = spec["components"]["schemas"]
    for path, item in sorted(spec["paths"].items()):
        for method, op in sorted(item.items()):
            for status, response in sorted(op["responses"].items()):
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                envelope = schemas.get(schema.get("$ref", "").rsplit("/", 1)[-1], {})
                data = envelope.get("properties", {}).get("data", {})
                ref = data.get("$ref") or (data.get("allOf") or [{}])[0].get("$ref")
                if status.startswith("2") and ref and schemas[ref.rsplit("/", 1)[-1]].get("properties"):
                    return path, method, ref.rsplit("/", 1)[-1]
    return None


def add_reply_field(exports: Path, path: str, method: str, field: str) -> None:
    """Add an integer property to the reply data of `method path`, rewriting its page as a YAML page."""
    for page_file in iter_page_files(exports):
        for doc in read_page(page_file, str(page_file)):
            op = doc.body["paths"].get(path, {}).get(method)
            if op is None:
                continue
            status = min(s for s in map(str, op["responses"]) if s.startswith("2"))
            response = op["responses"].get(status, op["responses"].get(int(status)))
            reply = response["content"]["application/json"]["schema"]
            data = reply["properties"]["data"]
            while "$ref" in data:  # into the page's own components
                data = doc.body["components"]["schemas"][data["$ref"].rsplit("/", 1)[-1]]
            data["properties"][field] = {"type": "integer", "description": "过期时间"}
            page_file.unlink()
            page_file.with_suffix(".yaml").write_text(yaml.safe_dump(doc.body, allow_unicode=True), "utf-8")
            return
    raise AssertionError(f"no page defines {method.upper()} {path}")


@pytest.fixture(scope="session")
def regeneration(tmp_path_factory: pytest.TempPathFactory) -> Regeneration:
    """The real exports, and a copy with a new page (new module) and a new reply field, both generated."""
    base = tmp_path_factory.mktemp("regen")
    before_exports = copy_tree(REAL_EXPORTS, base / "before" / "exports")
    after_exports = copy_tree(REAL_EXPORTS, base / "after" / "exports")
    for name in ("before", "after"):  # our own pages (openapi/pages/) beside the exports, as in the project
        copy_tree(REAL_EXPORTS.parent / "pages", base / name / "pages")

    target = _first_data_object(load_yaml(REAL_SPEC))
    if target is not None:
        add_reply_field(after_exports, target[0], target[1], NEW_FIELD)
    new_page = after_exports / "合成" / "发送文字朋友圈.md"
    new_page.parent.mkdir(parents=True)
    new_page.write_text(markdown("发送文字朋友圈", page(NEW_MODULE, NEW_OPERATION, 2)), encoding="utf-8")

    generated = []
    for name, exports in (("before", before_exports), ("after", after_exports)):
        spec = write_spec(exports, base / name / "gewe.yaml")
        generated.append(Generated(spec, generate_package(spec, base / name / "pkg" / "gewe_api")))
    return Regeneration(*generated, data_model=target[2] if target else None)
