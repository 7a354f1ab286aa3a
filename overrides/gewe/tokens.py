"""The API token: checked once when a client is made, and kept out of every message.

A token is sent as the `X-GEWE-TOKEN` header, so it must be a valid header value, and every way
it can leak into text must be redacted:

* `check_token` strips surrounding whitespace (a token read from a file keeps its newline) and
  rejects an empty token, one shorter than `MIN_TOKEN_LENGTH`, and one with spaces, control
  characters or non-ASCII characters, with a `GeweConfigError` that says what is wrong and the
  token's length, never the token. A short token is rejected rather than "redacted" inside
  unrelated words (`Connec***ion refused`).
* `Redactor` replaces the token in its raw, `repr`-escaped (`b'...'`) and URL-encoded forms, in
  strings and in nested dicts and lists, and in exception chains (`__cause__`/`__context__`).
* `RedactingFilter`, installed on the `gewe` logger, redacts the tokens of every live client from
  each log record, so nothing logged under `gewe` carries one.
"""

from __future__ import annotations

import logging
import threading
import urllib.parse
import weakref
from typing import Any

from .errors import GeweConfigError

MIN_TOKEN_LENGTH = 8
REDACTED = "***"


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


def secret_forms(secret: str) -> tuple[str, ...]:
    """Every spelling of `secret` that can show up in text, longest first."""
    forms = {
        secret,
        repr(secret)[1:-1],
        repr(secret.encode("utf-8", "backslashreplace"))[2:-1],
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret, safe=""),
    }
    return tuple(sorted((f for f in forms if f), key=len, reverse=True))


class Redactor:
    """Replaces one secret, in all its spellings, with `***`."""

    __slots__ = ("__weakref__", "forms")

    def __init__(self, secret: str) -> None:
        self.forms = secret_forms(secret) if secret else ()

    def text(self, value: str) -> str:
        for form in self.forms:
            if form in value:
                value = value.replace(form, REDACTED)
        return value

    def value(self, value: Any) -> Any:
        """`value` with the secret replaced in every string in it, recursively."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value

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


def redactor_for(token: str) -> Redactor:
    """A redactor for `token`, also registered with the `gewe` logger's filter."""
    redactor = Redactor(token)
    _filter.add(redactor)
    return redactor
