"""A doc site on 127.0.0.1 for the `make pull` tests: llms.txt and markdown pages, Apifox style.

A real HTTP server (a thread of the test process, loopback only), serving whatever the test puts
in `site.routes` (path -> Route: status, body, content type, delay). `corpus_site()` builds the
pages from the synthetic corpus (tests/fixtures/corpus.py) and an index that links them in every
way an llms.txt does: sections, absolute and relative links, links without `.md`, duplicates,
links to other hosts, images.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from tests.fixtures.corpus import GUIDE, corpus_documents
from tests.fixtures.synth import markdown

MARKDOWN = "text/markdown; charset=utf-8"


@dataclass
class Route:
    body: bytes
    status: int = 200
    content_type: str = MARKDOWN
    delay: float = 0.0  # seconds before answering
    failures: int = 0  # answer this many requests with 503 first
    retry_after: str | None = None  # ... with this Retry-After header


class DocSite:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self._stopping = threading.Event()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                site.requests.append(path)
                route = site.routes.get(path, Route(b"<html><body>Not Found</body></html>", 404, "text/html"))
                if route.failures > 0:
                    route.failures -= 1
                    route = Route(b"busy", 503, "text/plain", retry_after=route.retry_after)
                if route.delay and site._stopping.wait(route.delay):
                    return
                with contextlib.suppress(OSError):  # the client may have given up (its timeout)
                    self.send_response(route.status)
                    self.send_header("Content-Type", route.content_type)
                    self.send_header("Content-Length", str(len(route.body)))
                    if route.retry_after is not None:
                        self.send_header("Retry-After", route.retry_after)
                    self.end_headers()
                    self.wfile.write(route.body)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="doc-site", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def put(self, path: str, text: str | bytes, **kwargs: Any) -> None:
        body = text.encode("utf-8") if isinstance(text, str) else text
        self.routes[path] = Route(body, **kwargs)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


@contextmanager
def doc_site() -> Iterator[DocSite]:
    site = DocSite()
    site.start()
    try:
        yield site
    finally:
        site.stop()


def corpus_pages(count: int, start: int = 0) -> dict[str, str]:
    """`count` corpus pages (from the `start`-th) as Apifox serves them: `/api-<n>.md` -> markdown."""
    documents = corpus_documents()[start : start + count]
    return {f"/api-{start + i}.md": markdown(title, doc) for i, (_, title, doc) in enumerate(documents)}


def index(site: DocSite, pages: dict[str, str], guides: tuple[str, ...] = ("/doc-1.md",)) -> str:
    """An llms.txt linking `pages` and `guides` in every way (see the module docstring)."""
    lines = ["# GeWe 合成文档", "", "> 测试用的文档站。[首页](/)", "", "## Docs"]
    lines += [f"- [快速开始 {i}]({path.removesuffix('.md')}): 说明" for i, path in enumerate(guides)]
    lines += ["- [联系我们](https://example.invalid/contact.md): 别的站点", "", "## API Docs"]
    for i, path in enumerate(sorted(pages, key=lambda p: int(p[5:-3]))):
        target = (
            f"{site.url}{path}" if i % 3 == 0  # absolute
            else path.removesuffix(".md") if i % 3 == 1  # relative, without .md
            else path.lstrip("/")  # relative to the index
        )  # fmt: skip
        lines.append(f"- 模块 > 接口 [接口 {path}]({target}): 第{i}个接口 ![图标](/assets/icon-{i}.png)")
    first = min(pages, key=lambda p: int(p[5:-3]))
    lines += [
        "",
        "## Optional",
        f"- [又是第一个]({site.url}{first}) <{site.url}{first}#section>",  # duplicates
        "- [图](/assets/arch.png): an image link, no page",
        "- [全文](/llms-full.txt)",
        "- [外站](https://other.example.invalid/api-1.md)",
    ]
    return "\n".join(lines) + "\n"


def serve(site: DocSite, pages: dict[str, str], guides: tuple[str, ...] = ("/doc-1.md",)) -> None:
    """Put `pages`, `guides` and their index on `site` (replacing what was there)."""
    site.routes.clear()
    for path, text in pages.items():
        site.put(path, text)
    for path in guides:
        site.put(path, GUIDE)
    site.put("/llms.txt", index(site, pages, guides), content_type="text/plain; charset=utf-8")
