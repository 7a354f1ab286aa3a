"""Write the media the fake GeWe serves for its default download replies (gewe/testing/samples/).

    .venv/bin/python tools/fake_samples.py      # needs the media extra (PyAV, silk-python)

The files are committed; this script is how they were made, and makes them again the same way:

| file | what | matches |
| --- | --- | --- |
| `image.jpg` | a 64x48 JPEG (a colour gradient) | `pushes.image()` |
| `voice.silk` | 2.5 s of a 440 Hz tone, SILK v3 (WeChat's header), 24 kHz | `pushes.voice()` (2500 ms) |
| `video.mp4` | 12 s, 64x48, 2 frames a second, H.264 in MP4 | `pushes.video()` (12 s) |
| `file.txt` | a line of text | `pushes.file()` |

`tests/testing/test_fake_downloads.py` checks each is what it says (decoded with the same libraries).
"""

from __future__ import annotations

import io
import math
import struct
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "overrides" / "gewe" / "testing" / "samples"
WIDTH, HEIGHT = 64, 48
VOICE_MS = 2500
VIDEO_S = 12
VIDEO_FPS = 2
SILK_RATE = 24_000
FILE_TEXT = b"a file served by the fake GeWe for message.downloadFile\n"


def _frame(av: Any, index: int) -> Any:
    """A colour gradient, shifted by `index` (so a video's frames differ)."""
    frame = av.VideoFrame(WIDTH, HEIGHT, "rgb24")
    plane = frame.planes[0]
    rows = bytearray()
    for y in range(HEIGHT):
        row = bytes(c for x in range(WIDTH) for c in ((x * 4 + index * 8) % 256, (y * 5) % 256, 128))
        rows += row + bytes(plane.line_size - len(row))
    plane.update(bytes(rows))
    return frame


def jpeg() -> bytes:
    import av

    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height, codec.pix_fmt = WIDTH, HEIGHT, "yuvj420p"
    codec.time_base = Fraction(1, 25)
    picture = _frame(av, 0).reformat(format="yuvj420p")
    return b"".join(bytes(p) for p in [*codec.encode(picture), *codec.encode(None)])


def silk() -> bytes:
    import pysilk

    samples = SILK_RATE * VOICE_MS // 1000
    pcm = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / SILK_RATE))) for i in range(samples)
    )
    out = io.BytesIO()
    pysilk.encode(io.BytesIO(pcm), out, SILK_RATE, 24_000, tencent=True)
    return out.getvalue()


def mp4() -> bytes:
    import av

    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=VIDEO_FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"crf": "35", "preset": "veryslow"}
        for i in range(VIDEO_S * VIDEO_FPS):
            frame = _frame(av, i).reformat(format="yuv420p")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in (
        ("image.jpg", jpeg()),
        ("voice.silk", silk()),
        ("video.mp4", mp4()),
        ("file.txt", FILE_TEXT),
    ):
        (OUT / name).write_bytes(data)
        print(f"{OUT / name}: {len(data)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
