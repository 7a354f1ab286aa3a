r"""The API token: checked once when a client is made, and kept out of every message.

A token is sent as the `X-GEWE-TOKEN` header, so it must be a valid header value, and every way
it can leak into text must be redacted:

* `check_token` strips surrounding whitespace (a token read from a file keeps its newline) and
  rejects an empty token, one shorter than `MIN_TOKEN_LENGTH`, and one with spaces, control
  characters or non-ASCII characters, with a `GeweConfigError` that says what is wrong and the
  token's length, never the token. A short token is rejected rather than "redacted" inside
  unrelated words (`Connec***ion refused`).
* `Redactor` replaces the token in its raw, `repr`-escaped (`b'...'`), JSON-escaped (`\/`,
  `\u003d`), URL-encoded (`%3D` or `%3d`, any mix) and base64 (standard or URL-safe, at any
  offset inside a longer base64 text) forms, in strings and in nested dicts and lists at any
  depth, and in exception chains (`__cause__`/`__context__`). It takes several secrets: a client
  redacts its token and the password of a `base_url` like `http://user:pw@host`.
* `RedactingFilter`, installed on the `gewe` logger, redacts the tokens of every live client from
  each log record, so nothing logged under `gewe` carries one.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
import weakref
from typing import Any

from .errors import GeweConfigError

MIN_TOKEN_LENGTH = 8
REDACTED = "***"
TOO_DEEP = "… (nested too deeply)"


def check_token(token: object, source: str = "token") -> str:
    """The token with surrounding whitespace stripped; GeweConfigError if it cannot be one.

    `source` names where it came from ("token", "GEWE_TOKEN") for the message.
    """
    if not isinstance(token, str):
        raise GeweConfigError(f"the GeWe {source} must be a string, not {type(token).__name__}")
    stripped = token.strip()
    problem = None
    if not stripped:
        problem = "it is empty" if not token else "it is only whitespace"
    elif any(ch.isspace() for ch in stripped):
        problem = "it contains whitespace"
    elif any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in stripped):
        problem = "it contains a control character"
    elif not stripped.isascii():
        problem = "it contains non-ASCII characters"
    elif len(stripped) < MIN_TOKEN_LENGTH:
        problem = f"it is shorter than {MIN_TOKEN_LENGTH} characters"
    if problem is not None:
        raise GeweConfigError(
            f"the GeWe {source} is not a valid token: {problem} (length {len(token)})", setting="token"
        )
    return stripped


_BACKSLASHES = 8  # escaped up to three times over (JSON in JSON in JSON): \\\\\\\\u003d


def _spelling(secret: str) -> str:
    """A regex for `secret` with any of its characters escaped as JSON (`\\/`, `\\u003d`, up
    to 8 backslashes, any case), `repr` (`\\'`, `\\\\`) or URL (`%3D`, `%3d`) would escape it."""
    parts = []
    for ch in secret:
        alternatives = []  # the escapes first: a literal "%" must not stop "%25" half-way
        if ord(ch) < 0x80:
            hexed = "".join(f"[{h}{h.upper()}]" if h.isalpha() else h for h in f"{ord(ch):02x}")
            alternatives += [rf"\\{{1,{_BACKSLASHES}}}u00{hexed}", f"%{hexed}"]
            if ch in "\\'\"/":
                alternatives.append(rf"\\{{1,{_BACKSLASHES}}}" + re.escape(ch))
        else:
            alternatives.append("".join(f"%{b:02X}" for b in ch.encode()))
        alternatives.append(re.escape(ch))
        parts.append(f"(?:{'|'.join(alternatives)})")
    return "".join(parts)


def base64_fragments(secret: str) -> set[str]:
    """What `secret` looks like inside any base64 text (standard or URL-safe alphabet): for each of
    the three offsets it can start at, the characters that depend on its bytes alone."""
    raw = secret.encode()
    fragments = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw + b"\0\0").decode()
        fragment = encoded[-(-8 * offset // 6) : 8 * (offset + len(raw)) // 6]
        if len(fragment) >= MIN_TOKEN_LENGTH:
            fragments |= {fragment, fragment.translate(_URLSAFE)}
    return fragments


_URLSAFE = str.maketrans("+/", "-_")


class Redactor:
    """Replaces secrets, in all their spellings (see the module docstring), with `***`."""

    __slots__ = ("__weakref__", "_pattern", "reach")

    def __init__(self, *secrets: str) -> None:
        forms: list[str] = []
        #: the longest text one spelling can take (each character escaped with all backslashes)
        self.reach = max((len(s) * (_BACKSLASHES + 5) for s in secrets), default=0)
        for secret in secrets:
            if secret:
                forms.append(_spelling(secret))
                forms += sorted(map(re.escape, base64_fragments(secret)), key=len, reverse=True)
        self._pattern = re.compile("|".join(forms)) if forms else None

    def text(self, value: str) -> str:
        return value if self._pattern is None else self._pattern.sub(REDACTED, value)

    def head(self, text: str, size: int) -> str:
        """The first `size` characters of `text` redacted, redacting no more of it than that needs
        (a secret that crosses the cut is still redacted, never left half-shown)."""
        end = size + self.reach
        while True:
            redacted = self.text(text[:end])
            # Past len - reach, the window's cut may have split a secret: only what is before is safe.
            if end >= len(text) or len(redacted) - self.reach >= size:
                return redacted[:size]
            end *= 2

    def tail(self, text: str, size: int) -> str:
        """The last `size` characters of `text` redacted (as `head`, from the end)."""
        start = size + self.reach
        while True:
            redacted = self.text(text[-start:])
            if start >= len(text) or len(redacted) - self.reach >= size:
                return redacted[-size:] if size else ""
            start *= 2

    def value(self, value: Any, max_depth: int | None = None) -> Any:
        """`value` with the secret replaced in every string in it, at any depth (no recursion).

        With `max_depth`, containers nested deeper are replaced by the string `TOO_DEEP` (so the
        copy can be pickled and printed: Python's own recursion stops near 1,000 levels)."""
        if isinstance(value, str):
            return self.text(value)
        if not isinstance(value, dict | list):
            return value
        root: Any = {} if isinstance(value, dict) else []
        todo: list[tuple[Any, Any, int]] = [(value, root, 1)]
        while todo:
            source, target, depth = todo.pop()
            items = source.items() if isinstance(source, dict) else enumerate(source)
            for key, item in items:
                if isinstance(item, dict | list) and max_depth is not None and depth >= max_depth:
                    copied: Any = TOO_DEEP
                elif isinstance(item, dict | list):
                    copied = {} if isinstance(item, dict) else []
                    todo.append((item, copied, depth + 1))
                else:
                    copied = self.text(item) if isinstance(item, str) else item
                if isinstance(target, dict):
                    target[self.text(key) if isinstance(key, str) else key] = copied
                else:
                    target.append(copied)
        return root

    def exception(self, exc: BaseException) -> BaseException:
        """`exc` with the secret gone from its message and from its `__cause__`/`__context__` chain.

        Each exception in the chain gets its args redacted in place (so it keeps its class and
        attributes); one whose text still carries the secret after that is replaced in the chain
        by a `RedactedError` naming its type.
        """
        chain: list[BaseException] = []
        node: BaseException | None = exc
        while node is not None and all(node is not seen for seen in chain):
            chain.append(node)
            node.args = tuple(self.value(a) for a in node.args)
            node = node.__cause__ or node.__context__
        for node in chain:
            for attr in ("__cause__", "__context__"):
                linked = getattr(node, attr)
                if linked is not None and self.text(str(linked)) != str(linked):
                    stand_in = RedactedError(f"{type(linked).__name__}: {self.text(str(linked))}")
                    setattr(node, attr, stand_in)
        return exc


class RedactedError(Exception):
    """Stands in, in an exception chain, for an error whose text carried the token."""


class RedactingFilter(logging.Filter):
    """Redacts the tokens of every live client from the records of the logger it is on."""

    def __init__(self) -> None:
        super().__init__("gewe")
        self._lock = threading.Lock()
        self._redactors: weakref.WeakSet[Redactor] = weakref.WeakSet()

    def add(self, redactor: Redactor) -> None:
        with self._lock:
            self._redactors.add(redactor)

    def filter(self, record: logging.LogRecord) -> bool:
        redactors = list(self._redactors)
        if not redactors:
            return True
        message = record.getMessage()
        clean = message
        for redactor in redactors:
            clean = redactor.text(clean)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_filter = RedactingFilter()
logging.getLogger("gewe").addFilter(_filter)


def redactor_for(*secrets: str) -> Redactor:
    """A redactor for `secrets` (the token, ...), also registered with the `gewe` logger's filter."""
    redactor = Redactor(*secrets)
    _filter.add(redactor)
    return redactor
