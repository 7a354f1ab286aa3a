"""Sending local media, and what arrives: hosts, conversions, limits.

    from gewe.media import ReceiverMediaHost, set_media_host

    host = ReceiverMediaHost("https://bot.example.com")     # served by Receiver(..., media=host)
    set_media_host(client, host)
    client.message.send_voice("wxid_friend", "hello.mp3")   # -> SILK, its real length in ms

The send helpers (`client.message.send_image/send_file/send_voice/send_video`) take a `source`:
a URL (`http://`/`https://`, passed to GeWe as it is), a path, or bytes. Local data is checked
against its kind's size limit (`LIMITS`, or `max_bytes=`) before anything is read whole or
uploaded, converted where GeWe needs it (voice to SILK, a video's length and thumbnail), published
on the client's media host, sent through the client's ordinary call (its retries and pacing
apply), and removed from the host when the call returned.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import GeweConfigError, GeweMediaError
from .hosts import DEFAULT_TTL, DirectoryMediaHost, Hosted, MediaHost, ReceiverMediaHost, safe_name

if TYPE_CHECKING:
    from .s3 import S3MediaHost

__all__ = [
    "DEFAULT_TTL",
    "LIMITS",
    "DirectoryMediaHost",
    "Hosted",
    "MediaHost",
    "Prepared",
    "ReceiverMediaHost",
    "S3MediaHost",
    "get_media_host",
    "set_media_host",
]

Kind = Literal["image", "file", "voice", "video", "thumbnail", "download"]
MiB = 1 << 20
#: The largest local source of each kind, in bytes (our choices; `max_bytes=` per call overrides).
LIMITS: dict[str, int] = {
    "image": 20 * MiB,
    "file": 200 * MiB,
    "voice": 20 * MiB,
    "video": 100 * MiB,
    "thumbnail": 2 * MiB,
    "download": 200 * MiB,
}
Source = str | os.PathLike[str] | bytes | bytearray | memoryview
_ATTRIBUTE = "_gewe_media_host"
_IMAGE_TYPES = (
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"GIF87a", "image/gif", ".gif"),
    (b"GIF89a", "image/gif", ".gif"),
)


def __getattr__(name: str) -> Any:
    if name == "S3MediaHost":  # boto3 only when asked for
        from .s3 import S3MediaHost

        return S3MediaHost
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def set_media_host(client: Any, host: MediaHost | None) -> None:
    """Publish the local media this client sends on `host` (its `with_options` copies made after
    this share it); None to stop."""
    if host is not None and not isinstance(host, MediaHost):
        raise GeweConfigError(
            "a media host needs publish(data, name=, content_type=) and remove(hosted)", setting="media_host"
        )
    client.__dict__[_ATTRIBUTE] = host


def get_media_host(client: Any, host: MediaHost | None = None) -> MediaHost:
    """The host given to a call, else the client's; a GeweMediaError saying how to set one."""
    found = host if host is not None else client.__dict__.get(_ATTRIBUTE)
    if found is None:
        raise GeweMediaError(
            "sending local media needs a media host (GeWe fetches every file by URL): "
            "gewe.media.set_media_host(client, ReceiverMediaHost(public_url) | DirectoryMediaHost(dir, url) "
            "| S3MediaHost(bucket)), or pass host=..., or pass a URL instead"
        )
    if not isinstance(found, MediaHost):
        raise GeweConfigError(
            "a media host needs publish(data, name=, content_type=) and remove(hosted)", setting="media_host"
        )
    return found


def is_url(source: object) -> bool:
    return isinstance(source, str) and source.startswith(("http://", "https://"))


def check_limit(kind: str, max_bytes: int | None) -> int:
    limit = LIMITS[kind] if max_bytes is None else max_bytes
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise GeweConfigError(
            f"max_bytes must be a positive whole number, got {max_bytes!r}", setting="max_bytes"
        )
    return limit


def load(source: Source, kind: Kind, max_bytes: int | None = None) -> tuple[bytes, str]:
    """(the bytes, a file name) of a local source: a path (its size checked before it is read) or
    bytes. A GeweMediaError when it is too large for its kind, missing or unreadable."""
    limit = check_limit(kind, max_bytes)
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        name: str = kind
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > limit:
                raise GeweMediaError(
                    f"{kind} {path.name}: {size} bytes, over the {kind} limit of {limit} bytes"
                )
            with path.open("rb") as fh:
                data = fh.read(limit + 1)
        except OSError as exc:
            raise GeweMediaError(f"cannot read the {kind} {str(path)!r}: {exc.strerror or exc}") from None
        name = path.name
    else:
        raise GeweMediaError(f"a {kind} source is a URL, a path or bytes, not {type(source).__name__}")
    if len(data) > limit:
        raise GeweMediaError(f"{kind}: {len(data)} bytes, over the {kind} limit of {limit} bytes")
    if not data:
        raise GeweMediaError(f"the {kind} is empty")
    return data, name


def image_type(data: bytes) -> tuple[str, str] | None:
    """(MIME type, extension) of a JPEG, PNG, GIF or WebP, else None."""
    for magic, mime, ext in _IMAGE_TYPES:
        if data.startswith(magic):
            return mime, ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return None


@dataclass
class Prepared:
    """What one send publishes: (bytes, name, content type) per URL field, and the other fields."""

    uploads: dict[str, tuple[bytes, str, str]] = field(default_factory=dict)  # field -> (data, name, type)
    urls: dict[str, str] = field(default_factory=dict)  # field -> a URL passed through
    fields: dict[str, Any] = field(default_factory=dict)


def _with_ext(name: str, ext: str) -> str:
    stem = safe_name(name, "media")
    return stem if stem.lower().endswith(ext) else f"{stem.rsplit('.', 1)[0] if '.' in stem else stem}{ext}"


def prepare_image(source: Source, max_bytes: int | None) -> Prepared:
    if is_url(source):
        return Prepared(urls={"img_url": str(source)})
    data, name = load(source, "image", max_bytes)
    found = image_type(data)
    if found is None:
        raise GeweMediaError("the image is not a JPEG, PNG, GIF or WebP")
    return Prepared(uploads={"img_url": (data, _with_ext(name, found[1]), found[0])})


def prepare_file(source: Source, name: str | None, max_bytes: int | None) -> Prepared:
    if is_url(source):
        shown = name or safe_name(str(source).split("?", 1)[0].rsplit("/", 1)[-1], "file")
        return Prepared(urls={"file_url": str(source)}, fields={"file_name": shown})
    data, found = load(source, "file", max_bytes)
    shown = name or found
    return Prepared(
        uploads={"file_url": (data, shown, "application/octet-stream")}, fields={"file_name": shown}
    )


def prepare_voice(source: Source, duration_ms: int | None, max_bytes: int | None) -> Prepared:
    """Any common audio becomes SILK with its real length (ms); a URL needs `duration_ms`."""
    if is_url(source):
        if duration_ms is None:
            raise GeweMediaError("a voice URL is sent as it is: pass duration_ms= (and make sure it is SILK)")
        return Prepared(urls={"voice_url": str(source)}, fields={"voice_duration": int(duration_ms)})
    from .convert import to_silk

    data, name = load(source, "voice", max_bytes)
    silk, measured = to_silk(data)
    stem = safe_name(name, "voice").rsplit(".", 1)[0]
    return Prepared(
        uploads={"voice_url": (silk, f"{stem}.silk", "audio/silk")},
        fields={"voice_duration": measured if duration_ms is None else int(duration_ms)},
    )


def prepare_video(
    source: Source, thumbnail: Source | None, duration_s: int | None, max_bytes: int | None
) -> Prepared:
    """A video's length (s) and a JPEG thumbnail made from it when none is given."""
    prepared = Prepared()
    if is_url(source):
        if duration_s is None or thumbnail is None:
            raise GeweMediaError("a video URL is sent as it is: pass duration_s= and thumbnail=")
        prepared.urls["video_url"] = str(source)
        prepared.fields["video_duration"] = int(duration_s)
    else:
        from .convert import video_info

        data, name = load(source, "video", max_bytes)
        seconds, jpeg = video_info(data, thumbnail=thumbnail is None)
        prepared.uploads["video_url"] = (data, safe_name(name, "video.mp4"), "video/mp4")
        prepared.fields["video_duration"] = seconds if duration_s is None else int(duration_s)
        if jpeg is not None:
            stem = safe_name(name, "video").rsplit(".", 1)[0]
            prepared.uploads["thumb_url"] = (jpeg, f"{stem}.jpg", "image/jpeg")
    if thumbnail is not None:
        if is_url(thumbnail):
            prepared.urls["thumb_url"] = str(thumbnail)
        else:
            thumb, tname = load(thumbnail, "thumbnail")
            found = image_type(thumb)
            if found is None:
                raise GeweMediaError("the video thumbnail is not a JPEG, PNG, GIF or WebP")
            if found[0] != "image/jpeg":  # GeWe needs a JPEG: made from the image (media extra)
                from .convert import image_to_jpeg

                thumb = image_to_jpeg(thumb, "the video thumbnail")
            prepared.uploads["thumb_url"] = (thumb, _with_ext(tname, ".jpg"), "image/jpeg")
    return prepared


def publish_all(host: MediaHost, prepared: Prepared) -> tuple[dict[str, str], list[Hosted]]:
    """Publish every upload; on a failure, what was published is removed before raising."""
    urls = dict(prepared.urls)
    done: list[Hosted] = []
    try:
        for key, (data, name, content_type) in prepared.uploads.items():
            hosted = host.publish(data, name=name, content_type=content_type)
            done.append(hosted)
            urls[key] = hosted.url
    except BaseException:
        remove_all(host, done)
        raise
    return urls, done


def remove_all(host: MediaHost, hosted: list[Hosted]) -> None:
    import logging

    for item in hosted:
        try:
            host.remove(item)
        except Exception as exc:  # the object expires anyway; never hide the send's own outcome
            logging.getLogger("gewe").warning(
                "media host could not remove %s: %s", item.key, type(exc).__name__
            )
