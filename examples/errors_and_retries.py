"""What failures look like, and how retries are chosen.

    export GEWE_TOKEN=... GEWE_APP_ID=wx_...
    python examples/errors_and_retries.py

Three calls that fail on purpose, each caught as the error it is:

1. a field of the wrong type: the server refuses the request (GeweHTTPError, or GeweAPIError when
   GeWe answers `ret != 200`);
2. nothing listening at the address: GeweConnectionError, after the retries the policy allows;
3. a bad setting: GeweConfigError, before anything is sent.
"""

from __future__ import annotations

import socket
import sys

from gewe import (
    GeweAPIError,
    GeweAuthError,
    GeweClient,
    GeweConfigError,
    GeweConnectionError,
    GeweError,
    GeweHTTPError,
    RetryPolicy,
)

ROOM = "34757816141@chatroom"


def closed_port() -> int:
    """A loopback port nothing listens on (the OS picks a free one, and we close it again)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def main() -> int:
    caught: list[str] = []
    with GeweClient() as client:
        try:
            # extra_body wins over typed fields: here it sends a number where the API wants a string.
            client.group.get_chatroom_qr_code(chatroom_id=ROOM, extra_body={"chatroomId": 12345})
        except GeweAuthError:
            print("1. the token was refused: renew it")  # a GeweAPIError and a GeweHTTPError too
        except GeweAPIError as err:
            caught.append("api")
            print(f"1. GeWe said no: ret={err.ret} msg={err.msg!r}")
        except GeweHTTPError as err:
            caught.append("http")
            print(f"1. HTTP {err.status_code}: {err.body_excerpt}")

    # Failures before the request was sent are retried for every operation; after sending, only
    # read-only ones (get..., list..., ...) or calls made with idempotent=True, so nothing is sent twice.
    policy = RetryPolicy(max_retries=2, base_delay=0.05, max_delay=0.2)
    with GeweClient(
        base_url=f"http://127.0.0.1:{closed_port()}", retry_policy=policy, timeout=2.0
    ) as offline:
        try:
            offline.group.get_chatroom_qr_code(chatroom_id=ROOM)
        except GeweConnectionError as err:
            caught.append("connection")
            print(f"2. no reply after {err.attempts} attempts: {type(err).__name__}")

    try:
        GeweClient(token="short")
    except GeweConfigError as err:
        caught.append("config")
        print(f"3. {err.setting}: {err}")

    with GeweClient() as client:
        try:
            client.with_options(max_retries=-1)
        except GeweError as err:  # catching the base class catches them all
            caught.append("base")
            print(f"4. {type(err).__name__}: {err}")

    expected = 4
    if len(caught) != expected:
        print(f"expected {expected} caught errors, got {caught}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
