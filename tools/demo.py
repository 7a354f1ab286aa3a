"""`make demo`: Prism plays the GeWe cloud; the SDK fetches a group QR, saves it, prints its expiry and link.

Prism serves openapi/gewe.yaml on a free loopback port and answers with the spec's examples, after
checking each request against the spec (token header, required fields), exactly as the contract
tests use it. Against the real cloud, drop base_url and set GEWE_TOKEN / GEWE_APP_ID instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gewe import GeweClient, GeweDependencyError, GeweError  # noqa: E402
from tools.servers import PrismServer, ServerError  # noqa: E402

OUTPUT = ROOT / "build" / "demo" / "group-qr"


def main() -> int:
    try:
        with PrismServer() as prism:
            print(f"Prism is serving openapi/gewe.yaml at {prism.base_url} (pid {prism.pid})")
            with GeweClient(token="demo-token", app_id="wx_demo_app", base_url=prism.base_url) as client:
                qr = client.group.get_chatroom_qr_code(chatroom_id="34757816141@chatroom")
    except (GeweError, ServerError) as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    saved = qr.image.save(OUTPUT)
    print(f"group QR saved:  {saved.relative_to(ROOT)} ({qr.image.mime_type}, {len(qr.image.data)} bytes)")
    print(f"tips:            {qr.tips}")
    print(f"expires at:      {qr.expires_at.isoformat()} (Asia/Shanghai)")
    try:
        print(f"join link:       {qr.url}")
    except GeweDependencyError as exc:
        print(f"join link:       unavailable: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
