"""What `make spec` says about a run: pages read, guide pages skipped, operations per module, warnings.

Warnings are for pages that are understood but imperfect (a value of the wrong type, an example
that contradicts its schema, ...): each rule that changes or drops something the page said records
one, naming the page and the place (a JSON path). A warning is printed once, however often it is
recorded. Pages that cannot be understood are SpecErrors, never warnings.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .readonly import Reviewed


@dataclass(frozen=True, order=True)
class SpecWarning:
    """One warning: the page, where in it (a JSON path), and what was done."""

    source: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"warning: {self.source}: {self.where}: {self.message}"


@dataclass
class Report:
    """Collects what one bundling run did, for the summary `make spec` prints."""

    pages: int = 0
    guide_pages: list[str] = field(default_factory=list)
    operations: Counter[str] = field(default_factory=Counter)
    warnings: dict[SpecWarning, None] = field(default_factory=dict)  # insertion-ordered set
    retried: list[str] = field(default_factory=list)  # read-only operations, "module.operation"
    reviewed: dict[str, Reviewed] = field(default_factory=dict)  # reviewed exceptions applied
    replaced: list[tuple[str, str]] = field(default_factory=list)  # (our page, GeWe's page that won)

    def warn(self, source: str, where: str, message: str) -> None:
        self.warnings.setdefault(SpecWarning(source, where, message), None)

    def lines(self) -> list[str]:
        """The summary, one line each: counts, operations per module, then every warning once."""
        per_module = ", ".join(f"{m} {n}" for m, n in sorted(self.operations.items()))
        out = [
            f"read {plural(self.pages, 'page')} ({plural(len(self.guide_pages), 'guide page')} skipped), "
            f"{plural(sum(self.operations.values()), 'operation')} "
            f"in {plural(len(self.operations), 'module')}: {per_module}"
        ]
        out += self.read_only_lines()
        out += [
            f"ours replaced: {theirs} defines what {mine} does; GeWe's page is used"
            for mine, theirs in self.replaced
        ]
        out += [str(w) for w in self.warnings]
        if self.warnings:
            out.append(
                f"{plural(len(self.warnings), 'warning')} "
                "(the spec was written; see README 'Adding endpoints')"
            )
        return out

    def read_only_lines(self) -> list[str]:
        """The operations that will be retried after a timeout, per module, and the reviewed exceptions."""
        total = sum(self.operations.values())
        out = [f"retried after a timeout (read-only): {len(self.retried)} of {total} operations"]
        per_module: dict[str, list[str]] = {}
        for name in sorted(self.retried):
            module, _, operation = name.partition(".")
            per_module.setdefault(module, []).append(operation)
        out += [f"  {module}: {', '.join(ops)}" for module, ops in per_module.items()]
        for name, entry in sorted(self.reviewed.items()):
            verdict = "read-only" if entry.read_only else "never retried after a timeout"
            out.append(f"  reviewed: {name} is {verdict} (reviewed exception: {entry.why})")
        return out


def plural(n: int, word: str) -> str:
    """`1 page`, `2 pages`."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class Where:
    """A JSON path being built up while rules walk a page, e.g. `POST /x requestBody.example.proxyIp`."""

    __slots__ = ("parts",)

    def __init__(self, *parts: str) -> None:
        self.parts = parts

    def __truediv__(self, part: object) -> Where:
        return Where(*self.parts, str(part))

    def __str__(self) -> str:
        head, *rest = self.parts or ("",)
        return f"{head} {'.'.join(rest)}".strip() if rest else head
