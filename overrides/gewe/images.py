"""Base64 image fields, decoded and checked.

GeWe returns images (group QR codes, login QR codes) as base64 text, sometimes bare and sometimes as a
`data:` URI (the login QR comes as `data:image/jpg;base64,...`, with the non-standard `jpg`).
`decode_image` accepts both and returns an `Image`, whose type is read from the bytes themselves.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from pathlib import Path

from attrs import field, frozen

from .errors import GeweError, GeweImageError

__all__ = ["Image", "decode_image"]

# (MIME type, file extension) of each image type `_sniff` recognises.
_JPEG = ("image/jpeg", ".jpg")
_PNG = ("image/png", ".png")
_GIF = ("image/gif", ".gif")
_WEBP = ("image/webp", ".webp")

_BASE64_BODY = re.compile(r"[A-Za-z0-9+/]*")


def _sniff(data: bytes) -> tuple[str, str] | None:
    """The (MIME type, extension) that `data`'s magic bytes announce, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return _JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _PNG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return _GIF
    if len(data) >= 12 and data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return _WEBP
    return None


def _check_image(_instance: object, _attribute: object, data: bytes) -> None:
    """attrs validator: `data` must be bytes starting with a known image signature."""
    if not isinstance(data, bytes):
        raise GeweImageError(f"image data must be bytes, not {type(data).__name__}")
    if not data:
        raise GeweImageError("image data is empty")
    if _sniff(data) is None:
        raise GeweImageError(f"not a JPEG, PNG, GIF or WebP image (starts with {data[:8].hex(' ')})")


@frozen(repr=False)
class Image:
    """An image's bytes, known to be a JPEG, PNG, GIF or WebP.

    Build one with `decode_image`; `Image(data)` also works and checks the bytes the same way.
    """

    data: bytes = field(validator=_check_image)

    @property
    def _kind(self) -> tuple[str, str]:
        kind = _sniff(self.data)
        assert kind is not None  # guaranteed by the validator
        return kind

    @property
    def mime_type(self) -> str:
        """The MIME type read from the bytes: "image/jpeg", "image/png", "image/gif" or "image/webp"."""
        return self._kind[0]

    @property
    def extension(self) -> str:
        """The usual file extension, with its dot: ".jpg", ".png", ".gif" or ".webp"."""
        return self._kind[1]

    @property
    def data_uri(self) -> str:
        """The image as a standard `data:` URI, e.g. `data:image/jpeg;base64,/9j/...`."""
        return f"data:{self.mime_type};base64,{base64.b64encode(self.data).decode('ascii')}"

    def __repr__(self) -> str:
        return f"Image(mime_type={self.mime_type!r}, size={len(self.data)})"

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the image to `path` atomically and return the path written.

        When `path` has no suffix, the image's extension is appended ("qr" -> "qr.jpg"); a suffix that
        is present is kept as given. The bytes go to a temporary file in the same folder, which then
        replaces the target in one step, so the target is never left half-written: on failure the
        target is unchanged and the temporary file is removed.

        Raises:
            GeweError: the path names no file or is a folder, its folder does not exist (none is
                created), or the write failed (the OSError is chained).
        """
        target = Path(path)
        if not target.name or target.name == "..":
            raise GeweError(f"cannot save image to {str(path)!r}: it names no file")
        if not target.suffix:
            target = target.with_name(target.name + self.extension)
        folder = target.parent
        if not folder.is_dir():
            raise GeweError(f"cannot save image to {target}: folder {folder} does not exist")
        if target.is_dir():
            raise GeweError(f"cannot save image to {target}: it is a folder")
        try:
            _write_atomically(target, self.data)
        except OSError as exc:
            raise GeweError(f"cannot save image to {target}: {exc}") from exc
        return target


def _write_atomically(target: Path, data: bytes) -> None:
    """Write `data` to a fresh temporary file beside `target`, then move it onto `target`."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            # 0o666 minus the umask: the file gets the permissions a plain open() would give it.
            fd = os.open(temp, flags, 0o666)
        except FileExistsError:  # pragma: no cover - a 48-bit random name collided
            continue
        break
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _split_data_uri(text: str) -> str:
    """The base64 payload of a `data:[<type>][;params];base64,<payload>` URI."""
    header, comma, payload = text.partition(",")
    if not comma:
        raise GeweImageError("data: URI has no ',' before its payload")
    params = [part.strip().lower() for part in header[len("data:") :].split(";")[1:]]
    if "base64" not in params:
        raise GeweImageError("data: URI is not base64-encoded (';base64' is missing)")
    return payload


def decode_image(value: str | bytes) -> Image:
    """Decode a base64 image field into an `Image`.

    `value` is base64 text, as `str` or as ASCII `bytes`, either bare or as a `data:...;base64,` URI.
    Whitespace and line breaks anywhere are ignored, and missing `=` padding is tolerated. The image
    type comes from the decoded bytes' signature; a data URI's declared type is not trusted.

    Raises:
        GeweImageError: `value` is not str/bytes, is empty, is not valid base64, or does not decode to a
            JPEG, PNG, GIF or WebP image.
    """
    if isinstance(value, bytes | bytearray):
        try:
            text = bytes(value).decode("ascii")
        except UnicodeDecodeError:
            raise GeweImageError("image field is not base64 text (it holds non-ASCII bytes)") from None
    elif isinstance(value, str):
        text = value
    else:
        raise GeweImageError(f"image field must be a base64 str or bytes, not {type(value).__name__}")

    text = text.strip()
    if text[:5].lower() == "data:":
        text = _split_data_uri(text)
    body = "".join(text.split()).rstrip("=")  # str.split() drops the same characters as \s, faster
    if not body:
        raise GeweImageError("image field is empty")
    if not _BASE64_BODY.fullmatch(body):
        bad = next(ch for ch in body if not (ch.isascii() and (ch.isalnum() or ch in "+/")))
        raise GeweImageError(f"image field is not valid base64 (unexpected character {bad!r})")
    if len(body) % 4 == 1:
        raise GeweImageError("image field is not valid base64 (truncated: one character too many or too few)")
    try:
        data = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - excluded by the checks above
        raise GeweImageError(f"image field is not valid base64: {exc}") from None
    return Image(data)
