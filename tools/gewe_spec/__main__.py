"""`python -m tools.gewe_spec [--exports DIR] [--out FILE] [--check]`.

Our own pages, in the `pages` folder beside the exports folder (openapi/pages/), are bundled after
GeWe's; an operation both define keeps GeWe's page (bundle.py, `our_pages`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import SpecError, bundle, dump, write_atomically
from .report import Report


def main(argv: list[str] | None = None) -> int:
    """Bundle (or with --check, compare); 1 and one `error: <file>: <problem>` line on bad input."""
    parser = argparse.ArgumentParser(prog="gewe-spec", description=__doc__)
    parser.add_argument("--exports", type=Path, default=Path("openapi/exports"))
    parser.add_argument("--out", type=Path, default=Path("openapi/gewe.yaml"))
    parser.add_argument("--check", action="store_true", help="fail if --out is not what the exports give")
    parser.add_argument(
        "--read-only",
        type=Path,
        default=None,
        help="reviewed read-only exceptions (default: openapi/read-only.yml)",
    )
    args = parser.parse_args(argv)
    report = Report()
    try:
        text = dump(
            bundle(
                args.exports,
                notice=lambda msg: print(msg, file=sys.stderr),
                report=report,
                read_only=args.read_only,
            )
        )
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not args.check:  # --check (part of `make check`) stays quiet unless the spec is stale
        for line in report.lines():
            print(line, file=sys.stderr)
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else None
        if current != text:
            print(
                f"stale: {args.out} differs from what {args.exports} gives; run `make spec`", file=sys.stderr
            )
            return 1
        return 0
    try:
        write_atomically(args.out, text)
    except OSError as exc:
        print(f"error: {args.out}: cannot write: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.out} ({text.count(chr(10))} lines)", file=sys.stderr)
    from tools.gewe_release.summary import print_summary  # operations added/removed/changed per module

    print_summary(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
