"""Properties of gewe.tokens.Redactor: a token is gone from text in every spelling a server or a
library might give it — raw, repr, JSON-escaped (`\\/`, `\\u003d`, any case), percent-encoded (any
case, any mix) and base64 (standard or URL-safe, at any offset inside longer base64)."""

from __future__ import annotations

import base64
import json
import string

from hypothesis import given
from hypothesis import strategies as st

from gewe.envelope import mismatch
from gewe.tokens import REDACTED, Redactor

TOKEN_CHARS = "".join(c for c in string.printable if not c.isspace())
tokens = st.text(alphabet=TOKEN_CHARS, min_size=8, max_size=40)
# Text around a token that cannot itself be part of one of its spellings (tokens have no whitespace).
around = st.text(alphabet=" \t\n", max_size=10)


@st.composite
def spelled(draw: st.DrawFn, token: str) -> str:
    """`token` with each character left as it is or escaped as JSON, repr or a URL would."""
    out = []
    for ch in token:
        code = ord(ch)
        choices = [ch, f"\\u{code:04x}", f"\\u{code:04X}", f"%{code:02x}", f"%{code:02X}"]
        if ch in "\\'\"/":
            choices.append("\\" + ch)
        out.append(draw(st.sampled_from(choices)))
    return "".join(out)


@given(st.data(), tokens, around, around)
def test_any_mix_of_escapes_is_redacted_whole(
    data: st.DataObject, token: str, before: str, after: str
) -> None:
    form = data.draw(spelled(token))
    assert Redactor(token).text(before + form + after) == before + REDACTED + after


@given(tokens, around, around)
def test_library_spellings_are_redacted(token: str, before: str, after: str) -> None:
    redactor = Redactor(token)
    for form in (
        json.dumps(token)[1:-1],
        json.dumps(token).replace("/", "\\/")[1:-1],
        json.dumps(json.dumps(token))[1:-1],  # JSON inside a JSON string
        repr(token)[1:-1],
        repr(token.encode())[2:-1],
    ):
        assert token not in redactor.text(before + form + after), form
        assert REDACTED in redactor.text(before + form + after), form


@given(tokens, st.binary(max_size=7), st.binary(max_size=7), st.booleans())
def test_base64_at_any_offset_loses_the_token(token: str, head: bytes, tail: bytes, urlsafe: bool) -> None:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    encoded = encode(head + token.encode() + tail).decode()
    redacted = Redactor(token).text(encoded)
    assert REDACTED in redacted
    # What is left cannot give the token back: at most 2 characters of its bytes survive each side.
    leftover = redacted.replace(REDACTED, "")
    assert len(leftover) <= len(encoded) - (len(token) * 4 // 3 - 4)


@given(tokens, st.text(max_size=60))
def test_an_enum_value_is_redacted_before_it_is_shortened(token: str, pad: str) -> None:
    value = pad + token
    said = mismatch("data.x", value, "one of a, b", Redactor(token))
    assert token not in said and repr(token)[1:-1] not in said
    if len(repr(pad)) < 30:  # the token starts inside the 40 characters shown: redacted, not cut
        assert REDACTED in said


@given(
    tokens,
    st.lists(st.sampled_from(["a", "\\n", "tok", "%2F", "\\\\u00"]) | tokens, max_size=60),
    st.integers(min_value=0, max_value=300),
    st.data(),
)
def test_a_cut_text_is_redacted_as_the_whole_would_be(
    token: str, pieces: list[str], size: int, data: st.DataObject
) -> None:
    redactor = Redactor(token)
    spellings = [token, data.draw(spelled(token)), base64.b64encode(token.encode()).decode()]
    text = "".join(p if i % 3 else p + data.draw(st.sampled_from(spellings)) for i, p in enumerate(pieces))
    whole = redactor.text(text)
    assert redactor.head(text, size) == whole[:size]
    assert redactor.tail(text, size) == (whole[-size:] if size else "")
