"""Helpers for the spec-pipeline tests: paths, running the pipeline, reading names out of a package.

Names are read from the generated sources with `ast`, without importing them, so one test process
can look at several generated `gewe_api` packages.
"""

from __future__ import annotations

import ast
import difflib
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tools import generate as generate_tool
from tools.gewe_spec import bundle, dump

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
EXPORTS = FIXTURES / "exports"
BAD = FIXTURES / "bad"
GOLDEN = FIXTURES / "golden" / "gewe.yaml"
REAL_EXPORTS = ROOT / "openapi" / "exports"
REAL_SPEC = ROOT / "openapi" / "gewe.yaml"
REAL_PACKAGE = ROOT / "generated" / "gewe_api"
# The regeneration test adds a page for a new endpoint in a module no real export has...
NEW_MODULE, NEW_OPERATION = "synthnew", "sendTextSns"
# ... and a reply field to the data of the first operation (by path) that has a data object.
NEW_FIELD = "synthExpireTime"


@dataclass(frozen=True)
class Generated:
    """A spec and the package generated from it."""

    spec: Path
    package: Path  # the gewe_api folder

    @property
    def root(self) -> Path:
        """The folder to put on sys.path to import this package."""
        return self.package.parent


@dataclass(frozen=True)
class Regeneration:
    """The real exports generated before and after adding a page and a reply field.

    `data_model` is the component of the data that got the new field (None if no operation of the
    real exports has a data object).
    """

    before: Generated
    after: Generated
    data_model: str | None


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def spec_text(exports: Path) -> str:
    """The bundled spec of `exports`, as `make spec` writes it."""
    return dump(bundle(exports))


def write_spec(exports: Path, dest: Path) -> Path:
    """Bundle `exports` into the file `dest` and return it."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(spec_text(exports), encoding="utf-8")
    return dest


def generate(spec: Path, out: Path, *extra: str) -> int:
    """Run tools/generate.py (in process; the generator itself is a subprocess)."""
    return generate_tool.main(["--spec", str(spec), "--out", str(out), *extra])


def generate_package(spec: Path, out: Path) -> Path:
    """Generate the package for `spec` into `out` (a folder named gewe_api), failing loudly."""
    rc = generate(spec, out)
    assert rc == 0, f"tools/generate.py failed for {spec}"
    return out


def copy_tree(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def diff_hint(expected: str, actual: str, name: str, limit: int = 60) -> str:
    """The first lines of a unified diff, for assertion messages."""
    lines = list(
        difflib.unified_diff(
            expected.splitlines(), actual.splitlines(), f"{name} (expected)", f"{name} (actual)", lineterm=""
        )
    )
    more = f"\n... {len(lines) - limit} more diff lines" if len(lines) > limit else ""
    return "\n".join(lines[:limit]) + more


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _string_tuple(module: ast.Module, name: str) -> tuple[str, ...]:
    """The value of a module-level `name = ("a", "b")` (or list, or annotated)."""
    for node in module.body:
        targets: list[ast.expr]
        if isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        elif isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        else:
            continue
        if value is not None and any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return tuple(ast.literal_eval(value))
    raise AssertionError(f"no {name} in module")


def _class(module: ast.Module, name: str) -> ast.ClassDef:
    for node in module.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return node
    raise AssertionError(f"no class {name}")


def class_fields(pkg: Path, module: str, cls: str) -> set[str]:
    """The annotated attributes of a generated model class."""
    tree = _parse(pkg / "models" / f"{module}.py")
    return {
        node.target.id
        for node in _class(tree, cls).body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }


def resource_methods(pkg: Path, tag: str, cls: str) -> set[str]:
    """The public methods of a module's resource class."""
    tree = _parse(pkg / "api" / tag / "__init__.py")
    return {
        node.name
        for node in _class(tree, cls).body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_")
    }


@dataclass(frozen=True)
class PackageNames:
    """Every name a user of a generated package relies on."""

    modules: frozenset[str]  # api modules, e.g. "group"
    functions: frozenset[str]  # e.g. "group.group_get_chatroom_qr_code"
    methods: frozenset[str]  # e.g. "group.get_chatroom_qr_code" (sync and async resources alike)
    models: frozenset[str]  # model classes, e.g. "GroupGetChatroomQrCodeData"
    model_modules: frozenset[str]  # e.g. "group_get_chatroom_qr_code_data"


def package_names(pkg: Path) -> PackageNames:
    """Read the names of a generated package from its sources."""
    api = pkg / "api"
    modules = frozenset(p.name for p in api.iterdir() if (p / "__init__.py").is_file())
    functions = frozenset(
        f"{m}.{f.stem}" for m in modules for f in (api / m).glob("*.py") if f.stem != "__init__"
    )
    methods: set[str] = set()
    for m in modules:
        pascal = "".join(part.capitalize() for part in m.split("_"))
        sync = resource_methods(pkg, m, f"{pascal}Resource")
        asynchronous = resource_methods(pkg, m, f"Async{pascal}Resource")
        assert sync == asynchronous, f"sync and async resources of {m} differ: {sync ^ asynchronous}"
        methods |= {f"{m}.{name}" for name in sync}
    models = frozenset(_string_tuple(_parse(pkg / "models" / "__init__.py"), "__all__"))
    model_modules = frozenset(p.stem for p in (pkg / "models").glob("*.py") if p.stem != "__init__")
    return PackageNames(modules, functions, frozenset(methods), models, model_modules)


@dataclass(frozen=True)
class SpecNames:
    """The names a normalized spec defines."""

    operation_ids: frozenset[str]
    schemas: frozenset[str]
    tags: frozenset[str]


def spec_names(spec: dict[str, Any]) -> SpecNames:
    operations = [op for item in spec["paths"].values() for op in item.values()]
    return SpecNames(
        operation_ids=frozenset(op["operationId"] for op in operations),
        schemas=frozenset(spec["components"]["schemas"]),
        tags=frozenset(t["name"] for t in spec["tags"]),
    )


def mypy_strict(root: Path, cache: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    """`mypy --strict` over `targets` (packages or files in `root`), run from `root`, not cached."""
    cmd = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", str(cache), *targets]
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)
