"""Contract tests: every operation in openapi/gewe.yaml, called through the SDK, against Prism.

Driven by the spec: each operation's request example is turned into the SDK method's keyword
arguments, sent by `GeweClient` and `AsyncGeweClient` to Prism, and the typed result is compared
with the response example's `data`. Prism runs with `--errors`, so a request (or an example reply)
that breaks the spec comes back as a 4xx/5xx and the call fails. The negative tests prove that
Prism really checks: no token gives 401, a missing or mistyped field gives 422.

A page added to openapi/exports/ (then `make spec generate`) is covered here with no new code.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
import yaml
from openapi_python_client.strings import pascal_case, snake_case

from gewe import AsyncGeweClient, GeweClient, GeweError, GeweHTTPError
from tools.servers import PrismServer

pytestmark = pytest.mark.prism

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT / "openapi" / "gewe.yaml"
TOKEN = "contract-test-token"
CLIENT_APP_ID = "wx_contract_client_default"
TOKEN_HEADER = "X-GEWE-TOKEN"


def _schema_name(ref: str) -> str:
    prefix = "#/components/schemas/"
    assert ref.startswith(prefix), f"unexpected $ref {ref!r}"
    return ref[len(prefix) :]


@dataclass(frozen=True)
class Operation:
    """One operation of the spec, with what the SDK should make of it."""

    path: str
    spec: dict[str, Any]
    components: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.tag}.{self.method}"

    @property
    def tag(self) -> str:
        tags = self.spec.get("tags") or []
        assert len(tags) == 1, f"{self.path}: expected exactly one tag, got {tags}"
        return str(tags[0])

    @property
    def method(self) -> str:
        return snake_case(self.path.rstrip("/").rsplit("/", 1)[1])

    @property
    def _request_media(self) -> dict[str, Any]:
        media: dict[str, Any] = self.spec["requestBody"]["content"]["application/json"]
        return media

    @property
    def _response_media(self) -> dict[str, Any]:
        media: dict[str, Any] = self.spec["responses"]["200"]["content"]["application/json"]
        return media

    @property
    def request_example(self) -> dict[str, Any]:
        example: dict[str, Any] = self._request_media["example"]
        return example

    @property
    def response_example(self) -> dict[str, Any]:
        example: dict[str, Any] = self._response_media["example"]
        return example

    @property
    def request_schema_name(self) -> str:
        return _schema_name(self._request_media["schema"]["$ref"])

    @property
    def request_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = self.components[self.request_schema_name]
        return schema

    @property
    def data_schema_name(self) -> str:
        envelope = self.components[_schema_name(self._response_media["schema"]["$ref"])]
        data = envelope["properties"]["data"]
        ref = data["$ref"] if "$ref" in data else data["allOf"][0]["$ref"]
        return _schema_name(ref)

    @cached_property
    def request_model(self) -> type[Any]:
        return _model(self.request_schema_name)

    @cached_property
    def data_model(self) -> type[Any]:
        return _model(self.data_schema_name)

    def kwargs(self, *, with_app_id: bool = True) -> dict[str, Any]:
        """The SDK method's keyword arguments for the request example (python field names)."""
        model = self.request_model.from_dict(self.request_example)
        kwargs = {
            f.name: getattr(model, f.name)
            for f in attrs.fields(type(model))
            if f.name != "additional_properties"
        }
        assert not model.additional_properties, f"{self.id}: example has fields the model lacks"
        if not with_app_id:
            del kwargs["app_id"]
        return kwargs


def _model(schema_name: str) -> type[Any]:
    models = importlib.import_module("gewe_api.models")
    cls: type[Any] = getattr(models, pascal_case(schema_name))
    return cls


def _load_operations() -> list[Operation]:
    spec = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    components = spec["components"]["schemas"]
    return [
        Operation(path=path, spec=op, components=components)
        for path, item in sorted(spec["paths"].items())
        for verb, op in item.items()
        if verb == "post"
    ]


OPERATIONS = _load_operations()
OPERATION_PARAMS = [pytest.param(op, id=op.id) for op in OPERATIONS]
# (operation, required request field) pairs, for the 422 checks.
REQUIRED_FIELD_PARAMS = [
    pytest.param(op, field, id=f"{op.id}-{field}")
    for op in OPERATIONS
    for field in op.request_schema["required"]
]


def _client_method(client: Any, op: Operation) -> Any:
    module = getattr(client, op.tag, None)
    assert module is not None, f"the client has no module {op.tag!r} for {op.path}"
    method = getattr(module, op.method, None)
    assert callable(method), f"client.{op.tag} has no method {op.method!r} for {op.path}"
    return method


def _check_result(op: Operation, result: Any) -> None:
    assert isinstance(result, op.data_model), f"{op.id} returned {type(result).__name__}"
    assert result.to_dict() == op.response_example["data"]


def _raw_post(
    prism: PrismServer, op: Operation, body: Any, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.post(prism.base_url + op.path, json=body, headers=headers or {}, timeout=10)


def test_the_spec_has_operations_to_test() -> None:
    assert OPERATIONS, f"no operations found in {SPEC_PATH}"
    for op in OPERATIONS:
        assert op.response_example["ret"] == 200, f"{op.id}: the example reply should be a success"
        assert "app_id" in op.kwargs(), f"{op.id}: every GeWe call carries appId"


# --- the SDK against Prism -------------------------------------------------------------------------


@pytest.mark.parametrize("op", OPERATION_PARAMS)
def test_sync_client_sends_the_example_and_parses_the_reply(prism: PrismServer, op: Operation) -> None:
    with GeweClient(token=TOKEN, app_id=CLIENT_APP_ID, base_url=prism.base_url) as client:
        result = _client_method(client, op)(**op.kwargs())
    _check_result(op, result)


@pytest.mark.parametrize("op", OPERATION_PARAMS)
def test_sync_client_fills_in_its_app_id(prism: PrismServer, op: Operation) -> None:
    # appId is required by the spec, so Prism would answer 422 if the client left it out.
    with GeweClient(token=TOKEN, app_id=CLIENT_APP_ID, base_url=prism.base_url) as client:
        result = _client_method(client, op)(**op.kwargs(with_app_id=False))
    _check_result(op, result)


@pytest.mark.asyncio
@pytest.mark.parametrize("op", OPERATION_PARAMS)
async def test_async_client_sends_the_example_and_parses_the_reply(prism: PrismServer, op: Operation) -> None:
    async with AsyncGeweClient(token=TOKEN, app_id=CLIENT_APP_ID, base_url=prism.base_url) as client:
        result = await _client_method(client, op)(**op.kwargs())
    _check_result(op, result)


@pytest.mark.asyncio
@pytest.mark.parametrize("op", OPERATION_PARAMS)
async def test_async_client_fills_in_its_app_id(prism: PrismServer, op: Operation) -> None:
    async with AsyncGeweClient(token=TOKEN, app_id=CLIENT_APP_ID, base_url=prism.base_url) as client:
        result = await _client_method(client, op)(**op.kwargs(with_app_id=False))
    _check_result(op, result)


@pytest.mark.parametrize("op", OPERATION_PARAMS)
def test_sync_client_reads_its_settings_from_the_environment(
    prism: PrismServer, op: Operation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEWE_TOKEN", TOKEN)
    monkeypatch.setenv("GEWE_APP_ID", CLIENT_APP_ID)
    monkeypatch.setenv("GEWE_BASE_URL", prism.base_url)
    with GeweClient() as client:
        result = _client_method(client, op)(**op.kwargs(with_app_id=False))
    _check_result(op, result)


@pytest.mark.parametrize("op", OPERATION_PARAMS)
def test_sync_client_surfaces_a_rejected_request_as_a_typed_error(prism: PrismServer, op: Operation) -> None:
    # A value of the wrong type breaks the spec; Prism's 422 must come back as GeweHTTPError.
    kwargs = op.kwargs()
    kwargs["app_id"] = 12345
    with (
        GeweClient(token=TOKEN, base_url=prism.base_url, max_retries=0) as client,
        pytest.raises(GeweError) as caught,
    ):
        _client_method(client, op)(**kwargs)
    assert isinstance(caught.value, GeweHTTPError), repr(caught.value)
    assert caught.value.status_code == 422
    assert TOKEN not in str(caught.value)


@pytest.mark.asyncio
@pytest.mark.parametrize("op", OPERATION_PARAMS)
async def test_async_client_surfaces_a_rejected_request_as_a_typed_error(
    prism: PrismServer, op: Operation
) -> None:
    kwargs = op.kwargs()
    kwargs["app_id"] = 12345
    async with AsyncGeweClient(token=TOKEN, base_url=prism.base_url, max_retries=0) as client:
        with pytest.raises(GeweError) as caught:
            await _client_method(client, op)(**kwargs)
    assert isinstance(caught.value, GeweHTTPError), repr(caught.value)
    assert caught.value.status_code == 422
    assert TOKEN not in str(caught.value)


# --- Prism really validates ------------------------------------------------------------------------


@pytest.mark.parametrize("op", OPERATION_PARAMS)
def test_prism_accepts_the_example_request(prism: PrismServer, op: Operation) -> None:
    # The control for the negative tests below: the same raw request, complete, gets 200.
    reply = _raw_post(prism, op, op.request_example, {TOKEN_HEADER: TOKEN})
    assert reply.status_code == 200, reply.text
    assert "sl-violations" not in reply.headers, reply.headers["sl-violations"]
    assert reply.json() == op.response_example


@pytest.mark.parametrize("op", OPERATION_PARAMS)
def test_prism_rejects_a_request_without_the_token(prism: PrismServer, op: Operation) -> None:
    reply = _raw_post(prism, op, op.request_example)
    assert reply.status_code == 401, reply.text


@pytest.mark.parametrize(("op", "field"), REQUIRED_FIELD_PARAMS)
def test_prism_rejects_a_request_missing_a_required_field(
    prism: PrismServer, op: Operation, field: str
) -> None:
    body = {k: v for k, v in op.request_example.items() if k != field}
    reply = _raw_post(prism, op, body, {TOKEN_HEADER: TOKEN})
    assert reply.status_code == 422, reply.text
    assert re.search(rf"\b{re.escape(field)}\b", reply.text), reply.text


@pytest.mark.parametrize(("op", "field"), REQUIRED_FIELD_PARAMS)
def test_prism_rejects_a_field_of_the_wrong_type(prism: PrismServer, op: Operation, field: str) -> None:
    wrong: dict[str, Any] = {
        "string": 12345,
        "integer": "x",
        "number": "x",
        "boolean": "x",
        "array": {},
        "object": 1,
    }
    kind = op.request_schema["properties"][field].get("type", "object")
    body = {**op.request_example, field: wrong[kind]}
    reply = _raw_post(prism, op, body, {TOKEN_HEADER: TOKEN})
    assert reply.status_code == 422, reply.text
