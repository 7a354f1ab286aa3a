"""Reading and drawing QR codes; needs the optional `qr` extra (`pip install 'gewe-sdk[qr]'`).

zxing-cpp and Pillow are imported inside the functions, so `import gewe` works without them and only
these functions raise `GeweDependencyError` when they are missing.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, cast

from .errors import GeweDependencyError, GeweError, GeweImageError
from .images import Image

if TYPE_CHECKING:
    from typing_extensions import Buffer

__all__ = ["decode_qr_url", "render_qr_terminal"]

_INSTALL_HINT = "pip install 'gewe-sdk[qr]'"

# Terminal cell for a (top, bottom) pair of modules, True meaning "paint this half".
_HALF_BLOCKS = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}

# Quiet zone, in modules, around a terminal QR code (the QR specification asks for 4).
_QUIET_ZONE = 4


def _missing(purpose: str) -> GeweDependencyError:
    """The error for a missing optional module, naming the extra to install."""
    return GeweDependencyError(f"{purpose} needs the 'qr' extra (zxing-cpp and Pillow): {_INSTALL_HINT}")


def decode_qr_url(image: Image) -> str:
    """The text encoded in the QR code in `image` (for a group QR, `https://weixin.qq.com/g/...`).

    When the image holds several QR codes, the first one found is returned.

    Raises:
        GeweDependencyError: zxing-cpp or Pillow is not installed.
        GeweImageError: the image cannot be read, or holds no readable QR code.
    """
    try:
        import zxingcpp
        from PIL import Image as PILImage
        from PIL import UnidentifiedImageError
    except ImportError as exc:
        raise _missing("decoding a QR code") from exc

    try:
        with PILImage.open(io.BytesIO(image.data)) as picture:
            gray = picture.convert("L")  # also loads the pixels (first frame of a GIF/WebP)
    except (UnidentifiedImageError, OSError, ValueError, PILImage.DecompressionBombError) as exc:
        raise GeweImageError(f"cannot read the {image.mime_type} image: {exc}") from exc

    found = zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    if not found:
        raise GeweImageError(f"no QR code found in the {image.mime_type} image ({gray.width}x{gray.height})")
    return found[0].text


def render_qr_terminal(text: str, *, invert: bool = False) -> str:
    """Draw a QR code for `text` with Unicode half blocks, to print in a terminal.

    Each character covers one module across and two down ("▀", "▄", "█" or a space), so the code looks
    square, and a 4-module quiet zone surrounds it. Lines are joined by "\\n", without a trailing one.

    By default the light modules and the quiet zone are painted, which gives a scannable code on the usual
    light-text-on-dark terminal. Pass `invert=True` for dark text on a light background.

    Raises:
        GeweDependencyError: zxing-cpp is not installed.
        GeweError: `text` is empty or too long for a QR code.
    """
    try:
        import zxingcpp
    except ImportError as exc:
        raise _missing("drawing a QR code") from exc

    try:
        barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    except ValueError as exc:
        raise GeweError(f"cannot draw a QR code for this text: {exc}") from exc
    bitmap = barcode.to_image(scale=1, add_quiet_zones=False)
    height, width = bitmap.shape
    # 8-bit grayscale, row by row, 0 for a dark module. zxingcpp.Image has the buffer protocol; its stub
    # does not say so.
    pixels = memoryview(cast("Buffer", bitmap)).cast("B")

    size = width + 2 * _QUIET_ZONE
    rows: list[list[bool]] = [[False] * size for _ in range(_QUIET_ZONE)]
    for y in range(height):
        row = pixels[y * width : (y + 1) * width]
        rows.append([False] * _QUIET_ZONE + [value < 128 for value in row] + [False] * _QUIET_ZONE)
    rows += [[False] * size for _ in range(_QUIET_ZONE)]

    # paint[y][x]: whether the half block for module (x, y) is drawn in the foreground colour.
    paint = [[dark == invert for dark in row] for row in rows]
    if len(paint) % 2:
        paint.append([False] * size)  # below the code: leave the terminal's own background
    lines = []
    for top, bottom in zip(paint[0::2], paint[1::2], strict=True):
        lines.append("".join(_HALF_BLOCKS[pair] for pair in zip(top, bottom, strict=True)))
    return "\n".join(lines)
