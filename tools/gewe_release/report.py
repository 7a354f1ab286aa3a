"""One change found between the base and the working tree, and the Markdown report of all of them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

BREAKING, COMPATIBLE = "breaking", "compatible"
SPEC, API = "spec", "api"


@dataclass(frozen=True, order=True)
class Change:
    """One line of the report.

    `check` is the rule's id (oasdiff's check names at the spec level, griffe's breakage kinds or
    our model-field checks at the Python level); `subject` names the operation or the model or
    function; `field` gives the field in both spellings ("`chatroomId` / `chatroom_id`") or is
    empty; `text` says what happened.
    """

    level: str  # SPEC or API
    severity: str  # BREAKING or COMPATIBLE
    check: str
    subject: str
    field: str
    text: str

    @property
    def breaking(self) -> bool:
        return self.severity == BREAKING

    def line(self) -> str:
        field = f" {self.field}" if self.field else ""
        return f"- **{self.severity}** `{self.check}` {self.subject}:{field} {self.text}"


def both_spellings(wire: str, python: str) -> str:
    """A field named the way the API spells it and the way Python does (once if they agree)."""
    return f"`{wire}`" if wire == python else f"`{wire}` / `{python}`"


def is_breaking(changes: Iterable[Change]) -> bool:
    return any(c.breaking for c in changes)


@dataclass(frozen=True)
class Report:
    """Everything `make diff` says: what was compared, the changes, and notes (levels skipped...)."""

    base: str  # e.g. "v0.1.0 (3f2a1bc)"
    spec_changes: Sequence[Change]
    api_changes: Sequence[Change]
    notes: Sequence[str] = ()
    base_sha256: str = ""
    now_sha256: str = ""

    @property
    def changes(self) -> list[Change]:
        return [*self.spec_changes, *self.api_changes]

    @property
    def breaking(self) -> bool:
        return is_breaking(self.changes)

    @property
    def breaking_changes(self) -> list[Change]:
        return [c for c in self.changes if c.breaking]

    def markdown(self, version_line: str = "") -> str:
        """The report as Markdown; "no changes" in it when nothing changed."""
        out = [f"# Changes since {self.base}", ""]
        if self.base_sha256 or self.now_sha256:
            out += [f"openapi/gewe.yaml sha256: base `{self.base_sha256}`, now `{self.now_sha256}`", ""]
        out += [f"> {note}" for note in self.notes]
        if self.notes:
            out.append("")
        if not self.changes:
            out.append("no changes")
        else:
            verdict = BREAKING if self.breaking else COMPATIBLE
            n_breaking = len(self.breaking_changes)
            out.append(f"**{verdict}**: {n_breaking} breaking, {len(self.changes) - n_breaking} compatible")
        if version_line:
            out += ["", version_line]
        for title, changes in (
            ("Spec (openapi/gewe.yaml)", self.spec_changes),
            ("Python API (gewe, gewe_api)", self.api_changes),
        ):
            if changes:
                out += ["", f"## {title}", "", *(c.line() for c in sort_changes(changes))]
        return "\n".join(out) + "\n"


def sort_changes(changes: Iterable[Change]) -> list[Change]:
    """Breaking first, then by subject and field, so the report reads the same on every run."""
    return sorted(
        set(changes), key=lambda c: (not c.breaking, c.level != SPEC, c.subject, c.field, c.check, c.text)
    )
