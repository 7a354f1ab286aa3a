"""Read upstream export pages: Apifox markdown with an embedded OpenAPI block, or bare YAML/JSON.

A page yields zero (a guide page) or more OpenAPI documents. Anything else is a SpecError naming
the file, so a broken page never produces a half-written spec.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import yamlio
from .errors import SpecError

PAGE_SUFFIXES = (".md", ".markdown", ".yaml", ".yml", ".json")

# A fenced block whose info string is yaml/yml/json; Apifox uses ```yaml.
_FENCE = re.compile(r"^```[ \t]*(yaml|yml|json)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M | re.I)
# A block is meant as an OpenAPI document when it has one of these top-level keys.
_OPENAPI_KEY = {
    "yaml": re.compile(r"^[\"']?(openapi|swagger|paths)[\"']?[ \t]*:", re.M),
    "json": re.compile(r"\"(openapi|swagger|paths)\"\s*:"),
}


@dataclass(frozen=True)
class Document:
    """One OpenAPI document and the page it came from."""

    source: str
    body: dict[str, Any]


def iter_page_files(exports: Path) -> list[Path]:
    """Every page below `exports`, nested folders included, in a stable order."""
    if not exports.is_dir():
        raise SpecError(str(exports), "exports folder does not exist")
    return sorted(
        (p for p in exports.rglob("*") if p.is_file() and p.suffix.lower() in PAGE_SUFFIXES),
        key=lambda p: p.relative_to(exports).as_posix(),
    )


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, rejecting duplicate keys (as the YAML loader does)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _parse(source: str, text: str, kind: str) -> Any:
    """Parse a page's text strictly; a SpecError naming `source` if it does not parse."""
    try:
        if kind == "json":
            return json.loads(text, object_pairs_hook=_unique_keys)
        return yamlio.load(text)
    except (yaml.YAMLError, ValueError) as exc:
        detail = " ".join(str(exc).replace('in "<unicode string>", ', "").split())
        raise SpecError(source, f"{kind.upper()} does not parse: {detail}") from None


def _check_openapi3(source: str, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise SpecError(source, "the block is not an OpenAPI document (expected a mapping)")
    version = body.get("openapi")
    if version is None or not str(version).startswith("3."):
        found = f"openapi: {version!r}" if "openapi" in body else f"swagger: {body.get('swagger')!r}"
        raise SpecError(source, f"the block is not OpenAPI 3 ({found}); export the page as OpenAPI 3.0")
    if not isinstance(body.get("paths"), dict):
        raise SpecError(source, "the OpenAPI block has no 'paths' mapping")
    return body


def read_page(path: Path, source: str) -> list[Document]:
    """The OpenAPI documents in one page; an empty list for a guide page."""
    try:
        text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        raise SpecError(source, "file is not UTF-8 text") from None
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml", ".json"):
        body = _parse(source, text, "json" if suffix == ".json" else "yaml")
        return [Document(source, _check_openapi3(source, body))]
    docs = []
    for match in _FENCE.finditer(text):
        kind = "json" if match.group(1).lower() == "json" else "yaml"
        # Padded so that a parse error's line number is the line in the page.
        block = "\n" * text.count("\n", 0, match.start(2)) + match.group(2)
        # Only blocks that mean to be OpenAPI count; a guide page's sample reply is not a spec.
        if not _OPENAPI_KEY[kind].search(block):
            continue
        body = _parse(source, block, kind)
        docs.append(Document(source, _check_openapi3(source, body)))
    return docs


def read_exports(exports: Path) -> Iterator[Document | str]:
    """Documents from every page, or the path of a page that has none (a guide page).

    A page is named by its path as `exports` was given plus its place below it
    (`openapi/exports/group/x.md`), so messages point at the file from where the command was run.
    """
    for path in iter_page_files(exports):
        source = path.as_posix()
        docs = read_page(path, source)
        if not docs:
            yield source
        yield from docs
