"""Hand-written refinements of generated resource classes, found by convention.

A module `gewe/resources/<module>.py` that defines `<Module>Resource` and/or
`Async<Module>Resource` (the generated class names, e.g. `GroupResource`) replaces the generated
resource for `client.<module>`: nothing else has to change, `client.py` least of all. Each class
subclasses its generated twin, so the generated signatures stay the source of truth and mypy flags
any drift after a regeneration. Only operations where a richer result adds real value live here.

An override that cannot be imported against the current spec (it refines an operation the spec
no longer has, so its generated model is gone) is skipped with a warning: the module still works,
with its generated methods.

For static typing, `Overrides`/`AsyncOverrides` declare the overridden modules' types (a line
each); at run time they are empty, and the lookup is by convention alone.
"""

from __future__ import annotations

import importlib
import logging
import re
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .group import AsyncGroupResource, GroupResource
    from .login import AsyncLoginResource, LoginResource
    from .message import AsyncMessageResource, MessageResource

logger = logging.getLogger("gewe")


def resource_class(module: str, is_async: bool) -> type[Any]:
    """The resource class for `module`: the override by convention if there is one, else generated."""
    generated = importlib.import_module(f"gewe_api.api.{module}")
    sync_name, async_name = _class_names(generated)
    name = async_name if is_async else sync_name
    default: type[Any] = getattr(generated, name)
    qualified = f"{__name__}.{module}"
    try:
        override = importlib.import_module(qualified)
    except ModuleNotFoundError as exc:
        if exc.name == qualified:
            return default
        return _skipped(qualified, exc, default)
    except ImportError as exc:  # it imports a model or operation the current spec lacks
        return _skipped(qualified, exc, default)
    found = getattr(override, name, None)
    if found is None:
        return default
    if not (isinstance(found, type) and issubclass(found, default)):
        raise TypeError(f"{qualified}.{name} must subclass gewe_api.api.{module}.{name}")
    return found


def _class_names(generated: Any) -> tuple[str, str]:
    """(sync, async) resource class names, as the generated module exports them."""
    names: tuple[str, ...] = generated.__all__
    async_name = next(n for n in names if n.startswith("Async") and n.endswith("Resource"))
    return async_name[len("Async") :], async_name


def _skipped(qualified: str, exc: ImportError, default: type[Any]) -> type[Any]:
    logger.warning("override %s skipped, it does not fit the current spec: %s", qualified, exc)
    return default


def _resource_property(module: str, is_async: bool) -> cached_property[Any]:
    def make(client: Any) -> Any:
        return resource_class(module, is_async)(client)

    make.__name__ = module
    make.__doc__ = f"The `{module}` module of the API."
    prop = cached_property(make)
    return prop


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


def install(client_class: type[Any], modules: tuple[str, ...], is_async: bool) -> None:
    """Give `client_class` a lazily created attribute per module that honours the overrides, and
    an error naming the module for one the spec lacks."""
    for module in modules:
        prop = _resource_property(module, is_async)
        setattr(client_class, module, prop)
        prop.__set_name__(client_class, module)

    def __getattr__(self: Any, name: str) -> Any:  # only for names the class does not have
        if _LOOKS_LIKE_MODULE.match(name):
            raise ModuleNotInSpecError(type(self).__name__, name, modules)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}", name=name, obj=self)

    client_class.__getattr__ = __getattr__


class Overrides:
    """The static types of the overridden modules of `GeweClient` (empty at run time)."""

    if TYPE_CHECKING:

        @property
        def group(self) -> GroupResource: ...

        @property
        def login(self) -> LoginResource: ...

        @property
        def message(self) -> MessageResource: ...


class AsyncOverrides:
    """The static types of the overridden modules of `AsyncGeweClient` (empty at run time)."""

    if TYPE_CHECKING:

        @property
        def group(self) -> AsyncGroupResource: ...

        @property
        def login(self) -> AsyncLoginResource: ...

        @property
        def message(self) -> AsyncMessageResource: ...
