"""`make pull` against a doc site served on 127.0.0.1 from synthetic pages (tests/support/docsite.py).

Every pull writes into a scratch exports folder of the test's own, never the repository's.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.corpus import GUIDE
from tests.support.docsite import DocSite, corpus_pages, doc_site, serve
from tools.gewe_pull import fetch
from tools.gewe_pull.__main__ import main

FAST = ["--timeout", "1", "--retries", "1"]


@pytest.fixture
def site() -> Iterator[DocSite]:
    with doc_site() as served:
        yield served


def pull(site: DocSite, exports: Path, *extra: str) -> int:
    return main(["--site", site.url, "--exports", str(exports), *FAST, *extra])


def snapshot(folder: Path) -> str:
    """A hash of every file name and byte below `folder` (and of the folder beside it)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        if path.is_file():
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def pulled_once(site: DocSite, tmp_path: Path, count: int) -> tuple[dict[str, str], Path, str]:
    """Serve `count` corpus pages and pull them: (the pages, the exports folder, its snapshot)."""
    pages = corpus_pages(count)
    serve(site, pages)
    exports = tmp_path / "exports"
    assert pull(site, exports) == 0
    return pages, exports, snapshot(tmp_path)


def test_the_first_pull_takes_every_page_of_the_index_once(
    site: DocSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = corpus_pages(9)
    serve(site, pages)
    exports = tmp_path / "openapi" / "exports"
    assert pull(site, exports) == 0
    out = capsys.readouterr().out
    names = sorted(p.relative_to(exports).as_posix() for p in exports.rglob("*") if p.is_file())
    assert names == sorted([p.lstrip("/") for p in pages] + ["doc-1.md"])
    for path, text in pages.items():
        assert (exports / path.lstrip("/")).read_text(encoding="utf-8") == text  # as served
    assert (exports / "doc-1.md").read_text(encoding="utf-8") == GUIDE  # guide pages too
    # each page once; never the images, the full text, the home page or another host
    fetched = [r for r in site.requests if r != "/llms.txt"]
    assert sorted(fetched) == sorted([*pages, "/doc-1.md"])
    assert "10 pages: 10 added, 0 changed, 0 removed, 0 unchanged\n" in out
    assert "links 10 pages (ignored: 2 links to other sites, 12 to non-pages)\n" in out  # 9 icons, 3 more
    assert out.count("fetched ") == 10  # not a terminal: a plain line per page
    assert "  added: api-0.md (接口 /api-0.md)\n" in out
    assert [p.name for p in exports.parent.iterdir()] == ["exports"]  # no staging folder left


def test_a_second_pull_reports_and_applies_what_changed(
    site: DocSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = corpus_pages(6)
    serve(site, pages)
    exports = tmp_path / "exports"
    assert pull(site, exports) == 0
    kept = (exports / "api-1.md").stat().st_ino
    capsys.readouterr()

    pages["/api-2.md"] = pages["/api-2.md"].replace("合成接口", "改过的接口")  # one changed
    del pages["/api-4.md"]  # one gone from the index
    pages.update(corpus_pages(1, start=20))  # one new
    serve(site, pages)
    assert pull(site, exports) == 0
    out = capsys.readouterr().out
    assert "7 pages: 1 added, 1 changed, 1 removed, 5 unchanged\n" in out
    assert "  changed: api-2.md (接口 /api-2.md)\n" in out
    assert "  added: api-20.md" in out and "  removed: api-4.md\n" in out
    assert not (exports / "api-4.md").exists()
    assert (exports / "api-2.md").read_text(encoding="utf-8") == pages["/api-2.md"]
    assert (exports / "api-1.md").stat().st_ino != kept  # the folder was swapped whole

    before = snapshot(exports)
    inode = exports.stat().st_ino
    assert pull(site, exports) == 0  # nothing new: the folder is not touched at all
    assert "7 pages: 0 added, 0 changed, 0 removed, 7 unchanged\n" in capsys.readouterr().out
    assert snapshot(exports) == before and exports.stat().st_ino == inode


BROKEN_YAML = "# 坏页\n\n```yaml\nopenapi: 3.0.1\npaths: {\n```\n"


@pytest.mark.parametrize(
    ("route", "problem"),
    [
        ({"status": 404}, "HTTP 404 Not Found"),
        ({"status": 500}, "HTTP 500 Internal Server Error, after 2 attempts"),
        ({"text": "<!DOCTYPE html><html><body>请登录</body></html>"}, "HTML instead of markdown"),
        ({"text": BROKEN_YAML}, "YAML does not parse"),
        ({"text": b"\xff\xfe# bad"}, "not UTF-8 text"),
        ({"delay": 5.0}, "timed out (no answer within 0.3 s), after 2 attempts"),
    ],
    ids=["404", "500 after retries", "login wall", "bad yaml", "not utf-8", "slow page"],
)
def test_a_failed_page_changes_nothing_and_names_the_url(
    site: DocSite, tmp_path: Path, capsys: pytest.CaptureFixture[str], route: dict[str, object], problem: str
) -> None:
    pages, exports, before = pulled_once(site, tmp_path, 5)
    capsys.readouterr()

    pages["/api-1.md"] = pages["/api-1.md"] + "\n改了\n"  # a change that must not land
    serve(site, pages)
    text = route.pop("text", None)
    if route.get("status", 200) != 200:
        site.routes["/api-3.md"].status = int(route["status"])  # type: ignore[call-overload]
    elif text is not None:
        site.put("/api-3.md", text)  # type: ignore[arg-type]
    else:
        site.routes["/api-3.md"].delay = float(route["delay"])  # type: ignore[arg-type]
    assert pull(site, exports, "--timeout", "0.3") == 1
    err = capsys.readouterr().err
    assert f"  {site.url}/api-3.md: " in err and problem in err, err
    assert "1 of 6 pages failed" in err and f"nothing changed: {exports} is as it was" in err
    assert snapshot(tmp_path) == before  # byte for byte, and no staging folder left beside it


@pytest.mark.parametrize(
    ("index", "problem"),
    [
        ({"status": 404}, "HTTP 404 Not Found"),
        ({"text": "# 空\n\n- [外站](https://example.invalid/a.md)\n"}, "links no page of the site"),
    ],
    ids=["no index", "no page"],
)
def test_a_bad_index_changes_nothing(
    site: DocSite, tmp_path: Path, capsys: pytest.CaptureFixture[str], index: dict[str, object], problem: str
) -> None:
    _, exports, before = pulled_once(site, tmp_path, 2)
    if "status" in index:
        site.routes["/llms.txt"].status = int(index["status"])  # type: ignore[call-overload]
    else:
        site.put("/llms.txt", str(index["text"]))
    assert pull(site, exports) == 1
    err = capsys.readouterr().err
    assert f"error: {site.url}/llms.txt: " in err and problem in err
    assert snapshot(tmp_path) == before


def test_transient_failures_are_retried(site: DocSite, tmp_path: Path) -> None:
    serve(site, corpus_pages(3))
    site.routes["/api-1.md"].failures = 1  # one 503, then the page
    assert pull(site, tmp_path / "exports") == 0
    assert site.requests.count("/api-1.md") == 2
    assert (tmp_path / "exports" / "api-1.md").is_file()


@pytest.mark.parametrize(
    ("retry_after", "waited"), [(None, [0.5, 1.0]), ("0", [0.0, 0.0]), ("3600", [30.0, 30.0])]
)
def test_waits_follow_retry_after_or_back_off(
    site: DocSite,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    retry_after: str | None,
    waited: list[float],
) -> None:
    serve(site, corpus_pages(2))
    site.routes["/api-1.md"].failures = 2
    site.routes["/api-1.md"].retry_after = retry_after
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    monkeypatch.setattr(fetch, "sleep", sleep)
    assert main(["--site", site.url, "--exports", str(tmp_path / "exports"), "--retries", "2"]) == 0
    assert sleeps == waited  # backoff 0.5 s doubling; a Retry-After in seconds, at most 30


def test_a_swap_that_fails_puts_the_old_pages_back(
    site: DocSite, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pages, exports, before = pulled_once(site, tmp_path, 3)
    pages["/api-0.md"] += "\n改了\n"
    serve(site, pages)
    calls: list[str] = []
    real_rename = os.rename

    def rename(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls.append(str(dst))
        if len(calls) == 2:  # the staged folder into place
            raise OSError(28, "No space left on device")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    assert pull(site, exports) == 1
    assert "cannot replace the folder: No space left on device" in capsys.readouterr().err
    assert len(calls) == 3 and snapshot(tmp_path) == before


def test_an_exports_folder_that_cannot_be_made_is_an_error_not_a_traceback(
    site: DocSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve(site, corpus_pages(1))
    (tmp_path / "openapi").write_text("a file where the folder should be", encoding="utf-8")
    assert pull(site, tmp_path / "openapi" / "exports") == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path / 'openapi'}") and "Traceback" not in err
