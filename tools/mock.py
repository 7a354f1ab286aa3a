"""`make mock`: Prism serving openapi/gewe.yaml on a fixed loopback port until Ctrl-C.

Prism answers each operation with the spec's example after checking the request against the spec
(the token header, required fields, types), as the contract tests use it. Point the SDK at it:

    GeweClient(token="...", app_id="wx_app", base_url="http://127.0.0.1:4010")
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.servers import LOOPBACK, SPEC, PrismServer, ServerError  # noqa: E402

PORT = 4010


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=PORT, help=f"port on {LOOPBACK} (default {PORT})")
    parser.add_argument("--spec", type=Path, default=SPEC, help="default: openapi/gewe.yaml")
    args = parser.parse_args(argv)
    prism = PrismServer(args.spec, port=args.port, errors=True)
    try:
        with prism:
            print(f"Prism is serving {args.spec} at {prism.base_url} (pid {prism.pid}); Ctrl-C stops it.")
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
        hint = f"\nis port {args.port} taken? try `make mock MOCK_PORT=...`" if taken else ""
        print(f"mock: error: {exc}{hint}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
