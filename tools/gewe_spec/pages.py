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

from .errors import SpecError

PAGE_SUFFIXES = (".md", ".markdown", ".yaml", ".yml", ".json")

# A fenced block whose info string is yaml/yml/json; Apifox uses ```yaml.
_FENCE = re.compile(r"^```[ \t]*(yaml|yml|json)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M | re.I)


@dataclass(frozen=True)
class Document:
    """One OpenAPI document and the page it came from (relative to the exports folder)."""

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


def _parse(source: str, text: str, kind: str) -> Any:
    try:
        if kind == "json":
            return json.loads(text)
        return yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        detail = " ".join(str(exc).split())
        raise SpecError(source, f"{kind.upper()} does not parse: {detail}") from None


def _is_openapi_candidate(body: Any) -> bool:
    return isinstance(body, dict) and ("openapi" in body or "swagger" in body or "paths" in body)


def _check_openapi3(source: str, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise SpecError(source, "the block is not an OpenAPI document (expected a mapping)")
    version = body.get("openapi")
    if not isinstance(version, str) or not version.startswith("3."):
        found = body.get("openapi", body.get("swagger", "none"))
        raise SpecError(source, f"the block is not OpenAPI 3 (openapi: {found!r})")
    if not isinstance(body.get("paths"), dict):
        raise SpecError(source, "the OpenAPI block has no 'paths' mapping")
    return body


def read_page(path: Path, source: str) -> list[Document]:
    """The OpenAPI documents in one page; an empty list for a guide page."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SpecError(source, "file is not UTF-8 text") from None
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml", ".json"):
        body = _parse(source, text, "json" if suffix == ".json" else "yaml")
        return [Document(source, _check_openapi3(source, body))]
    docs = []
    for match in _FENCE.finditer(text):
        kind = "json" if match.group(1).lower() == "json" else "yaml"
        block = match.group(2)
        # Only blocks that mean to be OpenAPI count; a guide page's sample JSON is not a spec.
        if kind == "yaml" and not re.search(r"^(openapi|swagger|paths)\s*:", block, re.M):
            continue
        body = _parse(source, block, kind)
        if kind == "json" and not _is_openapi_candidate(body):
            continue
        docs.append(Document(source, _check_openapi3(source, body)))
    return docs


def read_exports(exports: Path) -> Iterator[Document | str]:
    """Documents from every page, or the relative path of a page that has none (a guide page)."""
    for path in iter_page_files(exports):
        source = path.relative_to(exports).as_posix()
        docs = read_page(path, source)
        if not docs:
            yield source
        yield from docs
