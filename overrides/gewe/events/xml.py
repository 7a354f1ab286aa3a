"""The XML inside a push's `Content` and `MsgSource`: untrusted input, read with expat and the C
tree builder (`xml.etree.ElementTree.XML`), after refusing any DOCTYPE.

Every XML attack needs a document type declaration: entity declarations (billion laughs,
quadratic blowup), external entities and external DTDs can only be declared in one. A text that
contains `<!DOCTYPE` anywhere (even inside CDATA: refusing a real push's fields is cheaper than
reasoning about where it sits) is refused before it is parsed; without one, expat knows only the
five predefined entities and character references, and refuses any other entity reference as
undefined. The text is handed to expat as a `str`, so an `encoding=` in its declaration cannot
change how the parser sees these characters. Anything refused, and anything that does not parse,
is `XMLRefused` here. Parsing is linear in the text's size (expat, C tree builder; no recursion).
Readers below never raise: a missing element or attribute, or a number that is not one, is None.
"""

from __future__ import annotations

import math
from xml.etree.ElementTree import XML, Element, ParseError


class XMLRefused(Exception):
    """The text is not XML that may be read (broken, or with entities/DTDs): `.reason` says why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def parse_xml(text: str) -> Element:
    """The root element of `text`. Raises XMLRefused."""
    if "<!DOCTYPE" in text:
        raise XMLRefused("refused: it has a DOCTYPE (DTDs and entity declarations are never read)")
    try:
        root: Element = XML(text.strip())
    except ParseError as exc:
        raise XMLRefused(f"not well-formed XML ({exc})") from None
    except (ValueError, TypeError, RecursionError) as exc:  # e.g. an encoding declaration it cannot honour
        raise XMLRefused(f"unreadable XML ({type(exc).__name__})") from None
    return root


def element(root: Element | None, tag: str) -> Element | None:
    """`root` itself if it is a `<tag>`, else its first `<tag>` child, else the first one below."""
    if root is None:
        return None
    if root.tag == tag:
        return root
    found = root.find(tag)
    if found is None:
        found = next(root.iter(tag), None)
    return found


def _stripped(value: str | None) -> str | None:
    """`value` without surrounding white space; None if that leaves nothing."""
    return (value.strip() or None) if value is not None else None


def text(root: Element | None, path: str) -> str | None:
    """The stripped text at `path` below `root` (CDATA and entities decoded); None if empty or absent."""
    return _stripped(root.findtext(path)) if root is not None else None


def attr(el: Element | None, name: str) -> str | None:
    """The stripped attribute `name` of `el`; None if empty or absent."""
    return _stripped(el.get(name)) if el is not None else None


def to_int(value: str | None) -> int | None:
    """`value` as an int (exact, any size), or None when it is not a whole number."""
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def to_float(value: str | None) -> float | None:
    """`value` as a finite float, or None."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None
