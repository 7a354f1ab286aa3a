"""The media the fake GeWe serves for a download (`message.downloadImage` and friends) by default.

Files in `samples/` (made by tools/fake_samples.py), one per kind, matching the defaults of
`gewe.testing.pushes`:

| kind | file | what |
| --- | --- | --- |
| image | `image.jpg` | a 64x48 JPEG |
| voice | `voice.silk` | 2.5 s of SILK v3 (what GeWe serves; `download(..., wav=True)` decodes it) |
| video | `video.mp4` | 12 s of H.264 in MP4, 64x48 |
| file | `file.txt` | a line of text |

Which kind an operation downloads is read from its name (`downloadVoice` -> voice), so a download
operation a later spec adds is served too: any operation whose example reply has `data.fileUrl`.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

#: kind -> (file in samples/, content type)
SAMPLES: dict[str, tuple[str, str]] = {
    "image": ("image.jpg", "image/jpeg"),
    "voice": ("voice.silk", "audio/silk"),
    "video": ("video.mp4", "video/mp4"),
    "file": ("file.txt", "text/plain"),
}
#: words in an operation's name that say which kind it downloads (else: file)
_WORDS = (("image", ("image", "img", "pic")), ("voice", ("voice", "silk", "audio")), ("video", ("video",)))


def download_kind(op: str) -> str:
    """The kind of media the operation `op` ("module.operation") downloads, from its name."""
    name = op.rpartition(".")[2].lower()
    return next((kind for kind, words in _WORDS if any(w in name for w in words)), "file")


def file_url_reply(reply: Any) -> dict[str, Any] | None:
    """`reply`'s `data` when it is an example reply carrying a `fileUrl` (a download's), else None."""
    data = reply.get("data") if isinstance(reply, dict) else None
    return data if isinstance(data, dict) and isinstance(data.get("fileUrl"), str) else None


@cache
def sample(name: str) -> bytes:
    """The bytes of the sample file `name` (one of SAMPLES' files)."""
    return resources.files(__package__).joinpath("samples", name).read_bytes()
