"""A minimal HTTP/1.1 keep-alive server that answers every request with one pre-built reply.

    python bench/server.py --port PORT --body FILE

It is the "fast loopback server" of the benchmarks: asyncio, one process of its own (so it does not
share the client's GIL), binds 127.0.0.1 only, and sends the same bytes to every request, whatever
its path, so that what is measured is the client. It reads each request's head up to the blank line
and then skips `Content-Length` bytes of body; pipelined requests on one connection are answered in
order. It prints `listening on 127.0.0.1:PORT` once ready and runs until SIGTERM/SIGINT.

Stdlib only: it is started with whichever interpreter runs the bench.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

HOST = "127.0.0.1"
MAX_HEAD = 64 * 1024


def build_reply(body: bytes) -> bytes:
    head = (
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: application/json; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: keep-alive\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body


class ReplyProtocol(asyncio.Protocol):
    """Answers each complete request on the connection with `reply`."""

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buf = self.buffer
        buf += data
        transport = self.transport
        assert transport is not None
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > MAX_HEAD:
                    transport.close()
                return
            length = _content_length(bytes(buf[:end]))
            total = end + 4 + length
            if len(buf) < total:
                return
            del buf[:total]
            transport.write(self.reply)


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


async def serve(port: int, reply: bytes) -> None:
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    server = await loop.create_server(
        lambda: ReplyProtocol(reply), HOST, port, backlog=1024, reuse_address=True
    )
    print(f"listening on {HOST}:{port}", flush=True)
    async with server:
        await stop


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", type=Path, required=True, help="file with the reply body (JSON)")
    args = parser.parse_args()
    asyncio.run(serve(args.port, build_reply(args.body.read_bytes())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
