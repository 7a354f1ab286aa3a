"""gewe.qr: reading the join link out of a QR image, and drawing a QR code in the terminal."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
import zxingcpp
from PIL import Image as PILImage

from gewe.errors import GeweDependencyError, GeweError, GeweImageError
from gewe.images import Image, decode_image
from gewe.qr import decode_qr_url, render_qr_terminal
from tests.conftest import qr_example

SEED_URL = "https://weixin.qq.com/g/AQYAAAjK1NA9j2hVoPmsY1P2fpIsN3bgTzsyQMxRNk2NMhn2Tnt7-aFqD_uVpXmi"
JOIN_URL = "https://weixin.qq.com/g/AQYAAExampleJoinLink_-42"
INSTALL = "pip install 'gewe-sdk[qr]'"


def seed_qr_base64() -> str:
    """The seed page's QR image (the tests' own copy, tests/fixtures/seed)."""
    value: str = qr_example()["data"]["qrBase64"]
    return value


def qr_picture(text: str, fmt: str) -> Image:
    """A QR code for `text`, drawn by zxing-cpp and saved by Pillow in `fmt`."""
    bitmap = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode).to_image(scale=6)
    buffer = io.BytesIO()
    PILImage.fromarray(bitmap).convert("RGB").save(buffer, format=fmt)
    return Image(buffer.getvalue())


def plain_picture(fmt: str = "PNG") -> Image:
    buffer = io.BytesIO()
    PILImage.new("RGB", (120, 120), "white").save(buffer, format=fmt)
    return Image(buffer.getvalue())


# --- decode_qr_url ------------------------------------------------------------------------------


def test_seed_group_qr_decodes_to_a_weixin_join_link() -> None:
    image = decode_image(seed_qr_base64())
    assert image.mime_type == "image/jpeg"
    url = decode_qr_url(image)
    assert url.startswith("https://weixin.qq.com/g/")
    assert url == SEED_URL


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_decodes_a_generated_qr_in_every_format(fmt: str) -> None:
    assert decode_qr_url(qr_picture(JOIN_URL, fmt)) == JOIN_URL


def test_non_ascii_text_survives() -> None:
    assert (
        decode_qr_url(qr_picture("群聊：测试 https://weixin.qq.com/g/x", "PNG"))
        == "群聊：测试 https://weixin.qq.com/g/x"
    )


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_image_without_a_qr_code(fmt: str) -> None:
    with pytest.raises(GeweImageError, match="no QR code found"):
        decode_qr_url(plain_picture(fmt))


def test_corrupt_image_with_a_valid_signature() -> None:
    broken = Image(b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 20)
    with pytest.raises(GeweImageError, match="cannot read the image/png image"):
        decode_qr_url(broken)


def test_truncated_jpeg_is_an_image_error() -> None:
    data = qr_picture(JOIN_URL, "JPEG").data
    with pytest.raises(GeweImageError):
        decode_qr_url(Image(data[:40]))


@pytest.mark.parametrize("missing", ["zxingcpp", "PIL"])
def test_decoding_without_the_qr_extra(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    image = qr_picture(JOIN_URL, "PNG")
    monkeypatch.setitem(sys.modules, missing, None)
    with pytest.raises(GeweDependencyError) as excinfo:
        decode_qr_url(image)
    assert INSTALL in str(excinfo.value)
    assert isinstance(excinfo.value.__cause__, ImportError)


def test_importing_the_modules_does_not_load_the_qr_extra() -> None:
    probe = (
        "import sys, gewe.qr, gewe.group_qr, gewe.images, gewe.expiry;"
        "print(sorted(m for m in ('zxingcpp', 'PIL') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


# --- render_qr_terminal -------------------------------------------------------------------------

HALVES = {" ": (False, False), "▀": (True, False), "▄": (False, True), "█": (True, True)}


def painted_rows(drawing: str) -> list[list[bool]]:
    """Undo the half blocks: one list of booleans per module row."""
    rows: list[list[bool]] = []
    for line in drawing.split("\n"):
        rows.append([HALVES[ch][0] for ch in line])
        rows.append([HALVES[ch][1] for ch in line])
    return rows


def scan(rows: list[list[bool]], dark_when_painted: bool) -> str:
    """Rasterise module rows (4 px a module) and read them back with zxing-cpp."""
    scale = 4
    picture = PILImage.new("L", (len(rows[0]) * scale, len(rows) * scale), 255)
    for y, row in enumerate(rows):
        for x, painted in enumerate(row):
            if painted == dark_when_painted:
                picture.paste(0, (x * scale, y * scale, (x + 1) * scale, (y + 1) * scale))
    found = zxingcpp.read_barcodes(picture, try_invert=False)
    assert len(found) == 1
    return found[0].text


@pytest.mark.parametrize("text", [JOIN_URL, SEED_URL, "https://weixin.qq.com/g/" + "A" * 120])
def test_terminal_drawing_scans_back_to_the_text(text: str) -> None:
    drawing = render_qr_terminal(text)
    assert set(drawing) <= {" ", "▀", "▄", "█", "\n"}
    assert not drawing.endswith("\n")
    # Default: light modules painted, for light-on-dark terminals.
    assert scan(painted_rows(drawing), dark_when_painted=False) == text


def test_inverted_drawing_scans_back_to_the_text() -> None:
    drawing = render_qr_terminal(JOIN_URL, invert=True)
    assert scan(painted_rows(drawing), dark_when_painted=True) == JOIN_URL
    # Inverting swaps painted and unpainted modules; the last line is left out, as its lower half is
    # padding below the code, blank in both.
    plain = render_qr_terminal(JOIN_URL)
    swap = {" ": "█", "█": " ", "▀": "▄", "▄": "▀"}
    swapped = ["".join(swap[ch] for ch in line) for line in plain.split("\n")]
    assert drawing.split("\n")[:-1] == swapped[:-1]


def test_terminal_drawing_has_a_four_module_quiet_zone_and_two_rows_per_line() -> None:
    drawing = render_qr_terminal(JOIN_URL)
    lines = drawing.split("\n")
    size = len(lines[0])
    assert size >= 21 + 8  # the smallest QR code plus its quiet zone
    assert {len(line) for line in lines} == {size}
    assert len(lines) == (size + 1) // 2  # square: as many module rows as columns
    rows = painted_rows(drawing)[:size]
    for edge in (rows[:4], rows[-4:], [row[:4] for row in rows], [row[-4:] for row in rows]):
        assert all(all(row) for row in edge)  # quiet zone: light, hence painted
    # The finder pattern's dark top-left corner sits just inside the quiet zone.
    assert rows[4][4] is False


@pytest.mark.parametrize("text", ["", "x" * 5000])
def test_text_that_cannot_be_a_qr_code(text: str) -> None:
    with pytest.raises(GeweError, match="cannot draw a QR code"):
        render_qr_terminal(text)


def test_drawing_without_zxing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "zxingcpp", None)
    with pytest.raises(GeweDependencyError) as excinfo:
        render_qr_terminal(JOIN_URL)
    assert INSTALL in str(excinfo.value)


def test_drawing_does_not_need_pillow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    assert "█" in render_qr_terminal(JOIN_URL)
