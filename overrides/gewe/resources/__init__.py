"""`client.<module>`, declared in one place: `Modules` / `AsyncModules`.

They are the generated `Resources` / `AsyncResources` (every module of the spec as a lazily created
attribute, `client.group`), with a property here for each module that has a hand-written
refinement in `gewe/resources/<module>.py`. A refinement subclasses its generated twin (e.g.
`GroupResource`), so the generated signatures stay the source of truth, mypy flags any drift after
a regeneration, and it sends through the client's `invoke` like every generated method. Only
operations where a richer result adds real value are refined.

A refinement that cannot be imported against the current spec (it refines an operation the spec no
longer has, so its generated model is gone) is skipped with a warning: the module still works, with
its generated methods.
"""

from __future__ import annotations

import importlib
import logging
from functools import cached_property
from typing import TYPE_CHECKING, Any

from gewe_api.api import AsyncResources, Resources

if TYPE_CHECKING:
    from .group import AsyncGroupResource, GroupResource

logger = logging.getLogger("gewe")


def _refined(client: Any, module: str, name: str) -> Any:
    """`gewe.resources.<module>.<name>(client)`, else the generated class when it does not fit the spec."""
    try:
        cls = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    except ImportError as exc:  # it imports a model or operation the current spec lacks
        logger.warning("override %s.%s skipped, it does not fit the current spec: %s", __name__, module, exc)
        cls = getattr(importlib.import_module(f"gewe_api.api.{module}"), name)
    return cls(client)


class Modules(Resources):
    """`GeweClient`'s modules: the generated ones, and the refined ones declared here."""

    @cached_property
    def group(self) -> GroupResource:
        refined: GroupResource = _refined(self, "group", "GroupResource")
        return refined


class AsyncModules(AsyncResources):
    """`AsyncGeweClient`'s modules: the generated ones, and the refined ones declared here."""

    @cached_property
    def group(self) -> AsyncGroupResource:
        refined: AsyncGroupResource = _refined(self, "group", "AsyncGroupResource")
        return refined
