"""`python -m tools.gewe_pull [--site URL] [--exports DIR]` (`make pull [DOCS=<site URL>]`).

Reads `<site>/llms.txt`, downloads every page it links into a staging folder, and replaces
openapi/exports/ with it only when every page arrived and parses (all or nothing). The site comes
from --site, else from openapi/docs-site.toml. Exits 1, naming each failed URL and its problem,
with the exports folder as it was; else prints "N pages: a added, c changed, r removed,
u unchanged" and names the pages that changed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tomllib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from .errors import PullError
from .exports import Changes, compare, staging, stranded, swap
from .fetch import Settings, fetch_index, fetch_pages
from .index import Index, Page, index_url, parse

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "openapi" / "docs-site.toml"


def read_config(path: Path) -> dict[str, Any]:
    """The pull settings of a TOML file: `site` (required), and optionally `concurrency`,
    `timeout` and `retries`."""
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PullError(str(path), f"cannot read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PullError(str(path), f"not valid TOML: {exc}") from None
    kinds: dict[str, type | tuple[type, ...]] = {
        "site": str,
        "concurrency": int,
        "timeout": (int, float),
        "retries": int,
    }
    for key, value in config.items():
        if key not in kinds or not isinstance(value, kinds[key]) or isinstance(value, bool):
            raise PullError(str(path), f"unexpected setting {key} = {value!r} (known: {', '.join(kinds)})")
    if "site" not in config:
        raise PullError(str(path), 'no `site = "https://..."` setting')
    return config


@contextmanager
def progress(total: int, out: TextIO) -> Iterator[Callable[[Page], None]]:
    """A progress bar on a terminal; otherwise one plain line per page fetched."""
    if out.isatty():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        bar = Progress(
            TextColumn("pulling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=Console(file=out), transient=True,
        )  # fmt: skip
        task = bar.add_task("pages", total=total)
        with bar:
            yield lambda _page: bar.advance(task)
        return
    count = 0

    def line(page: Page) -> None:
        nonlocal count
        count += 1
        print(f"fetched {count}/{total}: {page.url}", file=out, flush=True)

    yield line


def describe(changes: Changes, titles: dict[str, str]) -> list[str]:
    lines = [changes.line()]
    for kind, names in (("changed", changes.changed), ("added", changes.added), ("removed", changes.removed)):
        lines += [f"  {kind}: {n}" + (f" ({titles[n]})" if titles.get(n, n) != n else "") for n in names]
    return lines


def pull(site: str, exports: Path, settings: Settings, out: TextIO) -> Changes:
    """Pull every page the site's index links into `exports`, all or nothing; a PullError if any fails.

    Several failed pages are one PullError whose problem lists each (`url: problem` a line).
    """
    url = index_url(site)
    for folder in stranded(exports):
        print(f"note: {folder} holds the pages of a pull that was killed mid-swap", file=sys.stderr)
    found: Index = parse(asyncio.run(fetch_index(url, settings)), url)
    if not found.pages:
        raise PullError(
            url, "links no page of the site (an empty or wrong index would empty openapi/exports/)"
        )
    print(
        f"index: {url} links {len(found.pages)} pages"
        f" (ignored: {found.other_hosts} links to other sites, {found.not_pages} to non-pages)",
        file=out,
    )
    with staging(exports) as staged:
        with progress(len(found.pages), out) as done:
            errors = asyncio.run(fetch_pages(found.pages, staged, settings, done))
        if errors:
            errors.sort(key=lambda e: e.where)
            detail = "\n".join(f"  {e.where}: {e.problem}" for e in errors)
            raise PullError(url, f"{len(errors)} of {len(found.pages)} pages failed:\n{detail}")
        changes = compare(exports, staged)
        if changes.any:
            swap(exports, staged)
    titles = {p.name: p.title for p in found.pages}
    for line in describe(changes, titles):
        print(line, file=out)
    return changes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gewe-pull", description=__doc__)
    parser.add_argument("--site", help="the doc site's URL (default: `site` in --config)")
    parser.add_argument("--config", type=Path, default=CONFIG, help="default: openapi/docs-site.toml")
    parser.add_argument("--exports", type=Path, default=ROOT / "openapi" / "exports")
    parser.add_argument("--concurrency", type=int, help="pages fetched at once (default 8)")
    parser.add_argument("--timeout", type=float, help="seconds per attempt (default 30)")
    parser.add_argument("--retries", type=int, help="retries of a transient failure (default 3)")
    args = parser.parse_args(argv)
    try:
        config = read_config(args.config) if args.site is None or args.config.exists() else {}
        site = args.site or config["site"]
        given = {k: getattr(args, k) for k in ("concurrency", "timeout", "retries")}
        settings = Settings(**{k: v for k, v in {**config, **given}.items() if k != "site" and v is not None})
        pull(site, args.exports, settings, sys.stdout)
    except PullError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(f"nothing changed: {args.exports} is as it was", file=sys.stderr)
        return 1
    except OSError as exc:  # the staging folder beside the exports folder could not be made or read
        print(f"error: {exc.filename or args.exports}: {exc.strerror or exc}", file=sys.stderr)
        print(f"nothing changed: {args.exports} is as it was", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"interrupted: {args.exports} is as it was", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
