"""Download the index and the pages: concurrently (bounded), with retries on transient failures.

Transient: a connection that fails or drops, a timeout, HTTP 429 and 5xx; each is retried up to
`retries` times with exponential backoff (or after the reply's Retry-After seconds, up to 30).
Anything else (404, 403, ...) fails at once. A page must be UTF-8 text, not HTML (a login wall
or an error page served with 200), and must parse as a page (tools/gewe_spec/pages.py: an API
page's OpenAPI block parses; a guide page has none); each problem is a PullError naming the URL.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from tools.gewe_spec.errors import SpecError
from tools.gewe_spec.pages import read_page

from .errors import PullError
from .index import Page

TRANSIENT = frozenset({429, 500, 502, 503, 504})
_HTML = re.compile(r"\A\s*(<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])", re.I)
USER_AGENT = "gewe-sdk make pull (+https://llmstxt.org)"
MAX_RETRY_AFTER = 30.0  # seconds: a longer Retry-After is capped (the retries are few)
sleep = asyncio.sleep  # the wait between attempts (a test records it instead)


@dataclass(frozen=True)
class Settings:
    """How pages are fetched."""

    concurrency: int = 8
    timeout: float = 30.0  # seconds, per attempt
    retries: int = 3  # after the first attempt, for transient failures only
    backoff: float = 0.5  # seconds before the first retry, doubled each time


def client(settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=settings.timeout,
        follow_redirects=True,
        headers={"User-Agent": USER_AGENT, "Accept": "text/markdown, text/plain;q=0.9, */*;q=0.1"},
    )


async def get(http: httpx.AsyncClient, url: str, settings: Settings) -> bytes:
    """The body of a 2xx reply to GET `url`, retrying transient failures; else a PullError."""
    problem = ""
    asked: float | None = None  # the last reply's Retry-After, in seconds
    for attempt in range(settings.retries + 1):
        if attempt:
            backoff = settings.backoff * 2 ** (attempt - 1)
            await sleep(min(asked, MAX_RETRY_AFTER) if asked is not None else backoff)
        try:
            response = await http.get(url)
        except httpx.TimeoutException:
            problem = f"timed out (no answer within {settings.timeout:g} s)"
            continue
        except httpx.TransportError as exc:
            problem = f"connection failed ({type(exc).__name__}: {exc})" if str(exc) else type(exc).__name__
            continue
        except httpx.InvalidURL as exc:
            raise PullError(url, f"not a URL that can be fetched: {exc}") from None
        if response.is_success:
            return response.content
        problem = f"HTTP {response.status_code} {response.reason_phrase}".strip()
        if response.status_code not in TRANSIENT:
            raise PullError(url, problem)
        asked = _retry_after(response)
    attempts = settings.retries + 1
    raise PullError(url, f"{problem}, after {attempts} attempt{'s' if attempts > 1 else ''}")


def _retry_after(response: httpx.Response) -> float | None:
    """A Retry-After header given in seconds (an HTTP date is ignored: the backoff applies)."""
    try:
        return max(0.0, float(response.headers.get("retry-after", "")))
    except ValueError:
        return None


def text_of(url: str, body: bytes) -> str:
    """The markdown text of a reply; a PullError if it is empty, not UTF-8 or HTML."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PullError(url, "not UTF-8 text") from None
    if not text.strip():
        raise PullError(url, "empty page")
    if _HTML.match(text):
        raise PullError(url, "HTML instead of markdown (a login wall or an error page?)")
    return text


def save_page(page: Page, body: bytes, folder: Path) -> None:
    """Write a fetched page below `folder` as it came, and check that it parses as a page."""
    text_of(page.url, body)
    path = folder / page.name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    except OSError as exc:
        raise PullError(page.url, f"cannot save it as {page.name}: {exc.strerror or exc}") from None
    try:
        read_page(path, page.url)
    except SpecError as exc:
        raise PullError(page.url, exc.problem) from None


async def fetch_pages(
    pages: list[Page], folder: Path, settings: Settings, done: Callable[[Page], None]
) -> list[PullError]:
    """Fetch every page into `folder`; the problems (empty when every page arrived and parses)."""
    gate = asyncio.Semaphore(max(1, settings.concurrency))

    async def one(http: httpx.AsyncClient, page: Page) -> None:
        async with gate:
            body = await get(http, page.url, settings)
        save_page(page, body, folder)
        done(page)

    async with client(settings) as http:
        results = await asyncio.gather(*(one(http, p) for p in pages), return_exceptions=True)
    errors = []
    for result in results:
        if isinstance(result, PullError):
            errors.append(result)
        elif isinstance(result, BaseException):
            raise result
    return errors


async def fetch_index(url: str, settings: Settings) -> str:
    """The text of the llms.txt index at `url`."""
    async with client(settings) as http:
        return text_of(url, await get(http, url, settings))
