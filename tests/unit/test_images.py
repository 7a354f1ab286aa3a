"""gewe.images: decoding base64 image fields and saving them."""

from __future__ import annotations

import base64
import io
import os
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest
from PIL import Image as PILImage

from gewe import images
from gewe.errors import GeweError, GeweImageError
from gewe.images import Image, decode_image

FORMATS = {
    # Pillow format: (MIME type, extension)
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "GIF": ("image/gif", ".gif"),
    "WEBP": ("image/webp", ".webp"),
}


def make_image(fmt: str = "PNG", size: tuple[int, int] = (7, 5)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, (200, 30, 90)).save(buffer, format=fmt)
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --- decoding -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_bare_base64_of_each_format(fmt: str) -> None:
    raw = make_image(fmt)
    image = decode_image(b64(raw))
    assert image.data == raw
    assert (image.mime_type, image.extension) == FORMATS[fmt]


def test_login_style_data_uri_with_nonstandard_jpg() -> None:
    raw = make_image("JPEG")
    image = decode_image(f"data:image/jpg;base64,{b64(raw)}")
    assert image.data == raw
    assert image.mime_type == "image/jpeg"
    # The URI it gives back uses the standard type, not GeWe's "jpg".
    assert image.data_uri.startswith("data:image/jpeg;base64,")


def test_bytes_decide_the_type_not_the_data_uri() -> None:
    raw = make_image("PNG")
    image = decode_image(f"data:image/jpeg;base64,{b64(raw)}")
    assert image.mime_type == "image/png"
    assert image.extension == ".png"


@pytest.mark.parametrize(
    "prefix",
    ["data:image/png;base64,", "DATA:IMAGE/PNG;BASE64,", "data:;base64,", "data:image/png;charset=x;base64,"],
)
def test_data_uri_variants(prefix: str) -> None:
    raw = make_image("PNG")
    assert decode_image(prefix + b64(raw)).data == raw


@pytest.mark.parametrize(
    "uri",
    [f"data:image/png,{b64(make_image())}", f"data:image/png;base64{b64(make_image())}"],
    ids=["not-base64", "no-comma"],
)
def test_data_uri_that_is_not_base64_is_rejected(uri: str) -> None:
    with pytest.raises(GeweImageError, match="data: URI"):
        decode_image(uri)


def test_data_uri_round_trip() -> None:
    image = decode_image(b64(make_image("GIF")))
    assert decode_image(image.data_uri) == image


def test_whitespace_and_line_breaks_are_ignored() -> None:
    raw = make_image("PNG", (40, 40))
    text = b64(raw)
    wrapped = "\r\n".join(text[i : i + 76] for i in range(0, len(text), 76))
    messy = "  \n\t" + wrapped.replace("A", "A ", 3) + "\n  "
    assert decode_image(messy).data == raw
    assert decode_image(f"data:image/png;base64,\n{wrapped}\n").data == raw


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_padding_is_tolerated(fmt: str) -> None:
    # Pick a size whose encoding needs padding, so stripping it really changes the input.
    sizes = ((width, height) for width in range(1, 30) for height in range(1, 30))
    raw = next(raw for raw in (make_image(fmt, size) for size in sizes) if len(raw) % 3)
    text = b64(raw)
    assert text.endswith("=")
    assert decode_image(text.rstrip("=")).data == raw


def test_bytes_and_bytearray_input_are_base64_text() -> None:
    raw = make_image("WEBP")
    assert decode_image(b64(raw).encode("ascii")).data == raw
    assert decode_image(bytearray(b64(raw).encode("ascii"))).data == raw


@pytest.mark.parametrize(
    "text",
    [
        "iVBORw0KGgo!AAAA",  # '!' is not base64
        "iVBORw0K Ggo*",  # nor is '*'
        "iVBO=Rw0KGgo",  # padding in the middle
        "iVBORw0KGgoAA",  # 13 characters: no byte string encodes to that length
        "图片",  # non-ASCII text
        "iVBORw0KGgo-_",  # URL-safe alphabet is not accepted
    ],
)
def test_invalid_base64_is_a_gewe_image_error(text: str) -> None:
    with pytest.raises(GeweImageError, match="not valid base64"):
        decode_image(text)


def test_non_ascii_bytes_are_rejected() -> None:
    with pytest.raises(GeweImageError, match="non-ASCII"):
        decode_image(make_image("PNG"))  # raw image bytes, not base64 text


@pytest.mark.parametrize(
    "text", ["", "   \n", "====", "data:image/png;base64,", "data:image/png;base64,  =="]
)
def test_empty_input_is_rejected(text: str) -> None:
    with pytest.raises(GeweImageError, match="empty"):
        decode_image(text)


@pytest.mark.parametrize(
    "raw",
    [
        b"hello, world",
        b"\x89PN",  # a PNG signature cut short
        b"RIFF\x24\x00\x00\x00WAVEfmt ",  # RIFF, but audio
        b"GIF88a" + bytes(20),  # not a GIF version
        b"\x00" * 64,
    ],
)
def test_base64_of_non_image_bytes_is_rejected(raw: bytes) -> None:
    with pytest.raises(GeweImageError, match="not a JPEG, PNG, GIF or WebP"):
        decode_image(b64(raw))


@pytest.mark.parametrize("value", [None, 42, 3.5, ["iVBORw0KGgo="], {"qrBase64": "x"}, memoryview(b"iVBO")])
def test_non_str_input_is_a_gewe_image_error(value: Any) -> None:
    with pytest.raises(GeweImageError, match="must be a base64 str or bytes") as excinfo:
        decode_image(value)
    assert type(excinfo.value) is GeweImageError  # not a TypeError/ValueError in disguise


def test_errors_do_not_leak_low_level_exceptions() -> None:
    for bad in ["a", "ab=c", "\u00e9\u00e9\u00e9\u00e9", "data:", "data:,"]:
        with pytest.raises(GeweImageError) as excinfo:
            decode_image(bad)
        assert type(excinfo.value) is GeweImageError


# --- the Image value ----------------------------------------------------------------------------


def test_image_constructor_checks_the_bytes() -> None:
    raw = make_image("PNG")
    assert Image(raw) == decode_image(b64(raw))
    with pytest.raises(GeweImageError):
        Image(b"not an image")
    with pytest.raises(GeweImageError):
        Image(b"")
    with pytest.raises(GeweImageError):
        Image(bytearray(raw))  # type: ignore[arg-type]


def test_image_is_frozen_and_hashable() -> None:
    image = decode_image(b64(make_image()))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        image.data = b"x"  # type: ignore[misc]
    assert hash(image) == hash(Image(image.data))


def test_repr_shows_type_and_size_not_payload() -> None:
    raw = make_image("JPEG", (200, 200))
    text = repr(decode_image(b64(raw)))
    assert text == f"Image(mime_type='image/jpeg', size={len(raw)})"
    assert b64(raw)[:20] not in text


# --- saving -------------------------------------------------------------------------------------


def test_save_appends_the_extension_when_missing(tmp_path: Path) -> None:
    image = decode_image(b64(make_image("PNG")))
    written = image.save(tmp_path / "group-qr")
    assert written == tmp_path / "group-qr.png"
    assert written.read_bytes() == image.data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["group-qr.png"]


def test_save_keeps_an_existing_suffix(tmp_path: Path) -> None:
    image = decode_image(b64(make_image("JPEG")))
    written = image.save(tmp_path / "qr.jpeg")
    assert written == tmp_path / "qr.jpeg"
    assert written.read_bytes() == image.data


def test_save_accepts_a_str_and_returns_a_path(tmp_path: Path) -> None:
    image = decode_image(b64(make_image("WEBP")))
    written = image.save(str(tmp_path / "qr"))
    assert isinstance(written, Path)
    assert written == tmp_path / "qr.webp"
    assert written.read_bytes() == image.data


def test_save_replaces_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "qr.gif"
    target.write_bytes(b"old contents")
    image = decode_image(b64(make_image("GIF")))
    image.save(target)
    assert target.read_bytes() == image.data


def test_save_into_a_missing_folder_is_an_error_and_creates_nothing(tmp_path: Path) -> None:
    image = decode_image(b64(make_image()))
    with pytest.raises(GeweError, match="does not exist"):
        image.save(tmp_path / "nope" / "deeper" / "qr.png")
    assert list(tmp_path.iterdir()) == []


def test_save_onto_a_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "qr.png").mkdir()
    with pytest.raises(GeweError, match="is a folder"):
        decode_image(b64(make_image())).save(tmp_path / "qr.png")


@pytest.mark.parametrize("path", ["", ".", "/", ".."])
def test_save_to_a_path_without_a_file_name_is_an_error(path: str) -> None:
    with pytest.raises(GeweError, match="names no file"):
        decode_image(b64(make_image())).save(path)


@pytest.mark.parametrize("failing", ["replace", "fsync"])
@pytest.mark.parametrize("existing", [True, False])
def test_failed_save_leaves_target_unchanged_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str, existing: bool
) -> None:
    target = tmp_path / "qr.png"
    if existing:
        target.write_bytes(b"previous image")

    def boom(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(images.os, failing, boom)
    with pytest.raises(GeweError, match="No space left") as excinfo:
        decode_image(b64(make_image())).save(target)
    monkeypatch.undo()

    assert isinstance(excinfo.value.__cause__, OSError)
    if existing:
        assert target.read_bytes() == b"previous image"
        assert [p.name for p in tmp_path.iterdir()] == ["qr.png"]
    else:
        assert list(tmp_path.iterdir()) == []


def test_interrupted_save_removes_its_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(images.os, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        decode_image(b64(make_image())).save(tmp_path / "qr")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_saved_file_gets_normal_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        written = decode_image(b64(make_image())).save(tmp_path / "qr")
    finally:
        os.umask(old)
    assert written.stat().st_mode & 0o777 == 0o644  # not the 0o600 of a mkstemp file
