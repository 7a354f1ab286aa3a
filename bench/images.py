"""Section 5: the image helpers on the seed's 440x440 QR JPEG, against base64 + a plain file write.

`gewe.decode_image` checks the text (data: URI, whitespace, alphabet, padding) and the image
signature before it returns an `Image`; `Image.save` writes atomically: a temp file beside the
target, fsync, then rename. So besides the end-to-end pair (decode + save vs b64decode + write),
the parts are timed on their own, with a plain write that is as durable as `save`
(write + fsync + rename) to show what the durability costs.
"""

from __future__ import annotations

import base64
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from common import Sample, seed_example

import gewe


@dataclass
class ImageCase:
    key: str
    label: str
    seconds: Sample  # per operation


def _durable_write(path: Path, data: bytes) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


def image_bench(tmp: Path, rounds: int, log: Callable[[str], None]) -> tuple[dict[str, ImageCase], int, int]:
    b64: str = seed_example()["data"]["qrBase64"]
    folder = tmp / "images"
    folder.mkdir()
    sdk_path, plain_path = folder / "sdk-qr.jpg", folder / "plain-qr.jpg"
    raw = base64.b64decode(b64)
    image = gewe.decode_image(b64)
    assert image.data == raw and image.mime_type == "image/jpeg"

    def plain_write() -> None:
        with open(plain_path, "wb") as handle:
            handle.write(base64.b64decode(b64))

    def plain_write_only() -> None:
        with open(plain_path, "wb") as handle:
            handle.write(raw)

    # (key, label, operation, operations per round)
    cases: list[tuple[str, str, Callable[[], object], int]] = [
        ("sdk_end", "`gewe.decode_image(b64).save(path)`", lambda: gewe.decode_image(b64).save(sdk_path), 40),
        ("plain_end", "`base64.b64decode(b64)` + `open(path, 'wb').write(...)`", plain_write, 40),
        ("sdk_decode", "`gewe.decode_image(b64)` alone", lambda: gewe.decode_image(b64), 400),
        ("plain_decode", "`base64.b64decode(b64)` alone", lambda: base64.b64decode(b64), 400),
        ("sdk_save", "`Image.save(path)` alone (temp file, fsync, rename)", lambda: image.save(sdk_path), 40),
        ("plain_save", "plain `open(path, 'wb').write(data)` alone", plain_write_only, 40),
        (
            "durable_save",
            "plain write + fsync + `os.replace` (as durable as `save`)",
            lambda: _durable_write(plain_path, raw),
            40,
        ),
    ]
    # What decode_image does on top of b64decode, as plain Python (the same regexes as gewe.images).
    whitespace, alphabet = re.compile(r"\s+"), re.compile(r"[A-Za-z0-9+/]*")
    body = b64.rstrip("=")
    cases += [
        ("re_ws", 'step: `re.sub(r"\\s+", "", b64)` (drop whitespace)', lambda: whitespace.sub("", b64), 400),
        (
            "split_ws",
            'alternative: `"".join(b64.split())` (same whitespace)',
            lambda: "".join(b64.split()),
            400,
        ),
        (
            "re_alpha",
            'step: `re.fullmatch(r"[A-Za-z0-9+/]*", body)` (alphabet)',
            lambda: alphabet.fullmatch(body),
            400,
        ),
    ]
    log(f"  images: {len(cases)} cases, {rounds} rounds")
    samples: dict[str, list[float]] = {key: [] for key, *_ in cases}
    for case in cases:  # warm up (and create the files)
        case[2]()
    for _ in range(rounds):
        for key, _label, op, per in cases:
            start = time.perf_counter()
            for _ in range(per):
                op()
            samples[key].append((time.perf_counter() - start) / per)
    assert sdk_path.read_bytes() == plain_path.read_bytes() == raw
    result = {key: ImageCase(key, label, Sample(samples[key])) for key, label, _op, _per in cases}
    return result, len(b64), len(raw)
