"""Cheap construction of the frozen event classes, for `parse_event`'s hot path.

A frozen dataclass's `__init__` sets each field through `object.__setattr__` looked up by name,
which was most of a text push's parse after `json.loads`. `maker(cls)` returns a function that
takes the same arguments (by name, or by position in `dataclasses.fields(cls)` order, `kind` and
other non-init fields left out), with the same defaults, and sets each slot with its own
descriptor: the instance is the one `cls(**fields)` gives (a test holds every event class to that).
Only for slotted dataclasses without `__post_init__` (PingEvent keeps its `__init__`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_NO_VALUE: Any = object()


def _slot(cls: type, name: str) -> Any:
    """The slot descriptor that stores `name` on `cls`'s instances."""
    for klass in cls.__mro__:
        if name in getattr(klass, "__slots__", ()):
            return klass.__dict__[name]
    raise TypeError(f"{cls.__name__}.{name} is not a slot")


def maker(cls: type[T]) -> Callable[..., T]:
    """A function `(field, ...) -> cls` that builds `cls` as its `__init__` would, faster."""
    if not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__") or "__slots__" not in vars(cls):
        raise TypeError(f"{cls.__name__} is not a slotted dataclass without __post_init__")
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls, "_NO_VALUE": _NO_VALUE}
    params: list[str] = []
    body: list[str] = []
    for i, f in enumerate(dataclasses.fields(cls)):
        if f.name.startswith("_") or not f.name.isidentifier():
            raise TypeError(f"{cls.__name__}.{f.name}: a field name this maker cannot take")
        namespace[f"_set_{i}"] = _slot(cls, f.name).__set__
        value = f.name
        if f.default is not dataclasses.MISSING:
            namespace[f"_default_{i}"] = f.default
            default = f"_default_{i}"
        elif f.default_factory is not dataclasses.MISSING:
            namespace[f"_factory_{i}"] = f.default_factory
            default = "_NO_VALUE"
            body.append(f" if {value} is _NO_VALUE: {value} = _factory_{i}()")
        else:
            default = ""
        if f.init:
            params.append(f"{value}={default}" if default else value)
        elif default:
            body.insert(0, f" {value} = {default}")
        else:
            raise TypeError(f"{cls.__name__}.{f.name} has no value to set")
        body.append(f" _set_{i}(_o, {value})")
    source = f"def make({', '.join(params)}):\n _o = _new(_cls)\n" + "\n".join(body) + "\n return _o\n"
    exec(source, namespace)  # field names from our own classes, never from input
    make: Callable[..., T] = namespace["make"]
    make.__qualname__ = make.__name__ = f"make_{cls.__name__}"
    return make
