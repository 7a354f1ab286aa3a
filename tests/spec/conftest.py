"""Session-wide generated trees: generating code takes seconds, so each tree is made once."""

from __future__ import annotations

import re

import pytest

from tests.fixtures.synth import markdown, page
from tests.spec._support import (
    EXPORTS,
    NEW_FIELD,
    NEW_MODULE,
    NEW_OPERATION,
    QR_PAGE,
    REAL_EXPORTS,
    Generated,
    Regeneration,
    copy_tree,
    generate_package,
    write_spec,
)


@pytest.fixture(scope="session")
def fixture_generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """tests/fixtures/exports bundled and generated (several modules, nested models)."""
    base = tmp_path_factory.mktemp("fixture")
    spec = write_spec(EXPORTS, base / "gewe.yaml")
    return Generated(spec, generate_package(spec, base / "pkg" / "gewe_api"))


def add_reply_field(page_text: str, before: str, field: str) -> str:
    """Insert a new integer property into a page's YAML, just before the property `before`."""
    match = re.search(rf"^(?P<indent>[ ]+){re.escape(before)}:\n", page_text, re.M)
    assert match is not None, f"property {before!r} not found in the page"
    indent = match.group("indent")
    new = f"{indent}{field}:\n{indent}  type: integer\n{indent}  description: 二维码过期时间\n"
    return page_text[: match.start()] + new + page_text[match.start() :]


@pytest.fixture(scope="session")
def regeneration(tmp_path_factory: pytest.TempPathFactory) -> Regeneration:
    """The real exports, and a copy with a new page (new module) and a new reply field, both generated."""
    base = tmp_path_factory.mktemp("regen")
    before_exports = copy_tree(REAL_EXPORTS, base / "before" / "exports")
    after_exports = copy_tree(REAL_EXPORTS, base / "after" / "exports")

    qr_page = after_exports / QR_PAGE
    qr_page.write_text(
        add_reply_field(qr_page.read_text(encoding="utf-8"), "qrTips", NEW_FIELD), encoding="utf-8"
    )
    new_page = after_exports / "朋友圈" / "发送文字朋友圈.md"
    new_page.parent.mkdir(parents=True)
    new_page.write_text(markdown("发送文字朋友圈", page(NEW_MODULE, NEW_OPERATION, 2)), encoding="utf-8")

    generated = []
    for name, exports in (("before", before_exports), ("after", after_exports)):
        spec = write_spec(exports, base / name / "gewe.yaml")
        generated.append(Generated(spec, generate_package(spec, base / name / "pkg" / "gewe_api")))
    return Regeneration(*generated)
