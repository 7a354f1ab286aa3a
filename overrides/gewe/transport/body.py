"""Reading a reply's body with bounded memory: decoded chunk by chunk, counted after decompression.

httpx decodes `Content-Encoding: gzip` with no limit, so a few kilobytes of gzip can expand to
gigabytes before anyone counts them. `BodyReader` decodes with zlib's `max_length`, never holds more
than `limit` decoded bytes (plus one chunk), and raises `BodyTooLarge` as soon as the reply would
exceed it; a body it cannot decode is `BodyUndecodable`. Every sender reads every reply through one.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

CHUNK = 64 * 1024
_STEP = 4 * CHUNK  # the most one decompress() call may produce
PREFIX_BYTES = 256 * 1024  # what `BodyTooLarge.prefix` keeps, for the error's `.body`


class BodyTooLarge(Exception):
    """The decoded reply would exceed the limit; `prefix` is its start (at most PREFIX_BYTES)."""

    def __init__(self, limit: int, prefix: bytes) -> None:
        super().__init__(limit)
        self.limit = limit
        self.prefix = prefix


class BodyUndecodable(Exception):
    """The reply's `Content-Encoding` is unknown, or its bytes are not what it says."""


class BodyReader:
    """Decodes one reply's body (identity, gzip or deflate) into at most `limit` bytes."""

    __slots__ = ("_decoders", "_limit", "_parts", "_size")

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        self._limit = limit
        self._parts: list[bytes] = []
        self._size = 0
        self._decoders: list[zlib._Decompress] = []
        codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
        for coding in reversed(codings):  # applied in order, so undone last to first
            if coding in ("gzip", "x-gzip"):
                self._decoders.append(zlib.decompressobj(zlib.MAX_WBITS | 16))
            elif coding == "deflate":
                self._decoders.append(zlib.decompressobj(zlib.MAX_WBITS | 32))  # zlib or gzip header
            elif coding != "identity":
                raise BodyUndecodable(f"unsupported Content-Encoding {coding!r}")

    def feed(self, chunk: bytes) -> None:
        for data in self._decode(chunk, 0):
            self._keep(data)

    def _decode(self, data: bytes, level: int) -> Iterator[bytes]:
        if level == len(self._decoders):
            yield data
            return
        decoder = self._decoders[level]
        try:
            while data:
                # never more than a chunk's worth at a time, nor more than one byte past the limit
                out = decoder.decompress(data, min(_STEP, self._limit - self._size + 1))
                yield from self._decode(out, level + 1)
                data = decoder.unconsumed_tail
        except zlib.error as exc:
            raise BodyUndecodable(f"the body does not decode as its Content-Encoding says ({exc})") from None

    def _keep(self, data: bytes) -> None:
        if self._size + len(data) > self._limit:
            raise BodyTooLarge(self._limit, self._prefix())
        if data:
            self._parts.append(data)
            self._size += len(data)

    def _prefix(self) -> bytes:
        """The first PREFIX_BYTES kept (never a copy of all of them: the reply is at its limit)."""
        kept: list[bytes] = []
        size = 0
        for part in self._parts:
            if size >= PREFIX_BYTES:
                break
            kept.append(part[: PREFIX_BYTES - size])
            size += len(kept[-1])
        return b"".join(kept)

    def finish(self) -> bytes:
        for level, decoder in enumerate(self._decoders):
            try:
                tail = decoder.flush()
            except zlib.error as exc:
                raise BodyUndecodable(f"the compressed body is cut short ({exc})") from None
            for data in self._decode(tail, level + 1):
                self._keep(data)
        return b"".join(self._parts)
