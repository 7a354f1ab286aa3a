"""Small media made on the spot (stdlib wave, PyAV's encoders): audio of a known length in several
formats, a short video, images. Nothing is downloaded."""

from __future__ import annotations

import io
import math
import struct
import wave
from fractions import Fraction
from typing import Any

RATE = 16_000


def wav(seconds: float, rate: int = RATE) -> bytes:
    """A 440 Hz tone of `seconds`, 16-bit mono WAV."""
    n = int(seconds * rate)
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(n))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return out.getvalue()


AUDIO_FORMATS = {  # name -> (container format, codec, sample rate)
    "mp3": ("mp3", "libmp3lame", 44_100),
    "ogg": ("ogg", "libopus", 48_000),
    "m4a": ("ipod", "aac", 44_100),
}


def audio(kind: str, seconds: float) -> bytes:
    """A tone of `seconds` as wav, mp3, ogg (opus) or m4a (aac)."""
    if kind == "wav":
        return wav(seconds)
    import av

    fmt, codec, rate = AUDIO_FORMATS[kind]
    out = io.BytesIO()
    with av.open(out, "w", format=fmt) as container:
        stream: Any = container.add_stream(codec, rate=rate)
        stream.layout = "mono"
        total = int(seconds * rate)
        step = 1024
        for start in range(0, total, step):
            n = min(step, total - start)
            chunk = b"".join(
                struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * (start + i) / rate)))
                for i in range(n)
            )
            frame = av.AudioFrame(format="s16", layout="mono", samples=n)
            frame.planes[0].update(chunk)
            frame.sample_rate = rate
            frame.pts = start
            frame.time_base = Fraction(1, rate)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def video(seconds: int = 3, fps: int = 10, size: tuple[int, int] = (64, 48)) -> bytes:
    """An MP4 (MPEG-4 part 2) of `seconds` of moving colour."""
    import av

    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream: Any = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(seconds * fps):
            frame = av.VideoFrame(size[0], size[1], "rgb24")
            row = bytes([(i * 8) % 255, 200, 30]) * (size[0] // 2) + bytes([(i * 8) % 255, 0, 90]) * (
                size[0] - size[0] // 2
            )
            plane = frame.planes[0]
            pad = b"\0" * (plane.line_size - len(row))
            plane.update((row + pad) * size[1])
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def png() -> bytes:
    import base64

    return base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg=="
    )
