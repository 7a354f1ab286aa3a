"""The code blocks of README.md (and the wheel's README) that tests run as they are written."""

from __future__ import annotations

import re
from pathlib import Path


def first_python_block(readme: Path, heading: str) -> str:
    """The first ```python block after `heading` (e.g. "## Receiving messages") in `readme`."""
    text = readme.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None, f"{readme}: no python block after {heading!r}"
    return match.group(1)
