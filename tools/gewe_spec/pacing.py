"""Which operations are paced as sends or downloads, decided once from `openapi/pacing.yml`.

The reviewed file lists, per profile (`send`, `download`), the "module.operation" patterns it
covers and why. `make spec` writes the answer into each matched operation of the spec
(`x-gewe-pacing: send|download`) and the patterns into its top level (for operations it has no
page for); `make generate` writes both into the package (`gewe_api/_pacing.py`), where
`gewe.pacing.profile_of` reads them. Nothing else decides which calls are paced.
"""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path
from typing import Any

from .errors import SpecError
from .readonly import load_reviewed

EXTENSION = "x-gewe-pacing"
RULES = Path(__file__).resolve().parents[2] / "openapi" / "pacing.yml"
PROFILES = ("send", "download")
_PATTERN = re.compile(r"^[a-z*][a-z0-9*]*\.[A-Za-z*][A-Za-z0-9*]*$")


def load_rules(path: Path | None = None) -> dict[str, tuple[str, ...]]:
    """profile -> its patterns; a SpecError naming the file when it is malformed (missing: none)."""
    path = path or RULES
    shape = f"{' / '.join(PROFILES)} to {{patterns, why}}"
    table = load_reviewed(path, shape)
    if not set(table) <= set(PROFILES):
        raise SpecError(str(path), f"expected a mapping of {shape}")
    out: dict[str, tuple[str, ...]] = {}
    for profile, entry in table.items():
        if (
            not isinstance(entry, dict)
            or set(entry) != {"patterns", "why"}
            or not isinstance(entry["why"], str)
            or not entry["why"].strip()
            or not isinstance(entry["patterns"], list)
            or not all(isinstance(p, str) and _PATTERN.match(p) for p in entry["patterns"])
        ):
            raise SpecError(
                str(path),
                f"{profile}: expected `patterns:` (module.operation, * allowed) and a non-empty `why`",
            )
        out[str(profile)] = tuple(entry["patterns"])
    return out


def decide(operation: str, rules: dict[str, tuple[str, ...]]) -> str | None:
    """The profile of "module.operation" (None: not paced); a SpecError if two profiles match."""
    found = [p for p, patterns in rules.items() if any(fnmatch.fnmatchcase(operation, x) for x in patterns)]
    if len(found) > 1:
        raise SpecError(str(RULES), f"{operation} matches both {found[0]} and {found[1]}")
    return found[0] if found else None


def _tuple(items: list[str]) -> str:
    inner = ", ".join(json.dumps(x) for x in items)
    return f"({inner},)" if len(items) == 1 else f"({inner})"


def render_module(spec: dict[str, Any]) -> str:
    """The source of `gewe_api/_pacing.py` for a bundled spec (without the generated-code mark)."""
    patterns = spec.get(EXTENSION) if isinstance(spec.get(EXTENSION), dict) else {}
    known: dict[str, str] = {}
    for path, item in (spec.get("paths") or {}).items():
        for op in item.values() if isinstance(item, dict) else ():
            if isinstance(op, dict) and isinstance(op.get(EXTENSION), str) and op.get("tags"):
                known[f"{op['tags'][0]}.{str(path).rsplit('/', 1)[-1]}"] = op[EXTENSION]
    rows = "".join(f"    {json.dumps(k)}: {json.dumps(v)},\n" for k, v in sorted(known.items()))
    pats = "".join(f"    {json.dumps(p)}: {_tuple(patterns[p])},\n" for p in PROFILES if p in patterns)
    return (
        '"""Which operations are paced as sends or downloads (the spec\'s x-gewe-pacing): `gewe.pacing`\n'
        'reads these. Decided at `make spec` (tools/gewe_spec/pacing.py, openapi/pacing.yml)."""\n\n'
        f"PATTERNS: dict[str, tuple[str, ...]] = {{\n{pats}}}\n\n"
        f"PACED: dict[str, str] = {{\n{rows}}}\n"
    )
