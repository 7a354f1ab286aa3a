"""The `message` module, with sends from anywhere (URL, path or bytes), downloads of what arrives,
and replies.

Every helper calls the generated methods, so each GeWe call goes through the client's ordinary
path: its retries, errors and whatever pacing the client has.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, Unpack

from gewe_api.api import CallOptions
from gewe_api.api import message as generated

from ..errors import GeweAPIError, GeweMediaError
from ..media import (
    MediaHost,
    Prepared,
    Source,
    check_limit,
    get_media_host,
    image_type,
    prepare_file,
    prepare_image,
    prepare_video,
    prepare_voice,
    publish_all,
    remove_all,
)
from ..media.fetch import afetch, check_target, fetch, write_atomically

if TYPE_CHECKING:
    from gewe_api.models.message_post_file_data import MessagePostFileData
    from gewe_api.models.message_post_image_data import MessagePostImageData
    from gewe_api.models.message_post_text_data import MessagePostTextData
    from gewe_api.models.message_post_video_data import MessagePostVideoData
    from gewe_api.models.message_post_voice_data import MessagePostVoiceData

    from ..events.models import MessageEvent

T = TypeVar("T")

#: downloadImage's sizes, tried in this order: 1 high definition, 2 normal, 3 thumbnail.
IMAGE_SIZES = (1, 2, 3)
_FILE_EXT = re.compile(r"[A-Za-z0-9]{1,10}")


def _xml(event: MessageEvent) -> str:
    if not isinstance(event.content, str) or not event.content.strip():
        raise GeweMediaError(f"the {event.kind} event has no XML content to download with")
    return event.content


def _download_plan(event: Any) -> tuple[str, list[dict[str, Any]]]:
    """(the operation's method name, the keyword sets to try in order) for a media event."""
    kind = getattr(event, "kind", None)
    if kind == "image":
        return "download_image", [{"xml": _xml(event), "type_": size} for size in IMAGE_SIZES]
    if kind == "voice":
        if not isinstance(event.msg_id, int):
            raise GeweMediaError("the voice event has no MsgId to download with")
        return "download_voice", [{"xml": _xml(event), "msg_id": event.msg_id}]
    if kind == "video":
        return "download_video", [{"xml": _xml(event)}]
    if kind == "file":
        return "download_file", [{"xml": _xml(event)}]
    if kind == "file_notice":
        raise GeweMediaError("the file is still uploading: download it with the `file` event that follows")
    raise GeweMediaError(
        f"a {kind or type(event).__name__} event has nothing to download (image, voice, video, file)"
    )


def _file_url(data: Any) -> str:
    url = getattr(data, "file_url", None)
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise GeweMediaError("GeWe's download reply has no fileUrl")
    return url


def _extension(event: Any, data: bytes, wav: bool) -> str:
    """The extension a download's bytes call for ("" when unknown): the image's own by its bytes,
    .wav or .silk for a voice, .mp4 for an MP4 video, the file's own for a file."""
    kind = getattr(event, "kind", None)
    if kind == "voice":
        from ..media.convert import is_silk

        return ".wav" if wav else ".silk" if is_silk(data) else ""
    if kind == "image":
        found = image_type(data)
        return found[1] if found else ""
    if kind == "video":
        return ".mp4" if data[4:8] == b"ftyp" else ""
    if kind == "file":
        ext = getattr(event, "ext", None) or Path(getattr(event, "file_name", None) or "").suffix[1:]
        return f".{ext.lower()}" if isinstance(ext, str) and _FILE_EXT.fullmatch(ext) else ""
    return ""


def _finish(event: Any, data: bytes, target: Path | None, wav: bool) -> bytes | Path:
    if wav and getattr(event, "kind", None) == "voice":
        from ..media.convert import silk_to_wav

        data = silk_to_wav(data)
    if target is None:
        return data
    if not target.suffix:  # as Image.save does: "voice" -> "voice.wav", a suffix given is kept
        target = target.with_name(target.name + _extension(event, data, wav))
    return write_atomically(target, data)


def _reply_fields(
    event: MessageEvent, text: str, mention_sender: bool, sender_name: str | None
) -> dict[str, Any]:
    from ..events.models import MessageEvent

    if not isinstance(event, MessageEvent):
        what = "an event that is not a message" if hasattr(event, "kind") else f"a {type(event).__name__}"
        raise GeweMediaError(
            f"reply takes a received message event (from gewe.events), not {what}; to send a text to "
            "a wxid or room id, call client.message.post_text(to_wxid=..., content=...)"
        )
    if not isinstance(event.chat_id, str) or not event.chat_id:
        raise GeweMediaError(f"the {event.kind} event has no chat to reply in")
    if not isinstance(text, str) or not text:
        raise GeweMediaError("the reply text is empty")
    fields: dict[str, Any] = {"to_wxid": event.chat_id, "content": text}
    if mention_sender and event.is_group and event.sender_wxid:
        name = sender_name or _name_from_push(event.push_content) or event.sender_wxid
        fields["content"] = f"@{name}\u2005{text}"
        fields["ats"] = event.sender_wxid
    if event.app_id and "app_id" not in fields:
        fields["app_id"] = event.app_id
    return fields


def _name_from_push(push_content: str | None) -> str | None:
    """The sender's display name from a group push's notification text ("Alice : hello")."""
    if isinstance(push_content, str) and " : " in push_content:
        name = push_content.split(" : ", 1)[0].strip()
        return name or None
    return None


class MessageResource(generated.MessageResource):
    __slots__ = ()

    # -- sends ------------------------------------------------------------------------------

    def _send(
        self,
        prepared: Prepared,
        host: MediaHost | None,
        call: Callable[..., T],
        fields: dict[str, Any],
        options: CallOptions,
    ) -> T:
        media = get_media_host(self._invoker, host) if prepared.uploads else None
        hosted: list[Any] = []
        urls = dict(prepared.urls)
        if media is not None:
            published, hosted = publish_all(media, prepared)
            urls.update(published)
        try:
            return call(**fields, **prepared.fields, **urls, **options)
        finally:
            if media is not None:
                remove_all(media, hosted)  # GeWe fetched it while handling the call

    def send_image(
        self,
        to: str,
        source: Source,
        *,
        app_id: str | None = None,
        host: MediaHost | None = None,
        max_bytes: int | None = None,
        **options: Unpack[CallOptions],
    ) -> MessagePostImageData:
        """Send an image from a URL (passed through), a path or bytes (JPEG, PNG, GIF, WebP).

        Local data is published on the media host (`host=`, else the client's: see
        `gewe.media.set_media_host`) for GeWe to fetch, then removed. A GeweMediaError before
        anything is uploaded when it is over `max_bytes` (default `gewe.media.LIMITS["image"]`)
        or not an image.
        """
        return self._send(
            prepare_image(source, max_bytes),
            host,
            self.post_image,
            {"app_id": app_id, "to_wxid": to},
            options,
        )

    def send_file(
        self,
        to: str,
        source: Source,
        *,
        name: str | None = None,
        app_id: str | None = None,
        host: MediaHost | None = None,
        max_bytes: int | None = None,
        **options: Unpack[CallOptions],
    ) -> MessagePostFileData:
        """Send a file from a URL, a path or bytes; `name` is what the receiver sees (default: the
        path's name, or the URL's last segment)."""
        return self._send(
            prepare_file(source, name, max_bytes),
            host,
            self.post_file,
            {"app_id": app_id, "to_wxid": to},
            options,
        )

    def send_voice(
        self,
        to: str,
        source: Source,
        *,
        duration_ms: int | None = None,
        app_id: str | None = None,
        host: MediaHost | None = None,
        max_bytes: int | None = None,
        **options: Unpack[CallOptions],
    ) -> MessagePostVoiceData:
        """Send a voice message from any common audio (wav, mp3, ogg/opus, m4a, ... or SILK): it is
        converted to SILK and its real length measured in ms (needs `gewe-sdk[media]`). A URL is
        sent as it is and needs `duration_ms` (and must already be SILK)."""
        return self._send(
            prepare_voice(source, duration_ms, max_bytes),
            host,
            self.post_voice,
            {"app_id": app_id, "to_wxid": to},
            options,
        )

    def send_video(
        self,
        to: str,
        source: Source,
        *,
        thumbnail: Source | None = None,
        duration_s: int | None = None,
        app_id: str | None = None,
        host: MediaHost | None = None,
        max_bytes: int | None = None,
        **options: Unpack[CallOptions],
    ) -> MessagePostVideoData:
        """Send a video from a URL, a path or bytes. Its length (s) is read from the file and, with
        no `thumbnail`, a frame near its start becomes its JPEG thumbnail (needs `gewe-sdk[media]`).
        A `thumbnail` path or bytes may be a JPEG, or a PNG, GIF or WebP made a JPEG (the media
        extra); a thumbnail URL is passed as it is and must be a JPEG. A video URL needs
        `duration_s` and `thumbnail`. What does not move (a still image, a GIF, a single frame,
        audio with only a cover picture) is a GeweMediaError: send images with `send_image`."""
        return self._send(
            prepare_video(source, thumbnail, duration_s, max_bytes),
            host,
            self.post_video,
            {"app_id": app_id, "to_wxid": to},
            options,
        )

    def reply(
        self,
        event: MessageEvent,
        text: str,
        *,
        mention_sender: bool = False,
        sender_name: str | None = None,
        **options: Unpack[CallOptions],
    ) -> MessagePostTextData:
        """Answer `event` in the same chat (the group, or the person), from the account it came to.

        `mention_sender` @-mentions its author in a group: `@<name>` + U+2005 before the text (the
        name from `sender_name`, else the push's notification text, else the wxid) and the wxid in
        `ats`, both of which WeChat needs for the mention to show.
        """
        return self.post_text(**_reply_fields(event, text, mention_sender, sender_name), **options)

    # -- downloads --------------------------------------------------------------------------

    def download(
        self,
        event: MessageEvent,
        *,
        to: str | os.PathLike[str] | None = None,
        wav: bool = False,
        max_bytes: int | None = None,
        app_id: str | None = None,
        **options: Unpack[CallOptions],
    ) -> bytes | Path:
        """Download the image, voice, video or file of a received message.

        Returns the bytes, or with `to` writes them to that path atomically and returns the path
        written: a name without an extension gets the one the bytes call for, as `Image.save`
        does ("out" -> "out.jpg"/".png"/..., a voice ".silk", or ".wav" with `wav=True`, a video
        ".mp4", a file its own); an extension given is kept. A `to` that names no file (".",
        "..", ""), is a folder, or whose folder does not exist is a GeweMediaError before
        anything is downloaded. An image is tried in high definition, then normal, then
        thumbnail size (a size the sender did not upload fails). `wav=True` decodes a voice from
        SILK to WAV (needs `gewe-sdk[media]`). Over `max_bytes` (default
        `gewe.media.LIMITS["download"]`) is a GeweMediaError, and nothing is written.
        """
        limit = check_limit("download", max_bytes)
        method, attempts = _download_plan(event)
        target = None if to is None else check_target(to)
        call = getattr(self, method)
        last: GeweAPIError | None = None
        for kwargs in attempts:
            try:
                data = call(app_id=app_id or event.app_id, **kwargs, **options)
            except GeweAPIError as exc:
                last = exc
                continue
            return _finish(event, fetch(_file_url(data), limit), target, wav)
        assert last is not None
        raise last


class AsyncMessageResource(generated.AsyncMessageResource):
    __slots__ = ()

    async def _send(
        self,
        prepared: Prepared,
        host: MediaHost | None,
        call: Callable[..., Awaitable[T]],
        fields: dict[str, Any],
        options: CallOptions,
    ) -> T:
        media = get_media_host(self._invoker, host) if prepared.uploads else None
        hosted: list[Any] = []
        urls = dict(prepared.urls)
        if media is not None:
            published, hosted = await asyncio.to_thread(publish_all, media, prepared)
            urls.update(published)
        try:
            return await call(**fields, **prepared.fields, **urls, **options)
        finally:
            if media is not None:
                await asyncio.to_thread(remove_all, media, hosted)

    async def send_image(
        self,
        to: str,
        source: Source,
        *,
        app_id: str | None = None,
        host: MediaHost | None = None,
        max_bytes: int | None = None,
        **options: Unpack[CallOptions],
    ) -> MessagePostImageData:
        """See `MessageResource.send_image`."""
        prepared = await asyncio.to_thread(prepare_image, source, max_bytes)
        return await self._send(prepared, host, self.post_image, {"app_id": app_id, "to_wxid": to}, options)

    async def send_file(
        self,
        to: str,
        source: Source,
        *,
        name: str | None = None,
        app_id: str | None = None,
        host: MediaHost | None = None,
        max_bytes: int | None = None,
        **options: Unpack[CallOptions],
    ) -> MessagePostFileData:
        """See `MessageResource.send_file`."""
        prepared = await asyncio.to_thread(prepare_file, source, name, max_bytes)
        return await self._send(prepared, host, self.post_file, {"app_id": app_id, "to_wxid": to}, options)

    async def send_voice(
        self,
        to: str,
        source: Source,
        *,
        duration_ms: int | None = None,
        app_id: str | None = None,
        host: MediaHost | None = None,
        max_bytes: int | None = None,
        **options: Unpack[CallOptions],
    ) -> MessagePostVoiceData:
        """See `MessageResource.send_voice` (the conversion runs in a worker thread)."""
        prepared = await asyncio.to_thread(prepare_voice, source, duration_ms, max_bytes)
        return await self._send(prepared, host, self.post_voice, {"app_id": app_id, "to_wxid": to}, options)

    async def send_video(
        self,
        to: str,
        source: Source,
        *,
        thumbnail: Source | None = None,
        duration_s: int | None = None,
        app_id: str | None = None,
        host: MediaHost | None = None,
        max_bytes: int | None = None,
        **options: Unpack[CallOptions],
    ) -> MessagePostVideoData:
        """See `MessageResource.send_video` (reading the video runs in a worker thread)."""
        prepared = await asyncio.to_thread(prepare_video, source, thumbnail, duration_s, max_bytes)
        return await self._send(prepared, host, self.post_video, {"app_id": app_id, "to_wxid": to}, options)

    async def reply(
        self,
        event: MessageEvent,
        text: str,
        *,
        mention_sender: bool = False,
        sender_name: str | None = None,
        **options: Unpack[CallOptions],
    ) -> MessagePostTextData:
        """See `MessageResource.reply`."""
        return await self.post_text(**_reply_fields(event, text, mention_sender, sender_name), **options)

    async def download(
        self,
        event: MessageEvent,
        *,
        to: str | os.PathLike[str] | None = None,
        wav: bool = False,
        max_bytes: int | None = None,
        app_id: str | None = None,
        **options: Unpack[CallOptions],
    ) -> bytes | Path:
        """See `MessageResource.download`."""
        limit = check_limit("download", max_bytes)
        method, attempts = _download_plan(event)
        target = None if to is None else await asyncio.to_thread(check_target, to)
        call = getattr(self, method)
        last: GeweAPIError | None = None
        for kwargs in attempts:
            try:
                data = await call(app_id=app_id or event.app_id, **kwargs, **options)
            except GeweAPIError as exc:
                last = exc
                continue
            body = await afetch(_file_url(data), limit)
            return await asyncio.to_thread(_finish, event, body, target, wav)
        assert last is not None
        raise last
