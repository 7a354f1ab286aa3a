"""Audio to SILK (with its real length), video length and a JPEG thumbnail, SILK back to WAV.

PyAV (FFmpeg's libraries, in the wheel) decodes any common format; silk-python encodes and
decodes SILK. Both come with `pip install 'gewe-sdk[media]'`; without them these functions raise
`GeweDependencyError` naming the extra. Nothing shells out to a program.
"""

from __future__ import annotations

import io
import wave
from fractions import Fraction
from typing import Any

from ..errors import GeweDependencyError, GeweMediaError

SILK_RATE = 24_000  # Hz: what WeChat's own voice messages use
SILK_BIT_RATE = 24_000
SILK_HEADERS = (b"#!SILK_V3", b"\x02#!SILK_V3")


def _needs(module: str, purpose: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise GeweDependencyError(
            f"{purpose} needs the media extra ({module} is not installed): pip install 'gewe-sdk[media]'"
        ) from None


def is_silk(data: bytes) -> bool:
    return data.startswith(SILK_HEADERS)


def silk_to_pcm(data: bytes) -> bytes:
    """16-bit mono PCM at SILK_RATE from SILK audio."""
    pysilk = _needs("pysilk", "decoding SILK audio")
    out = io.BytesIO()
    try:
        pysilk.decode(io.BytesIO(data), out, SILK_RATE)
    except Exception as exc:  # pysilk.SilkError and friends
        raise GeweMediaError(f"the voice is not valid SILK audio ({type(exc).__name__}: {exc})") from None
    return out.getvalue()


def silk_duration_ms(data: bytes) -> int:
    return round(len(silk_to_pcm(data)) / 2 / SILK_RATE * 1000)


def silk_to_wav(data: bytes) -> bytes:
    """A WAV file (16-bit mono, 24 kHz) from SILK audio."""
    pcm = silk_to_pcm(data)
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SILK_RATE)
        wav.writeframes(pcm)
    return out.getvalue()


def _open(data: bytes, what: str) -> Any:
    av = _needs("av", f"reading {what}")
    try:
        return av.open(io.BytesIO(data))
    except Exception as exc:  # av.error.InvalidDataError and friends
        raise GeweMediaError(f"the {what} cannot be decoded ({type(exc).__name__}: {exc})") from None


def audio_to_pcm(data: bytes) -> bytes:
    """16-bit mono PCM at SILK_RATE from any audio format FFmpeg reads (wav, mp3, ogg/opus, m4a, ...)."""
    av = _needs("av", "converting audio to SILK")
    container = _open(data, "audio")
    with container:
        if not container.streams.audio:
            raise GeweMediaError("the voice has no audio stream")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SILK_RATE)
        pcm = bytearray()
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    pcm += bytes(out.planes[0])[: out.samples * 2]
            for out in resampler.resample(None):
                pcm += bytes(out.planes[0])[: out.samples * 2]
        except av.error.FFmpegError as exc:
            raise GeweMediaError(f"the audio cannot be decoded ({exc})") from None
    if not pcm:
        raise GeweMediaError("the audio has no samples")
    return bytes(pcm)


def to_silk(data: bytes) -> tuple[bytes, int]:
    """(SILK audio, its length in ms). SILK input is kept as it is (its length measured)."""
    if is_silk(data):
        return data, silk_duration_ms(data)
    pcm = audio_to_pcm(data)
    pysilk = _needs("pysilk", "encoding SILK audio")
    out = io.BytesIO()
    pysilk.encode(io.BytesIO(pcm), out, SILK_RATE, SILK_BIT_RATE, tencent=True)
    return out.getvalue(), round(len(pcm) / 2 / SILK_RATE * 1000)


# AV_DISPOSITION_ATTACHED_PIC: a picture stream that is an audio file's cover, not a video.
_ATTACHED_PIC = 0x0400
# FFmpeg's demuxers of images (besides every "*_pipe" one: jpeg_pipe, png_pipe, webp_pipe, ...).
_IMAGE_FORMATS = frozenset({"image2", "gif", "apng"})


def _moving_picture(container: Any) -> Any:
    """The video stream of a video: a GeweMediaError for an image, a GIF, a single frame, or a
    file whose only picture is an audio file's cover."""
    pictures = list(container.streams.video)
    if not pictures:
        raise GeweMediaError("the video has no video stream")
    formats = set((container.format.name or "").split(","))
    if formats & _IMAGE_FORMATS or any(name.endswith("_pipe") for name in formats):
        codec = pictures[0].codec_context.name
        what = "an image" if "gif" in formats or "apng" in formats else "a still image"
        raise GeweMediaError(f"the video is {what} ({codec}), not a video: send it with send_image")
    moving = [s for s in pictures if not int(getattr(s, "disposition", 0) or 0) & _ATTACHED_PIC]
    if not moving:
        raise GeweMediaError("the video has no video stream (only a cover picture)")
    stream = moving[0]
    if stream.frames == 1:
        raise GeweMediaError("the video has a single frame (a still image): send it with send_image")
    return stream


def _packets(data: bytes, index: int, stop_at: int | None = None) -> tuple[int, float]:
    """(how many pictures, up to `stop_at`; the seconds they span) of video stream `index`, read
    from its packets without decoding them; a GeweMediaError when it has at most one."""
    av = _needs("av", "reading video")
    with _open(data, "video") as container:
        stream = container.streams.video[index]
        count, end = 0, 0
        try:
            for packet in container.demux(stream):
                if packet.size and packet.pts is not None:
                    count += 1
                    end = max(end, packet.pts + (packet.duration or 0))
                    if count == stop_at:
                        break
        except av.error.FFmpegError as exc:
            raise GeweMediaError(f"the video cannot be decoded ({exc})") from None
        if count <= 1:
            raise GeweMediaError("the video has a single frame (a still image): send it with send_image")
        return count, float(end * stream.time_base) if stream.time_base is not None else 0.0


def video_info(data: bytes, *, thumbnail: bool = True) -> tuple[int, bytes | None]:
    """(length in whole seconds, at least 1; a JPEG of a frame near the start, or None).

    A GeweMediaError for what is not a moving picture: no video stream, a still image or a GIF,
    a single frame, or only an audio file's cover picture.
    """
    av = _needs("av", "reading video")
    with _open(data, "video") as container:
        stream = _moving_picture(container)
        seconds = _length(data, container, stream)
        jpeg = None
        if thumbnail:
            try:
                frame = next(container.decode(stream), None)
            except av.error.FFmpegError as exc:
                raise GeweMediaError(f"the video cannot be decoded ({exc})") from None
            if frame is None:
                raise GeweMediaError("the video has no frame to make a thumbnail of")
            jpeg = _jpeg(av, frame)
    return max(1, round(seconds)), jpeg


def video_seconds(data: bytes) -> float:
    """The length of a video in seconds, as its container (or else its video stream) states it,
    else counted from its packets; a GeweMediaError for what is not a moving picture (as
    `video_info`)."""
    with _open(data, "video") as container:
        return _length(data, container, _moving_picture(container))


def _length(data: bytes, container: Any, stream: Any) -> float:
    """Seconds of `stream` (one of `container`'s, opened from `data`); a GeweMediaError when it
    turns out to hold a single picture."""
    index = list(container.streams.video).index(stream)
    seconds = _seconds(container, stream)
    if not seconds:  # neither says: count the pictures (a still image has one, refused there)
        return _packets(data, index)[1]
    if not stream.frames:  # a container that does not count them: at least two pictures?
        _packets(data, index, stop_at=2)
    return seconds


def _seconds(container: Any, stream: Any) -> float:
    if container.duration is not None:
        return float(container.duration) / 1_000_000
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return 0.0


def image_to_jpeg(data: bytes, what: str) -> bytes:
    """A PNG, GIF or WebP image (its first picture) as a JPEG, by FFmpeg's own decoders and MJPEG
    encoder. Without the media extra, a GeweDependencyError that says to install it or give a JPEG."""
    try:
        av = _needs("av", f"making {what} a JPEG")
    except GeweDependencyError as exc:
        raise GeweDependencyError(f"{exc}, or give a JPEG") from None
    with _open(data, what) as container:
        try:
            frame = next(container.decode(video=0), None) if container.streams.video else None
        except av.error.FFmpegError as exc:
            raise GeweMediaError(f"{what} cannot be decoded ({exc})") from None
        if frame is None:
            raise GeweMediaError(f"{what} has no picture")
        return _jpeg(av, frame)


def _jpeg(av: Any, frame: Any) -> bytes:
    """One frame as a JPEG, by FFmpeg's own MJPEG encoder (no Pillow needed); its sides even (at
    least 2), as the encoder's 4:2:0 pictures need."""
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width = max(2, frame.width - frame.width % 2)
    codec.height = max(2, frame.height - frame.height % 2)
    codec.pix_fmt = "yuvj420p"
    codec.time_base = Fraction(1, 25)
    picture = frame.reformat(width=codec.width, height=codec.height, format="yuvj420p")
    packets = [*codec.encode(picture), *codec.encode(None)]
    return b"".join(bytes(p) for p in packets)
