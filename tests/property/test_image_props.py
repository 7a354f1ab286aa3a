"""Properties of gewe.images.decode_image: it never fails with anything but a GeweError, and real images
survive any base64 spelling GeWe might send."""

from __future__ import annotations

import base64
import io
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage

from gewe.errors import GeweError, GeweImageError
from gewe.images import Image, decode_image

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")
B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def decode_or_error(value: Any) -> Image | GeweError:
    """decode_image's result, or the GeweError it raised; any other exception fails the test."""
    try:
        return decode_image(value)
    except GeweError as exc:
        return exc


@given(st.text())
def test_arbitrary_text_gives_an_image_or_a_gewe_error(text: str) -> None:
    result = decode_or_error(text)
    assert isinstance(result, Image | GeweImageError)


@given(st.text(alphabet=B64_ALPHABET + "=\n\r\t :;,datimgepnjfbs/"))
def test_base64_like_text_gives_an_image_or_a_gewe_error(text: str) -> None:
    result = decode_or_error(text)
    assert isinstance(result, Image | GeweImageError)


@given(st.binary())
def test_arbitrary_bytes_give_an_image_or_a_gewe_error(raw: bytes) -> None:
    result = decode_or_error(raw)
    assert isinstance(result, Image | GeweImageError)


@given(st.sampled_from((*SIGNATURES, b"RIFF\x00\x00\x00\x00WEBP")), st.binary())
def test_bytes_with_an_image_signature_decode_to_exactly_those_bytes(signature: bytes, tail: bytes) -> None:
    raw = signature + tail
    result = decode_or_error(base64.b64encode(raw).decode("ascii"))
    assert isinstance(result, Image)
    assert result.data == raw


@given(st.binary().filter(lambda raw: not raw.startswith((*SIGNATURES, b"RIFF"))))
def test_base64_of_non_image_bytes_is_always_refused(raw: bytes) -> None:
    assert isinstance(decode_or_error(base64.b64encode(raw).decode("ascii")), GeweImageError)


@st.composite
def real_images(draw: st.DrawFn) -> tuple[bytes, str]:
    """A real image made by Pillow, in a random format, size, mode and colour."""
    fmt = draw(st.sampled_from(sorted(FORMATS)))
    size = (draw(st.integers(1, 48)), draw(st.integers(1, 48)))
    mode = draw(st.sampled_from(["RGB", "L"]))
    colour = draw(st.integers(0, 255)) if mode == "L" else draw(st.tuples(*[st.integers(0, 255)] * 3))
    buffer = io.BytesIO()
    PILImage.new(mode, size, colour).save(buffer, format=fmt)
    return buffer.getvalue(), FORMATS[fmt]


@st.composite
def spellings(draw: st.DrawFn, raw: bytes) -> str:
    """base64 of `raw` the way a server might send it: wrapped, unpadded, in a data URI."""
    text = base64.b64encode(raw).decode("ascii")
    if draw(st.booleans()):
        text = text.rstrip("=")
    width = draw(st.sampled_from([0, 1, 4, 60, 64, 76]))
    if width:
        newline = draw(st.sampled_from(["\n", "\r\n", " "]))
        text = newline.join(text[i : i + width] for i in range(0, len(text), width))
    if draw(st.booleans()):
        declared = draw(st.sampled_from(["image/jpg", "image/jpeg", "image/png", "application/octet-stream"]))
        text = f"data:{declared};base64,{text}"
    return draw(st.sampled_from(["", " ", "\n"])) + text + draw(st.sampled_from(["", "\n", "  "]))


@settings(deadline=None)
@given(st.data(), real_images())
def test_real_images_round_trip(data: st.DataObject, image: tuple[bytes, str]) -> None:
    raw, mime_type = image
    decoded = decode_image(data.draw(spellings(raw)))
    assert decoded.data == raw
    assert decoded.mime_type == mime_type
    assert decode_image(decoded.data_uri) == decoded
    assert decode_image(base64.b64encode(raw)) == decoded
