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

`attributes(text, tag)` is the same reading for kinds that need one element's attributes only (an
image's `<img>`): one expat pass, same refusals, no tree; it gives the attributes of the element
`element(parse_xml(text), tag)` gives (a test holds the two readers to the same answers).
"""

from __future__ import annotations

import math
from xml.etree.ElementTree import XML, Element, ParseError
from xml.parsers.expat import ExpatError, ParserCreate


class XMLRefused(Exception):
    """The text is not XML that may be read (broken, or with entities/DTDs): `.reason` says why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def _refuse_doctype(text: str) -> None:
    if "<!DOCTYPE" in text:
        raise XMLRefused("refused: it has a DOCTYPE (DTDs and entity declarations are never read)")


def parse_xml(text: str) -> Element:
    """The root element of `text`. Raises XMLRefused."""
    _refuse_doctype(text)
    try:
        root: Element = XML(text.strip())
    except ParseError as exc:
        raise XMLRefused(f"not well-formed XML ({exc})") from None
    except (ValueError, TypeError, RecursionError) as exc:  # e.g. an encoding declaration it cannot honour
        raise XMLRefused(f"unreadable XML ({type(exc).__name__})") from None
    return root


def attributes(text: str, tag: str | None) -> dict[str, str] | None:
    """The attributes of `element(parse_xml(text), tag)` (of the root when `tag` is None), None
    when there is no such element. Raises XMLRefused as parse_xml does (the whole text is parsed).

    One expat pass with no Python handler: `dict.setdefault` keeps each element name's first
    attributes, in document order. Names are namespace-expanded as the tree builder's are, but
    spelled `uri}name`: never equal to a plain `tag` or attribute name (the only ones read). When
    `<tag` occurs at most once in the text, the first is the one `element` picks; when it occurs
    more often (a child may follow a deeper one), the tree is built and `element` asked.
    """
    if tag is not None and text.count("<" + tag) > 1:
        found = element(parse_xml(text), tag)
        return dict(found.attrib) if found is not None else None
    _refuse_doctype(text)
    firsts: dict[str, dict[str, str]] = {}
    if ":" in text or "xmlns" in text:  # prefixes or namespaces: expand and check them as the tree does
        parser = ParserCreate(namespace_separator="}", intern=None)
    else:  # neither: namespace processing would change nothing (and costs a tenth of the pass)
        parser = ParserCreate(intern=None)
    parser.StartElementHandler = firsts.setdefault
    try:
        parser.Parse(text.strip(), True)
    except ExpatError as exc:
        raise XMLRefused(f"not well-formed XML ({exc})") from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise XMLRefused(f"unreadable XML ({type(exc).__name__})") from None
    if tag is None:
        return next(iter(firsts.values()))  # the root's: the first element of a parsed document
    return firsts.get(tag)


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


def attr(el: Element | dict[str, str] | None, name: str) -> str | None:
    """The stripped attribute `name` of `el` (an element, or its attributes); None if empty or absent."""
    return _stripped(el.get(name)) if el is not None else None


def attr_values(attrs: dict[str, str] | None, names: tuple[str, ...]) -> tuple[str | None, ...]:
    """`attr(attrs, name)` for each of `names`, in one call (None for each when `attrs` is None)."""
    if attrs is None:
        return (None,) * len(names)
    get = attrs.get
    values = []
    for name in names:  # (a loop: cheaper than a comprehension here)
        value = get(name)
        values.append((value.strip() or None) if value is not None else None)
    return tuple(values)


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
