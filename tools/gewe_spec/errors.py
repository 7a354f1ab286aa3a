"""The one error the spec pipeline raises for bad input."""

from __future__ import annotations


class SpecError(Exception):
    """A problem with an export page; `source` names the file (or the exports folder)."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem
