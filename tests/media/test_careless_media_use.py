"""`client.message.download(event, to=...)`: a target of any shape that cannot be written is a
GeweMediaError before anything is downloaded, never a raw ValueError; a name without an extension
gets the one its bytes call for, as `Image.save` adds one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from gewe import GeweMediaError
from gewe.events.models import FileEvent, VideoEvent, VoiceEvent
from tests.media.test_download import download, downloads, fake_gewe, image_event
from tests.support import media_samples


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# --- download(to=...): every path shape is a GeweMediaError, checked before anything is fetched ---


def _bad_targets(tmp_path: Path) -> dict[str, tuple[Any, str]]:
    blocker = tmp_path / "a-file.txt"
    blocker.write_bytes(b"x")
    (tmp_path / "somedir").mkdir()
    return {
        "dot": (".", "names no file"),
        "dotdot": ("..", "names no file"),
        "dotdot-in-a-folder": (tmp_path / "somedir" / "..", "names no file"),
        "root": ("/", "names no file"),
        "empty": ("", "names no file"),
        "a-folder": (tmp_path / "somedir", "is a folder"),
        "no-such-folder": (tmp_path / "missing" / "out.jpg", "does not exist"),
        "under-a-file": (blocker / "out.jpg", "is not a folder"),
        "nul": (str(tmp_path / "a\0b.jpg"), "NUL"),
        "not-a-path": (42, "a path"),
    }


@pytest.mark.parametrize(
    "shape",
    [
        "dot",
        "dotdot",
        "dotdot-in-a-folder",
        "root",
        "empty",
        "a-folder",
        "no-such-folder",
        "under-a-file",
        "nul",
        "not-a-path",
    ],
)
def test_a_target_that_cannot_be_written_is_a_media_error_before_any_call(
    mode: str, tmp_path: Path, shape: str
) -> None:
    to, problem = _bad_targets(tmp_path)[shape]
    before = sorted(p.name for p in tmp_path.iterdir())
    with fake_gewe() as fake:
        downloads(fake, "message.downloadImage", media_samples.png())
        with pytest.raises(GeweMediaError, match=problem):
            download(fake, mode, image_event(), to=to)
        assert fake.calls() == []  # nothing downloaded (nor paced) for a path that cannot work
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_read_only_folder_is_a_media_error(mode: str, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    # root writes to any folder whatever its mode: then a folder no one can create files in, /proc
    folder = Path("/proc") if os.geteuid() == 0 else locked
    try:
        with fake_gewe() as fake:
            downloads(fake, "message.downloadImage", media_samples.png())
            with pytest.raises(GeweMediaError, match="cannot write"):
                download(fake, mode, image_event(), to=folder / "gewe-sdk-test-out.png")
        assert not (folder / "gewe-sdk-test-out.png").exists() and list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_a_write_that_fails_is_a_media_error_and_leaves_nothing(mode: str, tmp_path: Path) -> None:
    """The folder vanishes between the check and the write: the OSError is typed, no temp file left."""
    import gewe.resources.message as message_module

    folder = tmp_path / "gone"
    folder.mkdir()
    real = message_module.write_atomically

    def vanish_first(target: Path, data: bytes) -> Path:
        folder.rmdir()
        return real(target, data)

    with pytest.MonkeyPatch.context() as patch, fake_gewe() as fake:
        patch.setattr(message_module, "write_atomically", vanish_first)
        downloads(fake, "message.downloadImage", media_samples.png())
        with pytest.raises(GeweMediaError, match="cannot write"):
            download(fake, mode, image_event(), to=folder / "out.png")
    assert list(tmp_path.iterdir()) == []


# --- download(to=...) adds the extension the name lacks, as Image.save does ------------------------


def test_a_name_without_an_extension_gets_the_right_one(mode: str, tmp_path: Path) -> None:
    pytest.importorskip("pysilk")
    from gewe.media.convert import to_silk

    silk, _ = to_silk(media_samples.wav(0.5))
    voice = VoiceEvent(app_id="wx_app", msg_id=7, content="<msg><voicemsg voicelength='500'/></msg>")
    video = VideoEvent(app_id="wx_app", content="<msg><videomsg/></msg>")
    report = FileEvent(app_id="wx_app", content="<msg><appmsg/></msg>", file_name="Q3 report.pdf", ext="pdf")
    with fake_gewe() as fake:
        downloads(fake, "message.downloadVoice", silk)
        downloads(fake, "message.downloadImage", media_samples.png())
        downloads(fake, "message.downloadVideo", media_samples.video(1))
        downloads(fake, "message.downloadFile", b"%PDF-1.7\n" + b"f" * 100)
        written = {
            "wav": download(fake, mode, voice, to=tmp_path / "voice-out", wav=True),
            "silk": download(fake, mode, voice, to=tmp_path / "voice-raw"),
            "image": download(fake, mode, image_event(), to=tmp_path / "picture"),
            "video": download(fake, mode, video, to=tmp_path / "clip"),
            "file": download(fake, mode, report, to=tmp_path / "report"),
            "kept": download(fake, mode, image_event(), to=tmp_path / "picture.bin"),
        }
    assert {k: p.name for k, p in written.items()} == {
        "wav": "voice-out.wav",
        "silk": "voice-raw.silk",
        "image": "picture.png",
        "video": "clip.mp4",
        "file": "report.pdf",
        "kept": "picture.bin",  # an extension given is kept as it is
    }
    assert written["wav"].read_bytes()[:4] == b"RIFF" and written["silk"].read_bytes() == silk
    assert written["image"].read_bytes() == media_samples.png()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written.values())
