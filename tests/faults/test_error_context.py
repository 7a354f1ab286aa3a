"""Errors that explain: operation, attempts, elapsed time, timeout, URL and status, over real sockets.

Also GeweAuthError for refused tokens, whether HTTP (401/403) or GeWe's envelope says so.
"""

from __future__ import annotations

import pytest

from gewe import GeweAPIError, GeweAuthError, GeweConnectionError, GeweHTTPError, GeweTimeoutError
from tests.conftest import TOKEN
from tests.support.calls import MODES, invoke
from tests.support.loopback import FaultServer, closed_port, reply

# Over the clients' default fast paths and over a transport the user passes (see tests.support.calls).
pytestmark = pytest.mark.usefixtures("route")

READ_ONLY = "group.getChatroomInfo"  # retried on 502: the policy's read-only rule
PATH = "/gewe/v2/api/group/getChatroomInfo"


@pytest.mark.parametrize("mode", MODES)
def test_a_502_after_every_retry_says_how_many_attempts_and_where(server: FaultServer, mode: str) -> None:
    server.script([reply("<html>Bad Gateway</html>", status=502)])
    with pytest.raises(GeweHTTPError) as info:
        invoke(mode, READ_ONLY, base_url=server.base_url)
    err = info.value
    assert server.count == 3
    assert (err.operation, err.attempts, err.status_code) == (READ_ONLY, 3, 502)
    assert err.url == server.base_url + PATH
    assert err.elapsed is not None and err.elapsed >= 0
    text = str(err)
    assert f"POST {server.base_url}{PATH} after 3 attempts over " in text
    assert "timeout 5 s" in text and TOKEN not in text


@pytest.mark.parametrize("mode", MODES)
def test_a_timeout_gives_the_timeout_and_the_attempts(server: FaultServer, mode: str) -> None:
    server.script([reply({"ret": 200, "msg": "ok", "data": None}, delay=2.0)])
    with pytest.raises(GeweTimeoutError) as info:
        invoke(mode, READ_ONLY, base_url=server.base_url, timeout=0.2)
    err = info.value
    assert err.attempts == server.count == 3
    assert err.timeout == 0.2 and ", timeout 0.2 s)" in str(err)
    assert err.status_code is None


@pytest.mark.parametrize("mode", MODES)
def test_connection_refused_names_host_and_port(mode: str) -> None:
    base_url = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(GeweConnectionError) as info:
        invoke(mode, "message.postText", base_url=base_url)
    err = info.value
    assert err.url == base_url + "/gewe/v2/api/message/postText"
    assert base_url in str(err) and err.attempts == 3  # refused before sending: always retried


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [401, 403])
def test_http_401_and_403_are_auth_errors(server: FaultServer, mode: str, status: int) -> None:
    server.script([reply({"message": f"bad token {TOKEN}"}, status=status)])
    with pytest.raises(GeweAuthError) as info:
        invoke(mode, READ_ONLY, base_url=server.base_url)
    err = info.value
    assert isinstance(err, GeweHTTPError) and isinstance(err, GeweAPIError)
    assert err.status_code == status and err.ret is None and server.count == 1  # never retried
    assert TOKEN not in str(err) and "***" in err.body_excerpt


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("ret", "msg"), [(401, "unauthorized"), (500, "token无效"), (500, "Token 已过期"), (500, "invalid token")]
)
def test_gewe_token_refusals_are_auth_errors(server: FaultServer, mode: str, ret: int, msg: str) -> None:
    server.script([reply({"ret": ret, "msg": msg, "data": None})])
    with pytest.raises(GeweAuthError) as info:
        invoke(mode, READ_ONLY, base_url=server.base_url)
    err = info.value
    assert (err.ret, err.msg, err.status_code, err.attempts) == (ret, msg, 200, 1)


@pytest.mark.parametrize("mode", MODES)
def test_other_business_errors_stay_api_errors(server: FaultServer, mode: str) -> None:
    server.script([reply({"ret": 500, "msg": "群不存在", "data": {"code": "-1"}})])
    with pytest.raises(GeweAPIError) as info:
        invoke(mode, READ_ONLY, base_url=server.base_url)
    assert not isinstance(info.value, GeweAuthError)
    assert info.value.attempts == 1 and info.value.operation == READ_ONLY
