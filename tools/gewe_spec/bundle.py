"""Bundle every export page into one normalized, validated, byte-stable OpenAPI document."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from .errors import SpecError
from .names import class_name, derive
from .normalize import METHODS, SECURITY_SCHEME, TOKEN_HEADER, normalize_operation
from .pages import read_exports

TITLE = "GeWe API"
VERSION = "2.0.0"  # the /gewe/v2 API generation the paths belong to
DEFAULT_SERVER = {"url": "http://api.geweapi.com", "description": "GeWe public cloud"}


def bundle(exports: Path, notice: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """The normalized spec for every page below `exports`. Raises SpecError on bad input."""
    paths: dict[str, dict[str, Any]] = {}
    owners: dict[tuple[str, str], tuple[str, Any]] = {}  # (path, method) -> (source, raw operation)
    schemas: dict[str, tuple[str, dict[str, Any]]] = {}  # component name -> (source, schema)
    names_taken: dict[str, tuple[str, str]] = {}  # derived name -> (source, what it names)
    tags: dict[str, set[str]] = {}
    servers: list[dict[str, Any]] = []

    for item in read_exports(exports):
        if isinstance(item, str):
            notice(f"skip: {item}: no OpenAPI block (guide page)")
            continue
        source, doc = item.source, item.body
        for server in doc.get("servers") or []:
            if isinstance(server, dict) and server.get("url") and server not in servers:
                servers.append(server)
        for path, path_item in doc["paths"].items():
            if not isinstance(path_item, dict):
                raise SpecError(source, f"path {path!r} is not a mapping")
            for method in sorted(m for m in path_item if m in METHODS):
                operation = path_item[method]
                if not isinstance(operation, dict):
                    raise SpecError(source, f"{method.upper()} {path} is not a mapping")
                names = derive(source, path)
                key = (path, method)
                if key in owners:
                    first, raw = owners[key]
                    if raw != operation:
                        raise SpecError(
                            source, f"{method.upper()} {path} is already defined differently in {first}"
                        )
                    continue
                owners[key] = (source, operation)
                what = f"{method.upper()} {path}"
                for derived in (names.function, class_name(names.operation_id)):
                    if derived in names_taken and names_taken[derived][1] != what:
                        other_source, other = names_taken[derived]
                        raise SpecError(
                            source,
                            f"name collision: {what} derives {derived!r}, as does {other} in {other_source}",
                        )
                    names_taken[derived] = (source, what)
                normalized = normalize_operation(source, operation, names, doc.get("components") or {})
                for name, schema in normalized.schemas.items():
                    cls = class_name(name)
                    if cls in names_taken and names_taken[cls][1] != f"model of {what}":
                        other_source, other = names_taken[cls]
                        raise SpecError(
                            source,
                            f"name collision: model {cls!r} of {what} is already derived for {other} in {other_source}",
                        )
                    names_taken[cls] = (source, f"model of {what}")
                    schemas[name] = (source, schema)
                paths.setdefault(path, {})[method] = normalized.operation
                if normalized.tag_description:
                    tags.setdefault(names.module, set()).add(normalized.tag_description)
                else:
                    tags.setdefault(names.module, set())

    spec: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": "GeWe WeChat-bot API, bundled from GeWe's published Apifox pages.",
        },
        "servers": servers or [DEFAULT_SERVER],
        "tags": [
            {"name": t, **({"description": "; ".join(sorted(d))} if d else {})} for t, d in sorted(tags.items())
        ],
        "paths": {p: paths[p] for p in sorted(paths)},
        "components": {
            "schemas": {n: schemas[n][1] for n in sorted(schemas)},
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "apiKey",
                    "in": "header",
                    "name": TOKEN_HEADER,
                    "description": "The GeWe API token, set once on the client.",
                }
            },
        },
    }
    try:
        validate(spec)
    except OpenAPIValidationError as exc:
        raise SpecError(str(exports), f"bundled spec is not valid OpenAPI: {exc.message}") from None
    return spec


def dump(spec: dict[str, Any]) -> str:
    """Byte-stable YAML: sorted keys, no line wrapping, unicode kept readable."""
    return yaml.safe_dump(spec, sort_keys=True, allow_unicode=True, width=1 << 30, default_flow_style=False)


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` in one step, so a failure never leaves a half-written spec."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
