"""What the READMEs state about the package is held to the package itself: the operations the wheel
carries (against the generated operation tables) and the error trees (against gewe.errors), so a
spec change or a new error class fails here until the prose says it too."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

from gewe import errors
from gewe.errors import GeweError
from gewe_api.api import MODULES

ROOT = Path(__file__).resolve().parents[2]
READMES = {
    "README.md": ROOT / "README.md",  # the repository's
    "overrides/README.md": ROOT / "overrides" / "README.md",  # the wheel's (PyPI's long description)
}
ERROR_CLASSES = {
    name: cls
    for name, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, GeweError) and not name.startswith("_")
}
# A line of a box-drawn tree: what precedes the name ("│   ├── "), then the class name.
TREE_LINE = re.compile(r"^(?P<lead>[ │├└─]*)(?P<name>Gewe\w+)")


def _spec_operations() -> dict[str, list[str]]:
    """module -> its operations as GeWe names them ("getChatroomQrCode")."""
    found: dict[str, list[str]] = {}
    for module in MODULES:
        table = importlib.import_module(f"gewe_api.api.{module}").OPERATIONS
        found[module] = sorted(operation.split(".", 1)[1] for operation, _ in table.values())
    return found


def _coverage_paragraph(text: str) -> str:
    """The paragraph that says how many operations in how many modules the wheel carries."""
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = " ".join(paragraph.split())
        if re.search(r"\bcarries \d+ operations in \d+ modules\b", paragraph):
            return paragraph
    raise AssertionError("no paragraph says 'carries <N> operations in <M> modules'")


@pytest.mark.parametrize("readme", sorted(READMES))
def test_the_operations_the_readme_names_are_the_specs(readme: str) -> None:
    paragraph = _coverage_paragraph(READMES[readme].read_text(encoding="utf-8"))
    operations = _spec_operations()
    count = re.search(r"\bcarries (\d+) operations in (\d+) modules\b", paragraph)
    assert count is not None
    assert (int(count.group(1)), int(count.group(2))) == (
        sum(len(ops) for ops in operations.values()),
        len(operations),
    ), paragraph
    named = {
        module: sorted(op.strip() for op in ops.split(","))
        for module, ops in re.findall(r"`(?:client\.)?(\w+)` \(([A-Za-z, ]+)\)", paragraph)
    }
    assert named == operations, paragraph


def _trees(text: str) -> list[list[str]]:
    """The lines of every error tree: from a line that starts with `GeweError` to the first blank
    line or code fence, its common indentation removed."""
    trees: list[list[str]] = []
    lines = text.splitlines()
    for at, line in enumerate(lines):
        if not re.match(r"\s*GeweError\b", line):
            continue
        indent = len(line) - len(line.lstrip())
        tree = []
        for row in lines[at:]:
            if not row.strip() or row.strip().startswith("```"):
                break
            tree.append(row[indent:])
        if len(tree) > 1:
            trees.append(tree)
    return trees


def _tree_sources() -> dict[str, str]:
    sources = {name: path.read_text(encoding="utf-8") for name, path in READMES.items()}
    sources["gewe/errors.py"] = errors.__doc__ or ""
    return sources


@pytest.mark.parametrize("source", sorted(_tree_sources()))
def test_each_error_tree_lists_every_error_class_under_its_parent(source: str) -> None:
    trees = _trees(_tree_sources()[source])
    assert len(trees) == 1, f"{source}: expected one error tree, found {len(trees)}"
    listed: set[str] = set()
    parents: list[tuple[int, str]] = []  # (depth, name) of the lines above
    for line in trees[0]:
        match = TREE_LINE.match(line)
        if match is None:
            continue  # a continuation of the line above
        name, depth = match["name"], len(match["lead"]) // 4
        assert name in ERROR_CLASSES, f"{source}: {name} is not a class in gewe.errors"
        while parents and parents[-1][0] >= depth:
            parents.pop()
        if parents:
            parent = parents[-1][1]
            assert issubclass(ERROR_CLASSES[name], ERROR_CLASSES[parent]), f"{source}: {name} under {parent}"
        else:
            assert name == "GeweError", f"{source}: the tree's root is {name}"
        parents.append((depth, name))
        listed.add(name)
    assert sorted(set(ERROR_CLASSES) - listed) == [], f"{source}: its error tree leaves these out"
