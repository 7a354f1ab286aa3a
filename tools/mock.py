"""`make mock`: a fake GeWe (gewe.testing.FakeGewe) on a fixed loopback port until Ctrl-C.

It serves every operation of the generated package's spec (the page's example replies, requests
checked against the spec), plays GeWe's side of `login.setCallback` (the test message) and of the
login flow, and pushes messages at the bot's callback URL on `gewe fake push`:

    make mock                                   # prints the GEWE_* variables to export
    gewe fake push text --to wxid_carol "hello"   # once the bot has set its callback URL

`--prism` serves openapi/gewe.yaml with Prism instead (what the contract tests use).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.servers import LOOPBACK, SPEC, PrismServer, ServerError  # noqa: E402

PORT = 4010


def serve_prism(spec: Path, port: int) -> int:
    prism = PrismServer(spec, port=port, errors=True)
    try:
        with prism:
            print(f"Prism is serving {spec} at {prism.base_url} (pid {prism.pid}); Ctrl-C stops it.")
            print(f'  e.g. GeweClient(token="...", app_id="wx_app", base_url="{prism.base_url}")', flush=True)
            while prism.server is not None and prism.server.alive():
                time.sleep(0.2)
            print(f"Prism stopped by itself:\n{prism.output()[-2000:]}", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        print("\nstopped", flush=True)
        return 0
    except ServerError as exc:
        taken = "EADDRINUSE" in str(exc)
        hint = f"\nis port {port} taken? try `make mock MOCK_PORT=...`" if taken else ""
        print(f"mock: error: {exc}{hint}", file=sys.stderr)
        return 1


async def _serve_fake(port: int) -> None:
    from gewe.testing.fake import Call, FakeGewe

    token = os.environ.get("GEWE_TOKEN") or None
    fake = FakeGewe(token=token, app_id=os.environ.get("GEWE_APP_ID") or "wx_fake_app", port=port)

    def show(call: Call) -> None:
        print(f"{call.op} " + ("refused: " + "; ".join(call.problems) if call.problems else "ok"), flush=True)

    fake.on_call = show
    async with fake:
        shown = "$GEWE_TOKEN" if token else fake.token
        print(
            f"fake GeWe is serving {len(fake.operations)} operations at {fake.base_url} (pid {os.getpid()}); "
            "Ctrl-C stops it.",
            flush=True,
        )
        print(
            f"  export GEWE_BASE_URL={fake.base_url} GEWE_TOKEN={shown} GEWE_APP_ID={fake.app_id}", flush=True
        )
        print(
            '  push at the bot once it has set its callback: gewe fake push text --to wxid_carol "hello"',
            flush=True,
        )
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=PORT, help=f"port on {LOOPBACK} (default {PORT})")
    parser.add_argument("--prism", action="store_true", help="serve the spec with Prism instead")
    parser.add_argument("--spec", type=Path, default=SPEC, help="with --prism; default: openapi/gewe.yaml")
    args = parser.parse_args(argv)
    if args.prism:
        return serve_prism(args.spec, args.port)
    try:
        asyncio.run(_serve_fake(args.port))
    except KeyboardInterrupt:
        print("\nstopped", flush=True)
        return 0
    except OSError as exc:
        print(
            f"mock: error: cannot listen on {LOOPBACK}:{args.port}: {exc.strerror or exc}\n"
            "is the port taken? try `make mock MOCK_PORT=...`",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
