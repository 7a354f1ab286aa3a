"""What the fake GeWe checks in the media it downloads for a send, as GeWe does.

GeWe fetches every URL of a send and fails the send when what it got cannot be that message. By
the field that gave the URL:

| field | the bytes must be |
| --- | --- |
| `imgUrl` | a JPEG, PNG, GIF or WebP |
| `voiceUrl` | SILK, lasting `voiceDuration` ms within 5 % (decoded with silk-python) |
| `videoUrl` | a video PyAV opens, lasting `videoDuration` s within 5 % or 1 s |
| `thumbUrl` | a JPEG |
| `fileUrl` | anything |

The lengths need the media extra (`pip install 'gewe-sdk[media]'`). Without it a voice or video
send is failed with a message that says so, never passed unchecked; `FakeGewe(check_media=False)`
turns every format check off (the URLs are still fetched).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import GeweDependencyError, GeweMediaError

VOICE_TOLERANCE = 0.05  # of the real length
VIDEO_TOLERANCE = 0.05
VIDEO_MIN_TOLERANCE_S = 1.0  # videoDuration is whole seconds


def media_problem(body: Mapping[str, Any], fetched: Mapping[str, bytes]) -> str | None:
    """Why GeWe would fail a send with these downloads (field -> bytes), or None.

    The text starts with the field (`voiceUrl: ...`). Runs in a worker thread: decoding is slow.
    """
    for field, data in fetched.items():
        try:
            problem = _check(field, data, body)
        except GeweDependencyError as exc:
            return (
                f"fake GeWe cannot check {field} as GeWe would: {exc} "
                "(or FakeGewe(check_media=False) to skip the format checks)"
            )
        except GeweMediaError as exc:
            problem = str(exc)
        if problem is not None:
            return f"{field}: {problem}"
    return None


def _check(field: str, data: bytes, body: Mapping[str, Any]) -> str | None:
    from ..media import image_type
    from ..media.convert import is_silk

    if field == "imgUrl" and image_type(data) is None:
        return "not an image (JPEG, PNG, GIF or WebP)"
    if field == "thumbUrl" and data[:3] != b"\xff\xd8\xff":
        found = image_type(data)
        return f"the video thumbnail is {found[0] if found else 'not an image'}, not a JPEG"
    if field == "voiceUrl":
        if not is_silk(data):
            return "not SILK audio (no #!SILK_V3 header): GeWe plays only SILK voices"
        stated = body.get("voiceDuration")
        if isinstance(stated, int) and not isinstance(stated, bool):
            from ..media.convert import silk_duration_ms

            real = silk_duration_ms(data)
            if abs(real - stated) > VOICE_TOLERANCE * real:
                return f"voiceDuration is {stated} ms, but the SILK lasts {real} ms"
    if field == "videoUrl":
        stated = body.get("videoDuration")
        if isinstance(stated, int) and not isinstance(stated, bool):
            from ..media.convert import video_seconds

            seconds = video_seconds(data)
            if abs(seconds - stated) > max(VIDEO_MIN_TOLERANCE_S, VIDEO_TOLERANCE * seconds):
                return f"videoDuration is {stated} s, but the video lasts {seconds:.2f} s"
    return None
