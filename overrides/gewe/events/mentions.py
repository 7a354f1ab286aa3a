"""@-mentions in message text: WeChat writes each as `@<display name>` followed by U+2005."""

from __future__ import annotations

from collections.abc import Iterable

MENTION_END = "\u2005"  # FOUR-PER-EM SPACE, after every @name
_LONGEST_NAME = 64


def strip_leading_mentions(text: str, names: Iterable[str] | None = None) -> str:
    """`text` without the @-mentions at its start (each `@name` + U+2005, spaces around them).

    With `names`, only mentions of those display names are removed (the first other one stops it).
    """
    wanted = None if names is None else {n.lstrip("@") for n in names}
    rest = text.lstrip(" ")
    while rest.startswith("@") and MENTION_END in rest:
        head, _, tail = rest.partition(MENTION_END)
        name = head[1:]
        if (
            not name
            or "\n" in name
            or len(name) > _LONGEST_NAME
            or (wanted is not None and name not in wanted)
        ):
            break
        rest = tail.lstrip(" ")
    return rest
