"""Read a generated `gewe_api` package (and the hand-written layer's errors and overrides) from source.

Everything comes from the files' syntax trees, nothing is imported: the reference can be written for
any generated package, wherever it sits, even one whose imports would fail, and reading it has no
side effects. What is read is what openapi-python-client and our templates write:

- `api/__init__.py`: `MODULES` and the `CallOptions` TypedDict (the per-call options);
- `api/<module>/__init__.py`: `OPERATIONS` (method -> operation id and path), the `<X>Resource` and
  `Async<X>Resource` classes, each method's signature and Google-style docstring, and the request
  model each method builds (`_<name>_request()` returns it);
- `models/*.py`: attrs models (fields from the `Attributes:` docstring and annotations, wire names from
  `from_dict`'s `d.pop("wireName", ...)`) and enums.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path


class ApiDocError(Exception):
    """The package does not have the shape the reference is read from."""


@dataclass(frozen=True)
class Param:
    name: str
    annotation: str
    default: str | None  # source text; None: required
    description: str = ""


@dataclass
class Method:
    name: str
    params: list[Param]
    returns: str
    summary: str
    details: list[str]
    operation: str = ""
    path: str = ""
    request_model: str = ""
    fills: dict[str, str] = field(default_factory=dict)  # argument -> request model field
    is_async: bool = False
    override: str = ""  # the hand-written module that refines it, e.g. "gewe/resources/group.py"
    override_returns: str = ""


@dataclass(frozen=True)
class Helper:
    """A hand-written method of a module (gewe/resources/<module>.py) with no operation of its own."""

    name: str
    signature: str  # the arguments after `self`, as written
    returns: str
    doc: str
    source: str  # e.g. "gewe/resources/message.py"


@dataclass
class Module:
    name: str
    methods: list[Method] = field(default_factory=list)
    async_methods: set[str] = field(default_factory=set)
    helpers: list[Helper] = field(default_factory=list)


@dataclass(frozen=True)
class ModelField:
    name: str
    wire: str
    annotation: str
    required: bool
    description: str


@dataclass
class Model:
    name: str
    module: str  # file stem
    fields: list[ModelField] = field(default_factory=list)
    members: list[tuple[str, str]] = field(default_factory=list)  # enums: (NAME, value source)
    enum_base: str = ""


@dataclass
class Api:
    modules: list[Module]
    models: dict[str, Model]
    options: list[Param]


def _parse(path: Path) -> ast.Module:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError) as exc:
        raise ApiDocError(f"{path}: cannot read it: {exc}") from None


def _text(node: ast.expr | None) -> str:
    return "" if node is None else ast.unparse(node).replace("builtins.", "")


def _sections(doc: str) -> tuple[list[str], dict[str, dict[str, str]]]:
    """A Google-style docstring: its free text lines, and {"Args": {name: description}, ...}."""
    free: list[str] = []
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    last, entry_indent = "", -1
    for raw in doc.splitlines():
        line = raw.strip()
        header = re.fullmatch(r"(Args|Attributes|Returns|Raises):", line)
        if header:
            current = sections.setdefault(header.group(1), {})
            last, entry_indent = "", -1
            continue
        if current is None:
            free.append(line)
            continue
        indent = len(raw) - len(raw.lstrip())
        entry = re.match(r"^([A-Za-z_][\w.\[\], |]*?)(?: \(([^)]*)\))?:(?: (.*))?$", line)
        if entry and (entry_indent < 0 or indent <= entry_indent):
            last, entry_indent = entry.group(1), indent
            current[last] = (entry.group(3) or "").strip()
        elif last and line:
            current[last] = f"{current[last]} {line}".strip()
    while free and not free[-1]:
        free.pop()
    return free, sections


def _docstring(node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    return ast.get_docstring(node, clean=True) or ""


def _literal(tree: ast.Module, name: str) -> object:
    """The value of the module-level assignment to `name` (a literal), None if there is none."""
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            try:
                return ast.literal_eval(value)
            except ValueError:
                raise ApiDocError(f"{name} is not a literal: {ast.unparse(value)[:80]}") from None
    return None


def read_options(api_init: Path) -> list[Param]:
    """The `CallOptions` TypedDict's keys, types and descriptions."""
    tree = _parse(api_init)
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "CallOptions":
            _, sections = _sections(_docstring(node))
            described = sections.get("Attributes", {})
            return [
                Param(item.target.id, _text(item.annotation), "None", described.get(item.target.id, ""))
                for item in node.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
            ]
    return []


def _request_models(tree: ast.Module) -> dict[str, str]:
    """`_x_request` helper function -> the model class it imports and returns."""
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("_"):
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.module.startswith("models."):
                    found[node.name] = stmt.names[0].name
    return found


def _built_model(
    func: ast.FunctionDef | ast.AsyncFunctionDef, helpers: dict[str, str]
) -> tuple[str, dict[str, str]]:
    """The request model the method builds, and which of its fields each argument fills (an argument
    renamed in Python, `timeout_`, fills the model's `timeout`)."""
    for node in ast.walk(func):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Call):
            inner = node.func.func
            if isinstance(inner, ast.Name) and inner.id in helpers:
                fills = {}
                for kw in node.keywords:
                    names = [n.id for n in ast.walk(kw.value) if isinstance(n, ast.Name) and n.id != "self"]
                    if kw.arg and names:
                        fills[names[0]] = kw.arg
                return helpers[inner.id], fills
    return "", {}


def _params(func: ast.FunctionDef | ast.AsyncFunctionDef, described: dict[str, str]) -> list[Param]:
    args = func.args
    positional = [a for a in args.posonlyargs + args.args if a.arg != "self"]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    pairs = list(zip(positional, defaults, strict=True)) + list(
        zip(args.kwonlyargs, args.kw_defaults, strict=True)
    )
    params = [
        Param(a.arg, _text(a.annotation), _text(d) if d is not None else None, described.get(a.arg, ""))
        for a, d in pairs
    ]
    if args.kwarg is not None:
        params.append(Param(f"**{args.kwarg.arg}", _text(args.kwarg.annotation), "", ""))
    return params


def _method(
    func: ast.FunctionDef | ast.AsyncFunctionDef, helpers: dict[str, str], options: set[str]
) -> Method:
    free, sections = _sections(_docstring(func))
    summary = free[0] if free else ""
    summary = re.sub(r"\s*\(`[A-Z]+ [^`]*`\)$", "", summary)
    details = free[1:]
    while details and not details[0]:
        details.pop(0)
    params = [p for p in _params(func, sections.get("Args", {})) if p.name not in options]
    request_model, fills = _built_model(func, helpers)
    return Method(
        name=func.name,
        params=params,
        returns=_text(func.returns),
        summary=summary,
        details=details,
        request_model=request_model,
        fills=fills,
        is_async=isinstance(func, ast.AsyncFunctionDef),
    )


def _resource_methods(cls: ast.ClassDef, helpers: dict[str, str], options: set[str]) -> list[Method]:
    return [
        _method(node, helpers, options)
        for node in cls.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_")
    ]


def read_module(path: Path, name: str, options: set[str]) -> Module:
    tree = _parse(path)
    operations = _literal(tree, "OPERATIONS") or {}
    if not isinstance(operations, dict):
        raise ApiDocError(f"{path}: OPERATIONS is not a dict")
    helpers = _request_models(tree)
    module = Module(name)
    for node in tree.body:
        if not (isinstance(node, ast.ClassDef) and node.name.endswith("Resource")):
            continue
        methods = _resource_methods(node, helpers, options)
        if node.name.startswith("Async"):
            module.async_methods |= {m.name for m in methods}
            continue
        for method in methods:
            method.operation, method.path = operations.get(method.name, ("", ""))
        module.methods += methods
    return module


def apply_overrides(module: Module, override: Path, shown_as: str) -> None:
    """Note the methods a hand-written `gewe/resources/<module>.py` refines, with its return type."""
    if not override.is_file():
        return
    tree = _parse(override)
    by_name = {m.name: m for m in module.methods}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and not node.name.startswith("Async"):
            for func in node.body:
                if isinstance(func, ast.FunctionDef) and func.name in by_name:
                    by_name[func.name].override = shown_as
                    by_name[func.name].override_returns = _text(func.returns)
                elif isinstance(func, ast.FunctionDef) and not func.name.startswith("_"):
                    args = ast.unparse(func.args).removeprefix("self, ").removeprefix("self")
                    doc = ast.get_docstring(func) or ""
                    module.helpers.append(Helper(func.name, args, _text(func.returns), doc, shown_as))


def _wire_names(cls: ast.ClassDef) -> dict[str, str]:
    """python name -> wire name, from `name = d.pop("wire", ...)` in `from_dict`."""
    found: dict[str, str] = {}
    for node in ast.walk(cls):
        target, value = None, None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        if (
            isinstance(target, ast.Name)
            and isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr == "pop"
            and value.args
            and isinstance(value.args[0], ast.Constant)
            and isinstance(value.args[0].value, str)
        ):
            found.setdefault(target.id, value.args[0].value)
    return found


def read_model(path: Path) -> list[Model]:
    tree = _parse(path)
    models = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        model = Model(node.name, path.stem)
        bases = [_text(b) for b in node.bases]
        if any(b.endswith("Enum") for b in bases):
            model.enum_base = bases[0]
            model.members = [
                (t.id, _text(item.value))
                for item in node.body
                if isinstance(item, ast.Assign)
                for t in item.targets
                if isinstance(t, ast.Name)
            ]
        else:
            _, sections = _sections(_docstring(node))
            described = sections.get("Attributes", {})
            wire = _wire_names(node)
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    name = item.target.id
                    if name == "additional_properties":
                        continue
                    model.fields.append(
                        ModelField(
                            name,
                            wire.get(name, ""),
                            _text(item.annotation),
                            item.value is None,
                            described.get(name, ""),
                        )
                    )
        models.append(model)
    return models


def read_package(package: Path, overrides: Path | None = None) -> Api:
    """The whole API of the generated package at `package` (a `gewe_api` folder).

    `overrides`: the hand-written `gewe` package folder, whose `resources/<module>.py` may refine methods.
    """
    api_init = package / "api" / "__init__.py"
    modules_found = _literal(_parse(api_init), "MODULES")
    if not isinstance(modules_found, tuple):
        raise ApiDocError(f"{api_init}: no MODULES tuple")
    options = read_options(api_init)
    option_names = {p.name for p in options}
    modules = []
    for name in sorted(modules_found):
        module = read_module(package / "api" / name / "__init__.py", name, option_names)
        if overrides is not None:
            apply_overrides(module, overrides / "resources" / f"{name}.py", f"gewe/resources/{name}.py")
        modules.append(module)
    models: dict[str, Model] = {}
    for path in sorted((package / "models").glob("*.py")):
        if path.name != "__init__.py":
            for model in read_model(path):
                models[model.name] = model
    return Api(modules, dict(sorted(models.items())), options)


@dataclass(frozen=True)
class ErrorClass:
    name: str
    bases: tuple[str, ...]
    summary: str


def read_errors(errors_py: Path) -> list[ErrorClass]:
    """The exception classes of the hand-written `gewe/errors.py`, in source order."""
    if not errors_py.is_file():
        return []
    found = []
    for node in _parse(errors_py).body:
        if isinstance(node, ast.ClassDef) and node.name.endswith("Error"):
            doc = _docstring(node).split("\n\n", 1)[0]
            found.append(ErrorClass(node.name, tuple(_text(b) for b in node.bases), " ".join(doc.split())))
    return found
