"""The hand-written API a user calls besides the operations, read from overrides/gewe with `ast`.

api.md documents the clients' own methods (`invoke`, `with_options`, `with_raw_response`, ...),
`gewe.events` (the receiver, `parse_event`, `set_callback`, every event class and its fields) and
`gewe.testing` (the fake GeWe, push factories, pytest fixtures) from their source: signatures as
written, the first paragraph of each docstring. Reading the source (not importing it) keeps
`make generate` independent of what is installed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .read import ApiDocError

WIDTH = 100


@dataclass(frozen=True)
class Doc:
    """A function, method, property or class: how to call it and what it does."""

    name: str
    code: str  # the signature (or `name: type` for a property), ready for a code block
    summary: str
    members: list[Doc] = field(default_factory=list)


@dataclass(frozen=True)
class EventClass:
    name: str
    kind: str | None  # the `kind` literal; None for the bases
    base: str
    fields: list[tuple[str, str]]  # its own fields, (name, type), in order
    summary: str


def _parse(path: Path) -> ast.Module:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), str(path))
    except (OSError, SyntaxError) as exc:
        raise ApiDocError(f"{path}: cannot read ({exc})") from None


def summary(node: ast.AST) -> str:
    """The first paragraph of a docstring, on one line."""
    kinds = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
    doc = ast.get_docstring(node) if isinstance(node, kinds) else None
    return " ".join((doc or "").split("\n\n", 1)[0].split())


def _arguments(args: ast.arguments, *, drop_self: bool) -> list[str]:
    out: list[str] = []
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    pairs = list(zip(positional, defaults, strict=True))
    if drop_self and pairs and pairs[0][0].arg in ("self", "cls"):
        pairs = pairs[1:]

    def one(arg: ast.arg, default: ast.expr | None) -> str:
        text = arg.arg + (f": {ast.unparse(arg.annotation)}" if arg.annotation else "")
        return text + (f" = {ast.unparse(default)}" if default is not None else "")

    out += [one(a, d) for a, d in pairs]
    if args.vararg is not None:
        out.append("*" + one(args.vararg, None))
    elif args.kwonlyargs:
        out.append("*")
    out += [one(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)]
    if args.kwarg is not None:
        out.append("**" + one(args.kwarg, None))
    return out


def call(prefix: str, args: list[str], returns: str | None) -> str:
    """`prefix(a, b) -> R`, one argument a line when longer than WIDTH."""
    tail = f" -> {returns}" if returns else ""
    one_line = f"{prefix}({', '.join(args)}){tail}"
    if len(one_line) <= WIDTH:
        return one_line
    return f"{prefix}(\n" + "".join(f"    {a},\n" for a in args) + f"){tail}"


def _function(node: ast.FunctionDef | ast.AsyncFunctionDef, prefix: str, *, method: bool) -> Doc:
    decorators = {ast.unparse(d) for d in node.decorator_list}
    if decorators & {"property", "cached_property", "functools.cached_property"}:
        returns = ast.unparse(node.returns) if node.returns else "Any"
        return Doc(node.name, f"{prefix}{node.name}: {returns}", summary(node))
    awaited = "await " if isinstance(node, ast.AsyncFunctionDef) else ""
    returns = ast.unparse(node.returns) if node.returns else None
    args = _arguments(node.args, drop_self=method and "staticmethod" not in decorators)
    return Doc(node.name, awaited + call(prefix + node.name, args, returns), summary(node))


def _find(tree: ast.Module, name: str) -> ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node
    return None


def read_class(
    path: Path, name: str, *, shown_as: str, members: Sequence[str] | None = None, init: bool = True
) -> Doc:
    """Class `name` of `path`: how it is made (its `__init__`), and its public methods and properties
    (`members`, in that order; all public ones when None), each shown on `shown_as` (e.g. "fake.")."""
    tree = _parse(path)
    node = _find(tree, name)
    if not isinstance(node, ast.ClassDef):
        raise ApiDocError(f"{path}: no class {name}")
    methods = {
        n.name: n
        for n in node.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        and (not n.name.startswith("_") or n.name in ("__aenter__", "__enter__"))
    }
    constructor = next(
        (n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None
    )
    if constructor is not None and init:
        code = call(name, _arguments(constructor.args, drop_self=True), None)
    elif init:  # a dataclass: its fields
        fields = [
            f"{n.target.id}: {ast.unparse(n.annotation)}"
            for n in node.body
            if isinstance(n, ast.AnnAssign)
            and isinstance(n.target, ast.Name)
            and not n.target.id.startswith("_")
        ]
        code = call(name, fields, None) if fields else name
    else:
        code = name
    wanted = list(members) if members is not None else [m for m in methods if not m.startswith("_")]
    docs = []
    for member in wanted:
        found = methods.get(member)
        if found is None:
            raise ApiDocError(f"{path}: {name} has no public {member}")
        docs.append(_function(found, shown_as, method=True))
    return Doc(name, code, summary(node), docs)


def read_functions(path: Path, names: Sequence[str], prefix: str = "") -> list[Doc]:
    """The module-level functions `names` of `path`."""
    tree = _parse(path)
    out = []
    for name in names:
        node = _find(tree, name)
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            raise ApiDocError(f"{path}: no function {name}")
        out.append(_function(node, prefix, method=False))
    return out


def public_functions(path: Path) -> list[str]:
    """The names of `path`'s public module-level functions, in source order."""
    return [
        n.name for n in _parse(path).body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")
    ]


_KIND = re.compile(r"""Literal\[['"]([a-z_]+)['"]\]""")


def read_events(models_py: Path) -> list[EventClass]:
    """Every event class of gewe/events/models.py with its `kind` and its own fields."""
    out = []
    for node in _parse(models_py).body:
        if not isinstance(node, ast.ClassDef) or not node.name.endswith("Event"):
            continue
        kind = None
        fields: list[tuple[str, str]] = []
        for item in node.body:
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                annotation = ast.unparse(item.annotation)
                if item.target.id == "kind":
                    match = _KIND.search(annotation)
                    kind = match.group(1) if match else None
                elif not item.target.id.startswith("_"):
                    fields.append((item.target.id, annotation))
        base = ast.unparse(node.bases[0]) if node.bases else ""
        out.append(EventClass(node.name, kind, base, fields, summary(node)))
    if not out:
        raise ApiDocError(f"{models_py}: no event classes")
    return out


# ----------------------------------------------------------------------------- rendering


def _member(title: str, doc: Doc) -> list[str]:
    return [
        f"### `{title}`",
        "",
        "```python",
        doc.code,
        "```",
        "",
        *([doc.summary, ""] if doc.summary else []),
    ]


def _class(title: str, doc: Doc, shown_as: str) -> list[str]:
    out = _member(title, doc)
    for m in doc.members:
        out += ["```python", m.code, "```", ""]
        if m.summary:
            out += [m.summary, ""]
    return out


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;") or " "


def render_handwritten(overrides: Path) -> list[str]:
    """The api.md sections for the clients' own methods, gewe.events and gewe.testing."""
    client_py = overrides / "client.py"
    events = overrides / "events"
    testing = overrides / "testing"
    out = [
        "## Client methods",
        "",
        "Besides one method per operation, both clients have these (`AsyncGeweClient`: the same, "
        "awaited where a call is made: `await client.invoke(...)`, `await client.with_raw_response(...)`).",
        "",
    ]
    base = read_class(
        overrides / "_base.py",
        "ClientBase",
        shown_as="client.",
        members=["app_id", "base_url", "with_options"],
    )
    sync = read_class(
        client_py, "GeweClient", shown_as="client.", members=["invoke", "with_raw_response", "close"]
    )
    for doc in [*base.members, *sync.members]:
        out += _member(f"client.{doc.name}", doc)
    out += [
        "## Receiving pushes: gewe.events",
        "",
        "`from gewe.events import Receiver, parse_event, set_callback, ...` (README: Receiving messages).",
        "",
    ]
    for doc in read_functions(events / "parse.py", ["parse_event"]):
        out += _member(f"gewe.events.{doc.name}", doc)
    receiver = read_class(events / "receiver.py", "Receiver", shown_as="receiver.")
    out += _class("gewe.events.Receiver", receiver, "receiver.")
    for path, names in (
        (events / "callback.py", ["set_callback", "callback_url"]),
        (events / "receiver.py", ["secret_path"]),
        (events / "dedup.py", ["dedup_key"]),
    ):
        for doc in read_functions(path, names):
            out += _member(f"gewe.events.{doc.name}", doc)
    for name in ("MemoryDedup", "RedisDedup"):
        out += _member(f"gewe.events.{name}", read_class(events / "dedup.py", name, shown_as="", members=[]))
    classes = read_events(events / "models.py")
    out += [
        "### `gewe.events.Event`",
        "",
        "`parse_event` returns one of these frozen classes (`Event` is their union); narrow with `match` "
        "on the class or on `.kind`. Every class has the fields of the classes it extends.",
        "",
        "| class | kind | extends | fields of its own |",
        "| --- | --- | --- | --- |",
    ]
    for ev in classes:
        own = ", ".join(f"`{n}: {t}`" for n, t in ev.fields)
        kind = f"`{ev.kind}`" if ev.kind else " "
        out.append(f"| `{ev.name}` | {kind} | `{ev.base}` | {_cell(own)} |")
    out += [
        "",
        "## Testing: gewe.testing",
        "",
        "`from gewe.testing import FakeGewe, pushes, run_bot` (README: Testing your bot).",
        "",
    ]
    fake = read_class(testing / "fake.py", "FakeGewe", shown_as="fake.")
    out += _class("gewe.testing.FakeGewe", fake, "fake.")
    for name in ("Call", "Delivery", "Fetch", "LoginFlow"):
        out += _member(f"gewe.testing.{name}", read_class(testing / "fake.py", name, shown_as="", members=[]))
    for doc in read_functions(testing / "run.py", ["run_bot"]):
        out += _member(f"gewe.testing.{doc.name}", doc)
    out += _class("gewe.testing.BotRun", read_class(testing / "run.py", "BotRun", shown_as="run."), "run.")
    pushes = read_functions(testing / "pushes.py", public_functions(testing / "pushes.py"), prefix="pushes.")
    out += ["### `gewe.testing.pushes`", "", summary(_parse(testing / "pushes.py")), "", "```python"]
    out += [p.code for p in pushes]
    out += ["```", ""]
    plugin = _parse(testing / "pytest_plugin.py")
    fixtures = [
        n
        for n in ast.walk(plugin)
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name.startswith("gewe_") and summary(n)
    ]
    out += [
        "### `gewe.testing.pytest_plugin`",
        "",
        summary(plugin),
        "",
        "| fixture | what it is |",
        "| --- | --- |",
    ]
    seen: set[str] = set()
    for n in fixtures:
        if n.name not in seen and not summary(n).startswith("Needs"):
            seen.add(n.name)
            out.append(f"| `{n.name}` | {_cell(summary(n))} |")
    return [*out, ""]
