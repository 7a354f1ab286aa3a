"""Hand-written refinements of generated resource classes, found by convention.

`client.<module>` is declared once per module of the spec, by the generated `Resources` /
`AsyncResources` mixins, and made from the class their `resource_class(module, generated)` gives.
The clients' `resource_class` is `refined` below: a module `gewe/resources/<module>.py` that defines
`<Module>Resource` and/or `Async<Module>Resource` (the generated class names, e.g. `GroupResource`)
replaces the generated class for `client.<module>`. That file is all it takes: nothing else has to
change, `client.py` least of all. Each class subclasses its generated twin, so the generated
signatures stay the source of truth and mypy flags any drift after a regeneration. Only operations
where a richer result adds real value live here.

An override that cannot be imported against the current spec (it refines an operation the spec
no longer has, so its generated model is gone) is skipped with a warning: the module still works,
with its generated methods.

A type checker sees the generated class, since generated code never imports hand-written code.
For the shipped overrides, whose helpers (`client.message.send_image`, ...) must type-check,
`Modules`/`AsyncModules` re-declare the attribute with the override's type, made the same way.
"""

from __future__ import annotations

import importlib
import logging
import re
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from gewe_api.api import MODULES, AsyncResources, Resources

if TYPE_CHECKING:
    from .group import AsyncGroupResource, GroupResource
    from .login import AsyncLoginResource, LoginResource
    from .message import AsyncMessageResource, MessageResource

logger = logging.getLogger("gewe")
_R = TypeVar("_R")


def refined(module: str, generated: type[_R]) -> type[_R]:
    """The class for `client.<module>`: the override by convention if there is one, else `generated`."""
    name = generated.__name__
    qualified = f"{__name__}.{module}"
    try:
        override = importlib.import_module(qualified)
    except ModuleNotFoundError as exc:
        if exc.name == qualified:
            return generated
        return _skipped(qualified, exc, generated)
    except ImportError as exc:  # it imports a model or operation the current spec lacks
        return _skipped(qualified, exc, generated)
    found = getattr(override, name, None)
    if found is None:
        return generated
    if not (isinstance(found, type) and issubclass(found, generated)):
        raise TypeError(f"{qualified}.{name} must subclass {generated.__module__}.{name}")
    return found


def _skipped(qualified: str, exc: ImportError, generated: type[_R]) -> type[_R]:
    logger.warning("override %s skipped, it does not fit the current spec: %s", qualified, exc)
    return generated


class ModuleNotInSpecError(AttributeError):
    """`client.<module>` for a module the spec this SDK was generated from has no pages for.

    An AttributeError (so `hasattr` and `getattr(client, name, default)` keep working) whose
    message names the module and says how to add its pages.
    """

    def __init__(self, client: str, module: str, modules: tuple[str, ...]) -> None:
        self.module = module
        super().__init__(
            f"{client} has no module {module!r}: the spec this SDK was generated from has no page for "
            f"any operation of it (it has: {', '.join(modules) or 'none'}). Add its pages (GeWe's "
            f"under openapi/exports/{module}/, e.g. with `make pull`, or your own under "
            f"openapi/pages/{module}/), then `make spec generate`; or call one operation by its path "
            f'with client.invoke("{module}.<operation>", "/gewe/v2/api/{module}/<operation>", body, None)',
            name=module,
        )


_LOOKS_LIKE_MODULE = re.compile(r"^[a-z][a-z0-9]*$")


class _Lookup:
    """What both clients' modules share: the convention lookup, and the error for a missing module."""

    def resource_class(self, module: str, generated: type[_R]) -> type[_R]:
        return refined(module, generated)

    def _declared(self, module: str) -> Any:
        """`client.<module>` as the generated mixin makes it (for the re-declarations below)."""
        for base in type(self).__mro__:
            if base in (Resources, AsyncResources) and module in base.__dict__:
                return base.__dict__[module].__get__(self, type(self))
        raise ModuleNotInSpecError(type(self).__name__, module, MODULES)

    if not TYPE_CHECKING:  # invisible to type checkers: a misspelt attribute stays an error there

        def __getattr__(self, name: str) -> Any:  # only for names the class does not have
            if _LOOKS_LIKE_MODULE.match(name):
                raise ModuleNotInSpecError(type(self).__name__, name, MODULES)
            message = f"{type(self).__name__!r} object has no attribute {name!r}"
            raise AttributeError(message, name=name, obj=self)


class Modules(_Lookup, Resources):
    """`GeweClient`'s modules: every module of the spec, refined by convention."""

    @cached_property
    def group(self) -> GroupResource:
        return self._declared("group")  # type: ignore[no-any-return]

    @cached_property
    def login(self) -> LoginResource:
        return self._declared("login")  # type: ignore[no-any-return]

    @cached_property
    def message(self) -> MessageResource:
        return self._declared("message")  # type: ignore[no-any-return]


class AsyncModules(_Lookup, AsyncResources):
    """`AsyncGeweClient`'s modules: every module of the spec, refined by convention."""

    @cached_property
    def group(self) -> AsyncGroupResource:
        return self._declared("group")  # type: ignore[no-any-return]

    @cached_property
    def login(self) -> AsyncLoginResource:
        return self._declared("login")  # type: ignore[no-any-return]

    @cached_property
    def message(self) -> AsyncMessageResource:
        return self._declared("message")  # type: ignore[no-any-return]
