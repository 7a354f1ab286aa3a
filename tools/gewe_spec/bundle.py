"""Bundle every export page into one normalized, validated, byte-stable OpenAPI document."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema.exceptions import ValidationError
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from . import pacing, yamlio
from .errors import SpecError
from .names import NameRegistry, OperationNames, derive
from .normalize import METHODS, SECURITY_SCHEME, TOKEN_HEADER, Normalized, normalize_operation
from .pages import Document, read_exports
from .readonly import EXTENSION, Reviewed, decide, load_exceptions
from .report import Report, Where

TITLE = "GeWe API"
VERSION = "2.0.0"  # the /gewe/v2 API generation the paths belong to
DESCRIPTION = "GeWe WeChat-bot API, bundled from GeWe's published Apifox pages."
DEFAULT_SERVER = {"url": "http://api.geweapi.com", "description": "GeWe public cloud"}
SECURITY_SCHEMES = {
    SECURITY_SCHEME: {
        "type": "apiKey",
        "in": "header",
        "name": TOKEN_HEADER,
        "description": "The GeWe API token, set once on the client.",
    }
}
# Structural surprises in a page's YAML (a list where a mapping belongs, ...) surface as these.
_SHAPE_ERRORS = (AttributeError, KeyError, TypeError, ValueError)


def with_path_parameters(operation: dict[str, Any], shared: Any) -> dict[str, Any]:
    """The operation with its path item's parameters, which apply to it unless it redefines them."""
    if not isinstance(shared, list) or not shared:
        return operation
    own = operation.get("parameters") if isinstance(operation.get("parameters"), list) else []

    def key(param: Any) -> Any:
        return (
            (param.get("name"), param.get("in"))
            if isinstance(param, dict) and "$ref" not in param
            else id(param)
        )

    redefined = {key(p) for p in own}
    return {**operation, "parameters": [p for p in shared if key(p) not in redefined] + own}


@dataclass
class _Owned:
    """An operation in the bundle and the page that defined it."""

    source: str
    names: OperationNames
    normalized: Normalized


@dataclass
class Bundler:
    """Collects normalized operations page by page, checking names and repeats as it goes."""

    operations: dict[tuple[str, str], _Owned] = field(default_factory=dict)
    schema_sources: dict[str, str] = field(default_factory=dict)
    registry: NameRegistry = field(default_factory=NameRegistry)
    tags: dict[str, set[str]] = field(default_factory=dict)
    servers: list[dict[str, Any]] = field(default_factory=list)
    report: Report = field(default_factory=Report)
    read_only: dict[str, Reviewed] = field(default_factory=dict)  # reviewed exceptions (readonly.py)
    pacing: dict[str, tuple[str, ...]] = field(default_factory=dict)  # reviewed patterns (pacing.py)

    def add_document(self, doc: Document, ours: bool = False) -> None:
        """Add every operation of one page's OpenAPI document.

        `ours`: a page of our own (openapi/pages/), added after GeWe's: an operation GeWe's pages
        already define keeps GeWe's page, and the report says so.
        """
        try:
            self._add(doc, ours)
        except _SHAPE_ERRORS as exc:
            raise SpecError(doc.source, f"unexpected page structure ({type(exc).__name__}: {exc})") from None

    def _add(self, doc: Document, ours: bool) -> None:
        source, body = doc.source, doc.body
        for server in body.get("servers") or []:
            if isinstance(server, dict) and server.get("url") and server not in self.servers:
                self.servers.append(server)
        for path, path_item in body["paths"].items():
            names = derive(source, str(path))
            if not isinstance(path_item, dict):
                raise SpecError(source, f"path {path!r} is not a mapping")
            for method in sorted(m for m in path_item if m in METHODS):
                operation = path_item[method]
                if not isinstance(operation, dict):
                    raise SpecError(source, f"{method.upper()} {path} is not a mapping")
                if ours and (str(path), method) in self.operations:
                    self.report.replaced.append((source, self.operations[(str(path), method)].source))
                    continue
                operation = with_path_parameters(operation, path_item.get("parameters"))
                where = Where(f"{method.upper()} {path}")

                def warn(at: Where, message: str, source: str = source) -> None:
                    self.report.warn(source, str(at), message)

                normalized = normalize_operation(
                    source, operation, names, body.get("components"), warn=warn, where=where
                )
                normalized.operation[EXTENSION] = decide(f"{names.module}.{names.operation}", self.read_only)
                paced = pacing.decide(f"{names.module}.{names.operation}", self.pacing)
                if paced is not None:
                    normalized.operation[pacing.EXTENSION] = paced
                self._add_operation(source, str(path), method, names, normalized)

    def _add_operation(
        self, source: str, path: str, method: str, names: OperationNames, normalized: Normalized
    ) -> None:
        what = f"{method.upper()} {path}"
        first = self.operations.get((path, method))
        if first is not None:
            # The same page exported twice (or copied into two folders) is harmless.
            if first.normalized != normalized:
                raise SpecError(source, f"{what} is already defined differently in {first.source}")
            return
        self.registry.claim_operation(names, what, source)
        for name in normalized.schemas:
            self.registry.claim("model", name, what, source)
            self.schema_sources[name] = source
        self.operations[(path, method)] = _Owned(source, names, normalized)
        self.report.operations[names.module] += 1
        name = f"{names.module}.{names.operation}"
        if normalized.operation[EXTENSION]:
            self.report.retried.append(name)
        if name in self.read_only:
            self.report.reviewed[name] = self.read_only[name]
        descriptions = self.tags.setdefault(names.module, set())
        if normalized.tag_description:
            descriptions.add(normalized.tag_description)

    def spec(self) -> dict[str, Any]:
        """The bundled document; every list in it is in an order that does not depend on page order."""
        paths: dict[str, dict[str, Any]] = {}
        schemas: dict[str, Any] = {}
        for (path, method), owned in sorted(self.operations.items()):
            paths.setdefault(path, {})[method] = owned.normalized.operation
            schemas.update(owned.normalized.schemas)
        servers = sorted(self.servers, key=lambda s: json.dumps(s, sort_keys=True, ensure_ascii=False))
        # The reviewed exceptions go into the spec whole, so that the SDK knows them even for an
        # operation it has no page for (a call through `client.invoke`); see readonly.py.
        reviewed = {name: entry.read_only for name, entry in sorted(self.read_only.items())}
        return {
            "openapi": "3.0.3",
            **({EXTENSION: reviewed} if reviewed else {}),
            **({pacing.EXTENSION: {k: list(v) for k, v in self.pacing.items()}} if self.pacing else {}),
            "info": {"title": TITLE, "version": VERSION, "description": DESCRIPTION},
            "servers": servers or [DEFAULT_SERVER],
            "tags": [
                {"name": t, **({"description": "; ".join(sorted(d))} if d else {})}
                for t, d in sorted(self.tags.items())
            ],
            "paths": paths,
            "components": {"schemas": dict(sorted(schemas.items())), "securitySchemes": SECURITY_SCHEMES},
        }

    def culprit(self, location: Iterable[Any]) -> str | None:
        """The page behind a location in the bundled spec (a validator error's path), if known."""
        parts = [str(p) for p in location]
        if len(parts) >= 3 and parts[0] == "paths":
            owned = self.operations.get((parts[1], parts[2]))
            if owned is None:  # the error is about the path item as a whole
                owned = next((o for (p, _), o in sorted(self.operations.items()) if p == parts[1]), None)
            return owned.source if owned else None
        if len(parts) >= 3 and parts[:2] == ["components", "schemas"]:
            return self.schema_sources.get(parts[2])
        return None


def _where(location: list[Any]) -> str:
    """A validator error's location, readable: "POST /gewe/v2/api/x/y parameters/0"."""
    parts = [str(p) for p in location]
    if len(parts) >= 3 and parts[0] == "paths":
        return " ".join([parts[2].upper(), parts[1], "/".join(parts[3:])]).strip()
    return "/".join(parts) or "the document"


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """The innermost errors under a validator error (its own self when it has none)."""
    if not error.context:
        yield error
    for sub in error.context or []:
        yield from _leaves(sub)


def _explain(error: ValidationError) -> tuple[list[Any], str]:
    """The location and message that say most about a validator error.

    "is not valid under any of the given schemas" says little; the deepest sub-error says more
    (and several enum sub-errors at one place are one message: "'x' is not one of [...]").
    """
    leaves = list(_leaves(error))
    depth = max(len(e.absolute_path) for e in leaves)
    deepest = [e for e in leaves if len(e.absolute_path) == depth]
    first = deepest[0]
    enums = [e for e in deepest if e.validator == "enum" and e.absolute_path == first.absolute_path]
    if first.validator == "enum" and len(enums) > 1:
        allowed = sorted({str(v) for e in enums for v in e.validator_value})
        message = f"{first.instance!r} is not one of {allowed}"
    else:
        message = " ".join(first.message.split())
    if len(message) > 300:
        message = message[:297] + "..."
    return list(first.absolute_path), message


def _validate(spec: dict[str, Any], bundler: Bundler, exports: Path) -> None:
    """openapi-spec-validator over the bundle; an error names the page it came from."""
    try:
        validate(spec)
    except OpenAPIValidationError as exc:
        location, message = _explain(exc)
        source = bundler.culprit(list(exc.absolute_path)) or str(exports)
        raise SpecError(
            source, f"not valid OpenAPI after normalization, at {_where(location)}: {message}"
        ) from None


def our_pages(exports: Path) -> Path | None:
    """Our own pages for `exports`: the `pages` folder beside it (openapi/pages/ beside
    openapi/exports/), when there is one."""
    folder = exports.parent / "pages"
    return folder if exports.name == "exports" and folder.is_dir() else None


def bundle(
    exports: Path,
    notice: Callable[[str], None] = lambda _: None,
    report: Report | None = None,
    read_only: Path | None = None,
    pages: Path | bool | None = True,
) -> dict[str, Any]:
    """The normalized spec for every page below `exports`. Raises SpecError on bad input.

    `report`, if given, collects the counts and warnings of the run (see report.py). `read_only`
    is the file of reviewed read-only exceptions (default: openapi/read-only.yml; readonly.py).
    `pages` is the folder of our own pages (True: `our_pages(exports)`; None or False: none); they
    are bundled after GeWe's, and an operation both define keeps GeWe's page.
    """
    bundler = Bundler(
        report=report if report is not None else Report(),
        read_only=load_exceptions(read_only),
        pacing=pacing.load_rules(),
    )
    ours = our_pages(exports) if pages is True else (pages or None)
    seen: set[str] = set()
    for folder, is_ours in [(exports, False), *([(ours, True)] if ours is not None else [])]:
        for item in read_exports(folder):
            if isinstance(item, str):
                notice(f"skip: {item}: no OpenAPI block (guide page)")
                bundler.report.guide_pages.append(item)
                seen.add(item)
            else:
                bundler.add_document(item, ours=is_ours)
                seen.add(item.source)
    bundler.report.pages = len(seen)
    if not bundler.operations:
        raise SpecError(
            str(exports), "no OpenAPI page found (a spec without endpoints would empty the client)"
        )
    spec = bundler.spec()
    _validate(spec, bundler, exports)
    return spec


def dump(spec: dict[str, Any]) -> str:
    """Byte-stable YAML: sorted keys, no line wrapping, literal blocks, unicode kept readable."""
    return yamlio.dump(spec)


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` in one step, so a failure never leaves a half-written spec."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp makes a private (0600) file; the spec keeps the mode it had, or gets an ordinary one.
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
