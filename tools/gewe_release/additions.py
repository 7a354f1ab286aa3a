"""What griffe's breaking-change check leaves out: public objects and optional parameters that were
added. They break no caller, but they change what a version contains, so `make bump` must see them
(a compatible bump) and `make wheel` must not build them under the old version number.

Models and their fields are left to `model_fields()` (apidiff.py), which says them in both spellings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import griffe

from .report import API, COMPATIBLE, Change


def _public(obj: griffe.Object | griffe.Alias) -> dict[str, griffe.Object]:
    """Public members defined here (re-exported aliases are where they are defined)."""
    return {
        name: member
        for name, member in obj.members.items()
        if not member.is_alias and member.is_public and isinstance(member, griffe.Object)
    }


def _kind(obj: griffe.Object) -> str:
    return obj.kind.value  # "module", "class", "function", "attribute"


def additions(
    old: griffe.Object | griffe.Alias | None,
    new: griffe.Object | griffe.Alias,
    models: set[str],
    shown: Callable[[str], str],
    new_modules: bool = True,
) -> Iterator[Change]:
    """Public objects in `new` that `old` lacks, and optional parameters added to functions in both.

    `models`: the paths of attrs model classes, old and new (their additions are model_fields()'s);
    `shown`: turns a path into the one users import (apidiff.public_path); `new_modules`: whether to
    list what a module that is new brings (False for the generated package, whose new modules come
    from new operations and models, which the spec level reports).
    """
    before = _public(old) if old is not None else {}
    for name, member in sorted(_public(new).items()):
        if member.path in models:
            continue
        previous = before.get(name)
        if isinstance(member, griffe.Module):
            if previous is not None or new_modules:
                yield from additions(previous, member, models, shown, new_modules)
        elif previous is None:
            yield Change(
                API, COMPATIBLE, "object-added", f"`{shown(member.path)}`", "", f"{_kind(member)} added"
            )
        elif isinstance(member, griffe.Function) and isinstance(previous, griffe.Function):
            had = {p.name for p in previous.parameters}
            for param in member.parameters:
                if param.name not in had and param.default is not None:
                    yield Change(
                        API,
                        COMPATIBLE,
                        "parameter-added",
                        f"`{shown(member.path)}`",
                        f"`{param.name}`",
                        "added, optional",
                    )
        elif isinstance(member, griffe.Class) and isinstance(previous, griffe.Class):
            yield from additions(previous, member, models, shown, new_modules)
