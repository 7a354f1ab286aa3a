"""Reading export pages (tools/gewe_spec/pages.py): markdown and bare documents, guides, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.gewe_spec import SpecError
from tools.gewe_spec.pages import Document, iter_page_files, read_exports, read_page

MINIMAL = """openapi: 3.0.1
info:
  title: ''
  version: 1.0.0
paths:
  /gewe/v2/api/group/getQrCode:
    post:
      responses:
        '200':
          description: ''
"""


def md(block: str, info: str = "yaml", before: str = "# 页面\n\n## OpenAPI Specification\n\n") -> str:
    return f"{before}```{info}\n{block}```\n"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding=encoding)
    return path


def read(tmp_path: Path, name: str, text: str) -> list[Document]:
    return read_page(write(tmp_path / name, text), name)


def test_markdown_page_yields_its_openapi_block(tmp_path: Path) -> None:
    docs = read(tmp_path, "page.md", md(MINIMAL))
    assert len(docs) == 1
    assert docs[0].source == "page.md"
    assert list(docs[0].body["paths"]) == ["/gewe/v2/api/group/getQrCode"]
    # unquoted status codes and versions stay the text they were written as
    assert "200" in docs[0].body["paths"]["/gewe/v2/api/group/getQrCode"]["post"]["responses"]


def test_bare_yaml_and_json_documents(tmp_path: Path) -> None:
    as_json = json.dumps(read(tmp_path, "a.yaml", MINIMAL)[0].body)
    assert read(tmp_path, "b.json", as_json)[0].body == read(tmp_path, "c.yml", MINIMAL)[0].body


def test_markdown_with_a_json_openapi_block(tmp_path: Path) -> None:
    body = read(tmp_path, "a.yaml", MINIMAL)[0].body
    docs = read(tmp_path, "page.md", md(json.dumps(body, indent=2) + "\n", info="json"))
    assert docs[0].body == body


def test_guide_page_has_no_documents(tmp_path: Path) -> None:
    guide = '# 快速开始\n\n```json\n{"ret": 200, "msg": "ok", ...}\n```\n\n```yaml\nretry: 3\n```\n'
    assert read(tmp_path, "guide.md", guide) == []


def test_windows_line_endings_and_bom(tmp_path: Path) -> None:
    text = "\ufeff" + md(MINIMAL).replace("\n", "\r\n")
    path = tmp_path / "page.md"
    path.write_bytes(text.encode("utf-8"))
    assert len(read_page(path, "page.md")) == 1


def test_yaml_error_gives_the_line_in_the_page(tmp_path: Path) -> None:
    broken = MINIMAL.replace("    post:\n", "    post:\n     - oops: [\n")
    text = md(broken)
    line = text.splitlines().index("     - oops: [") + 1
    with pytest.raises(SpecError) as info:
        read(tmp_path, "page.md", text)
    assert info.value.source == "page.md"
    assert info.value.problem.startswith("YAML does not parse")
    assert f"line {line}, column 14" in info.value.problem  # where the unclosed `[` is


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("dup.yaml", MINIMAL + "info: {}\n", "duplicate key 'info'"),
        ("dup.json", '{"openapi": "3.0.1", "paths": {}, "paths": {}}', "duplicate key 'paths'"),
        ("broken.json", '{"openapi": "3.0.1",}', "JSON does not parse"),
        ("swagger.md", md("swagger: '2.0'\npaths: {}\n"), "not OpenAPI 3 (swagger: '2.0')"),
        ("v2.yaml", "openapi: 2.0.0\npaths: {}\n", "not OpenAPI 3 (openapi: '2.0.0')"),
        ("nopaths.yaml", "openapi: 3.0.1\ninfo: {}\n", "no 'paths' mapping"),
        ("list.yaml", "- openapi\n", "not an OpenAPI document"),
        ("list.md", md("paths:\n  - a\nopenapi: 3.0.1\n"), "no 'paths' mapping"),
    ],
)
def test_bad_pages_are_errors_naming_the_file(tmp_path: Path, name: str, text: str, problem: str) -> None:
    with pytest.raises(SpecError) as info:
        read(tmp_path, name, text)
    assert info.value.source == name
    assert problem in info.value.problem
    assert str(info.value).startswith(f"{name}: ")


def test_non_utf8_page_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="not UTF-8"):
        read_page(
            write(tmp_path / "gbk.md", md(MINIMAL).replace("页面", "群二维码"), encoding="gbk"), "gbk.md"
        )


def test_page_discovery_is_recursive_sorted_and_by_suffix(tmp_path: Path) -> None:
    for name in ("b/z.md", "a.json", "b/a/deep.yaml", "c.yml", "notes.txt", "image.png", "b/readme.markdown"):
        write(tmp_path / "exports" / name, "x")
    found = [p.relative_to(tmp_path / "exports").as_posix() for p in iter_page_files(tmp_path / "exports")]
    assert found == ["a.json", "b/a/deep.yaml", "b/readme.markdown", "b/z.md", "c.yml"]


def test_missing_exports_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="does not exist"):
        list(read_exports(tmp_path / "nope"))


def test_read_exports_names_pages_from_the_given_folder(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    write(exports / "group" / "a.md", md(MINIMAL))
    write(exports / "guide.md", "# 说明\n")
    items = list(read_exports(exports))
    assert isinstance(items[0], Document)
    sources = [item if isinstance(item, str) else item.source for item in items]
    assert sources == [(exports / "group" / "a.md").as_posix(), (exports / "guide.md").as_posix()]
    assert isinstance(items[1], str)  # the guide page, by name
