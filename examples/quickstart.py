"""Configure a client and make a call: fetch a group's QR code, save it, print its expiry and link.

    export GEWE_TOKEN=... GEWE_APP_ID=wx_...   # GEWE_BASE_URL too, for a mock or a private cloud
    python examples/quickstart.py [chatroom-id]

The image is saved in the current folder as group-qr.jpg (or .png, as GeWe sends it).
"""

from __future__ import annotations

import sys

from gewe import GeweClient, GeweDependencyError, GeweError


def main(chatroom_id: str) -> int:
    try:
        # token, app_id and base_url come from GEWE_TOKEN, GEWE_APP_ID and GEWE_BASE_URL here;
        # GeweClient(token=..., app_id=..., base_url=...) says them in code instead.
        with GeweClient() as client:
            qr = client.group.get_chatroom_qr_code(chatroom_id=chatroom_id)
    except GeweError as err:  # every error the SDK raises is a GeweError
        print(f"the call failed: {err}", file=sys.stderr)
        return 1
    saved = qr.image.save("group-qr")
    print(f"saved {saved.name} ({qr.image.mime_type}, {len(qr.image.data)} bytes)")
    print(f"tips: {qr.tips}")
    print(f"expires at: {qr.expires_at.isoformat()}")
    try:
        print(f"join link: {qr.url}")
    except GeweDependencyError as err:  # decoding the link needs: pip install 'gewe-sdk[qr]'
        print(f"join link: not decoded ({err})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "34757816141@chatroom"))
