"""Per-call options, cheap client variants and the raw HTTP reply.

    export GEWE_TOKEN=... GEWE_APP_ID=wx_...
    python examples/per_call_options.py

Every method takes, besides its request fields, the options listed once in api.md ("Per-call
options"): extra_body, extra_headers, timeout, max_retries and idempotent.
"""

from __future__ import annotations

import sys

from gewe import GeweClient, GeweError

ROOM = "34757816141@chatroom"


def main() -> int:
    try:
        with GeweClient() as client:
            qr = client.group.get_chatroom_qr_code(
                chatroom_id=ROOM,
                app_id=client.app_id,  # per call; by default the client's
                extra_headers={"X-Trace-Id": "example-1"},  # never the token header
                timeout=5.0,  # seconds, this call only
                max_retries=0,  # this call only
                idempotent=True,  # allow retrying timeouts and overload replies
            )
            print(f"per-call options: {qr.tips}")

            # A copy with other settings that shares the connection pool (close the original).
            fast = client.with_options(timeout=3.0, max_retries=0, strict=True)
            print(f"with_options(strict=True): {fast.group.get_chatroom_qr_code(chatroom_id=ROOM).tips}")

            # The HTTP reply itself, and the typed result from it.
            raw = client.with_raw_response(client.group.get_chatroom_qr_code, chatroom_id=ROOM)
            print(f"raw: HTTP {raw.status_code}, content-type {raw.headers.get('content-type')}")
            print(f"raw.parse() is the method's result: {raw.parse().tips == qr.tips}")
    except GeweError as err:
        print(f"the call failed: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
