"""The one error `make pull` raises: a URL (or path) and what went wrong with it."""

from __future__ import annotations


class PullError(Exception):
    """A problem with one page, the index, or the exports folder; `where` names it."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem
