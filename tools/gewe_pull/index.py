"""The doc site's `llms.txt` index (llmstxt.org format): which pages to pull, and where each one goes.

Every markdown link (`[title](url)`, in a list item, a section or a note) and every `<https://...>`
autolink is a candidate, absolute or relative to the index. Kept: links to a page on the site's
own host. Dropped: images (`![...](...)`), links to other hosts, other schemes (`mailto:`), the
site's home page, and files that are no pages (images, archives, `.txt`, `.json`, ... by their
extension). A page link without `.md` gets it appended (Apifox, like llmstxt.org, serves a page's
markdown at its URL + `.md`; a folder link `/x/` is `/x/index.html.md`). Query and fragment are
dropped, and a page linked twice is pulled once.

A page's file below openapi/exports/ is its URL path (below the site's own path, decoded, with
characters a file name cannot hold replaced by `_`): the same page keeps its file between pulls
whatever its title or section becomes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from .errors import PullError

INDEX = "llms.txt"
# [text](target "title") with one level of brackets in the text; a leading "!" marks an image.
_LINK = re.compile(
    r"(!?)\[((?:[^\[\]\n]|\[[^\]\n]*\])*)\]\(\s*<?([^\s)<>]+)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)"
)
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
# Extensions of files that are not pages (lower case, with the dot).
_NOT_PAGES_TEXT = """
.png .jpg .jpeg .gif .webp .svg .ico .bmp .tif .tiff .avif .mp4 .webm .mov .mp3 .wav .ogg .pdf .zip .gz
.tgz .rar .7z .tar .txt .json .yaml .yml .xml .csv .css .js .mjs .map .woff .woff2 .ttf .eot .exe .dmg
.apk .doc .docx .xls .xlsx .ppt .pptx
"""
NOT_PAGES = frozenset(_NOT_PAGES_TEXT.split())
_UNSAFE = re.compile(r'[\x00-\x1f\x7f\\:*?"<>|]')


@dataclass(frozen=True)
class Page:
    """One page to pull: the markdown URL, its file below the exports folder, its title in the index."""

    url: str
    name: str
    title: str


@dataclass(frozen=True)
class Index:
    """The pages an index links, and how many links it ignored."""

    url: str
    pages: list[Page]
    other_hosts: int
    not_pages: int


def index_url(site: str) -> str:
    """`<site>/llms.txt`; a PullError if `site` is not an http(s) URL with a host."""
    parts = urlsplit(site.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PullError(site, "the doc site must be an http:// or https:// URL, e.g. https://doc.geweapi.com")
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme, parts.netloc, path + INDEX, "", ""))


def file_name(path: str, prefix: str) -> str | None:
    """The file for a page's URL path (see the module docstring); None if it has no usable name."""
    if path.startswith(prefix):
        path = path[len(prefix) :]
    parts = [_UNSAFE.sub("_", unquote(p)) for p in path.split("/") if p]
    if not parts or any(p in (".", "..") for p in parts):
        return None
    return "/".join(parts)


def _page_path(path: str) -> str | None:
    """The markdown path for a linked path, or None if the link is no page."""
    if path.endswith("/"):
        return path + "index.html.md"
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in (".md", ".markdown"):
        return path
    if suffix in NOT_PAGES:
        return None
    return path + ".md"


def parse(text: str, url: str) -> Index:
    """The pages linked from index `text` (fetched from `url`), in the order they are first linked."""
    base = urlsplit(url)
    host = base.netloc.lower()
    prefix = base.path.rsplit("/", 1)[0] + "/"
    found: dict[str, Page] = {}
    names: set[str] = set()
    other_hosts = not_pages = 0
    links = [(m.start(), m.group(1) == "!", m.group(3), m.group(2)) for m in _LINK.finditer(text)]
    links += [(m.start(), False, m.group(1), "") for m in _AUTOLINK.finditer(text)]
    for _, image, target, title in sorted(links):
        parts = urlsplit(urljoin(url, target))
        if parts.scheme not in ("http", "https") or parts.netloc.lower() != host:
            other_hosts += parts.scheme in ("http", "https")
            continue
        path = _page_path(parts.path) if not image and parts.path not in ("", "/", prefix) else None
        name = file_name(path, prefix) if path else None
        if path is None or name is None or path == base.path:
            not_pages += 1
            continue
        page_url = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
        if page_url in found or name in names:
            continue
        names.add(name)
        found[page_url] = Page(page_url, name, " ".join(title.split()) or name)
    return Index(url, list(found.values()), other_hosts, not_pages)
