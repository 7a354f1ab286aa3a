"""Property: whatever a server replies, a call gives a typed result or a GeweError, nothing else."""

from __future__ import annotations

import base64
import contextlib
import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gewe import GeweClient, GeweError
from gewe.group_qr import GroupQrCode
from tests.conftest import APP_ID, TOKEN
from tests.support.calls import FAST

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
qr_data = st.fixed_dictionaries(
    {},
    optional={
        "qrBase64": st.text(max_size=40)
        | st.binary(max_size=30).map(lambda b: base64.b64encode(b).decode())
        | json_values,
        "qrTips": st.text(max_size=40) | json_values,
    },
)
envelopes = st.fixed_dictionaries(
    {"ret": st.sampled_from([200, 500, -1, "200"]) | json_values},
    optional={
        "msg": st.none() | st.text(max_size=20) | json_values,
        "data": st.none() | qr_data | json_values,
    },
)
bodies = (
    envelopes.map(lambda e: json.dumps(e).encode())
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=60)
)
statuses = st.sampled_from([200, 200, 200, 201, 204, 400, 404, 429, 500, 502, 503])


def _client(status: int, body: bytes) -> GeweClient:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, content=body))
    return GeweClient(token=TOKEN, app_id=APP_ID, retry_policy=FAST, transport=transport)


def _use(result: GroupQrCode) -> Any:
    """Everything a user would read off a QR result."""
    return (result.tips, result.expires_at, result.image.mime_type, result.image.data_uri)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(status=statuses, body=bodies)
def test_any_reply_is_a_result_or_a_gewe_error(status: int, body: bytes) -> None:
    with _client(status, body) as client:
        try:
            result = client.group.get_chatroom_qr_code(chatroom_id="1@chatroom")
        except GeweError:
            return
        assert isinstance(result, GroupQrCode)
        with contextlib.suppress(GeweError):
            _use(result)


@settings(max_examples=200, deadline=None)
@given(body=bodies)
def test_any_reply_to_an_untyped_operation(body: bytes) -> None:
    with _client(200, body) as client, contextlib.suppress(GeweError):
        client.invoke("message.postText", "/gewe/v2/api/message/postText", {"appId": APP_ID}, None)
