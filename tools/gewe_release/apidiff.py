"""Python API level: the public API of `gewe` and `gewe_api` in two source trees, compared with griffe.

griffe reads the sources statically (nothing is imported, so two versions of a package can be
compared in one process). Two things it does not see are added here:

- attrs models have no `__init__` in their source: `AttrsInit` (a griffe extension) gives each
  `@define`-style class the `__init__` attrs will generate, from its annotated fields (order,
  defaults, `init=False`, `kw_only`), so griffe's own checks catch a new required field, a removed
  one, a field that moved or became keyword-only.
- annotation types: `model_fields()` compares each model field's annotation, and says in both
  spellings (`chatroomId` / `chatroom_id`) which field was added, removed or changed.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import griffe

from .additions import additions
from .report import API, BREAKING, COMPATIBLE, Change, both_spellings

PACKAGES = ("gewe", "gewe_api")
ATTRS_DECORATORS = {"define", "frozen", "mutable", "attrs", "s", "dataclass"}


def _decorator_call(decorator: griffe.Decorator) -> tuple[str, Any]:
    """(name, expression) of a decorator: `_attrs_define` -> ("_attrs_define", expr)."""
    value = decorator.value
    func = value.function if isinstance(value, griffe.ExprCall) else value
    return str(func).rsplit(".", 1)[-1], value


def _is_attrs_decorator(name: str) -> bool:
    bare = name.lstrip("_")
    return bare in ATTRS_DECORATORS or (bare.startswith("attrs_") and bare[6:] in ATTRS_DECORATORS)


def _keyword(call: Any, name: str) -> str | None:
    """The source text of keyword argument `name` in a call expression, if given."""
    if not isinstance(call, griffe.ExprCall):
        return None
    for arg in call.arguments:
        if isinstance(arg, griffe.ExprKeyword) and arg.name == name:
            return str(arg.value)
    return None


@dataclass(frozen=True)
class ModelField:
    name: str
    annotation: str
    required: bool
    kw_only: bool


def attrs_fields(cls: griffe.Class) -> list[ModelField] | None:
    """The `__init__` fields of an attrs class, in order; None if `cls` is not an attrs class."""
    decorators = [_decorator_call(d) for d in cls.decorators]
    attrs = [value for name, value in decorators if _is_attrs_decorator(name)]
    if not attrs:
        return None
    class_kw_only = _keyword(attrs[0], "kw_only") == "True"
    fields = []
    for member in cls.members.values():
        if not isinstance(member, griffe.Attribute) or member.annotation is None:
            continue
        annotation = str(member.annotation)
        if annotation.startswith(("ClassVar", "typing.ClassVar")) or "property" in member.labels:
            continue
        value = member.value
        is_field_call = isinstance(value, griffe.ExprCall) and str(value.function).rsplit(".", 1)[-1].lstrip(
            "_"
        ) in {"field", "attrs_field", "attrib", "ib"}
        if is_field_call:
            if _keyword(value, "init") == "False":
                continue
            required = _keyword(value, "default") is None and _keyword(value, "factory") is None
            kw_only = class_kw_only or _keyword(value, "kw_only") == "True"
        else:
            required = value is None
            kw_only = class_kw_only
        fields.append(ModelField(member.name, annotation, required, kw_only))
    return fields


class AttrsInit(griffe.Extension):
    """Give attrs classes the `__init__` attrs generates, so griffe compares their parameters."""

    def on_class_members(self, *, cls: griffe.Class, **kwargs: Any) -> None:
        fields = attrs_fields(cls)
        if fields is None or "__init__" in cls.members:
            return
        params = [griffe.Parameter("self", kind=griffe.ParameterKind.positional_or_keyword)]
        for f in fields:
            kind = (
                griffe.ParameterKind.keyword_only if f.kw_only else griffe.ParameterKind.positional_or_keyword
            )
            params.append(
                griffe.Parameter(
                    f.name, annotation=f.annotation, kind=kind, default=None if f.required else "..."
                )
            )
        init = griffe.Function("__init__", parameters=griffe.Parameters(*params), returns="None")
        cls.set_member("__init__", init)


def load(package: str, root: Path) -> griffe.Object | griffe.Alias:
    """`package` as found in `root`/overrides and `root`/generated, read statically."""
    return griffe.load(
        package,
        search_paths=[root / "overrides", root / "generated"],
        allow_inspection=False,
        extensions=griffe.load_extensions(AttrsInit),
        resolve_aliases=False,
    )


def wire_names(*specs: Mapping[str, Any]) -> dict[str, str]:
    """snake_case name -> the API's spelling, for every property named in the specs' schemas."""
    from tools.gewe_spec.names import snake_case  # the project's naming (digits stay with their word)

    names: dict[str, str] = {}

    def walk(value: Any) -> None:
        if isinstance(value, Mapping):
            props = value.get("properties")
            if isinstance(props, Mapping):
                for key in props:
                    names.setdefault(snake_case(str(key)), str(key))
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for spec in specs:
        walk(spec)
    return names


def public_path(path: str) -> str:
    """`gewe_api.models.<module>.<Model>...` as users import it: `gewe_api.models.<Model>...`."""
    return re.sub(r"^(\w+\.models)\.\w+\.([A-Z]\w*)", r"\1.\2", path)


def _spell(python: str, wire: Mapping[str, str]) -> str:
    return both_spellings(wire.get(python, python), python)


def _classes(obj: griffe.Object | griffe.Alias, prefix: str = "") -> Iterator[griffe.Class]:
    """Every public class defined in a package (not re-exported aliases)."""
    for member in obj.members.values():
        if member.is_alias or not member.is_public:
            continue
        if isinstance(member, griffe.Class):
            yield member
        elif isinstance(member, griffe.Module):
            yield from _classes(member)


def model_fields(
    old: griffe.Object | griffe.Alias, new: griffe.Object | griffe.Alias, wire: Mapping[str, str]
) -> Iterator[Change]:
    """Model-field changes of attrs classes: added (required or optional), removed, type changed."""
    old_models = {c.path: f for c in _classes(old) if (f := attrs_fields(c)) is not None}
    new_models = {c.path: f for c in _classes(new) if (f := attrs_fields(c)) is not None}
    for path in sorted(old_models.keys() - new_models.keys()):
        yield Change(API, BREAKING, "model-removed", f"`{public_path(path)}`", "", "model class removed")
    for path in sorted(new_models.keys() - old_models.keys()):
        yield Change(API, COMPATIBLE, "model-added", f"`{public_path(path)}`", "", "model class added")
    for path in sorted(old_models.keys() & new_models.keys()):
        before = {f.name: f for f in old_models[path]}
        after = {f.name: f for f in new_models[path]}
        subject = f"`{public_path(path)}`"
        for name in sorted(before.keys() - after.keys()):
            yield Change(
                API, BREAKING, "model-field-removed", subject, f"field {_spell(name, wire)}", "removed"
            )
        for name in sorted(after.keys() - before.keys()):
            if after[name].required:
                yield Change(
                    API,
                    BREAKING,
                    "model-required-field-added",
                    subject,
                    f"field {_spell(name, wire)}",
                    "added, required",
                )
            else:
                yield Change(
                    API,
                    COMPATIBLE,
                    "model-optional-field-added",
                    subject,
                    f"field {_spell(name, wire)}",
                    "added, optional",
                )
        for name in sorted(before.keys() & after.keys()):
            a, b = before[name], after[name]
            if a.annotation != b.annotation:
                yield Change(
                    API,
                    BREAKING,
                    "model-field-type-changed",
                    subject,
                    f"field {_spell(name, wire)}",
                    f"type changed from `{a.annotation}` to `{b.annotation}`",
                )
            if a.required and not b.required:
                yield Change(
                    API,
                    COMPATIBLE,
                    "model-field-became-optional",
                    subject,
                    f"field {_spell(name, wire)}",
                    "became optional (has a default)",
                )


_K = griffe.BreakageKind
# What a breakage of a parameter says after "parameter `x` / `y`".
_PARAM_TEXT = {
    _K.PARAMETER_MOVED: "moved (calls that pass it by position break)",
    _K.PARAMETER_REMOVED: "was removed",
    _K.PARAMETER_CHANGED_KIND: "kind changed",
    _K.PARAMETER_CHANGED_DEFAULT: "default changed",
    _K.PARAMETER_CHANGED_REQUIRED: "is now required",
    _K.PARAMETER_ADDED_REQUIRED: "was added as required",
}


def _breakage_change(breakage: griffe.Breakage, wire: Mapping[str, str]) -> Change:
    kind = breakage.kind
    check = kind.name.lower().replace("_", "-")
    param = next(
        (v for v in (breakage.new_value, breakage.old_value) if isinstance(v, griffe.Parameter)), None
    )
    field = f"parameter {_spell(param.name, wire)}" if param is not None else ""
    text = _PARAM_TEXT.get(kind) if param is not None else None
    text = text or kind.value[0].lower() + kind.value[1:]
    shown_by: dict[griffe.BreakageKind, Callable[[Any], str]] = {
        _K.PARAMETER_CHANGED_KIND: lambda v: v.kind.value if v.kind else "?",
        _K.PARAMETER_CHANGED_DEFAULT: lambda v: str(v.default),
        _K.RETURN_CHANGED_TYPE: str,
        _K.ATTRIBUTE_CHANGED_TYPE: str,
        _K.OBJECT_CHANGED_KIND: lambda v: v.kind.value,
        _K.CLASS_REMOVED_BASE: str,
    }
    shown = shown_by.get(kind)
    if shown is not None:
        details = [
            f"{label} `{shown(value)}`"
            for label, value in (("was", breakage.old_value), ("now", breakage.new_value))
            if value is not None
        ]
        text += f" ({', '.join(details)})" if details else ""
    return Change(API, BREAKING, check, f"`{public_path(breakage.obj.path)}`", field, text)


def _said_by_model_fields(breakage: griffe.Breakage, models: set[str]) -> bool:
    """Breakages of attrs models that `model_fields` reports better (with both spellings)."""
    obj, kind = breakage.obj, breakage.kind
    parent = obj.parent.path if obj.parent is not None else ""
    if kind is griffe.BreakageKind.OBJECT_REMOVED:
        return parent in models and isinstance(obj, griffe.Attribute)
    removed_or_added = {griffe.BreakageKind.PARAMETER_REMOVED, griffe.BreakageKind.PARAMETER_ADDED_REQUIRED}
    return kind in removed_or_added and obj.name == "__init__" and parent in models


def diff_apis(old_root: Path, new_root: Path, wire: Mapping[str, str]) -> tuple[list[Change], list[str]]:
    """(changes, notes) between the packages in two source trees (each with overrides/, generated/)."""
    changes: list[Change] = []
    notes: list[str] = []
    for package in PACKAGES:
        objects = []
        for label, root in (("base", old_root), ("working tree", new_root)):
            try:
                objects.append(load(package, root))
            except (ImportError, OSError, SyntaxError) as exc:
                notes.append(
                    f"Python API level skipped for `{package}`: cannot read it in the {label} ({exc})"
                )
                break
        if len(objects) != 2:
            continue
        old, new = objects
        models = {c.path for c in _classes(old) if attrs_fields(c) is not None}
        with contextlib.suppress(griffe.AliasResolutionError, griffe.CyclicAliasError):
            for breakage in griffe.find_breaking_changes(old, new):
                if not _said_by_model_fields(breakage, models):
                    changes.append(_breakage_change(breakage, wire))
        changes.extend(model_fields(old, new, wire))
        models |= {c.path for c in _classes(new) if attrs_fields(c) is not None}
        # what no breakage check reports: additions (new generated modules are the spec level's to say)
        changes.extend(additions(old, new, models, public_path, new_modules=package == "gewe"))
    return changes, notes
