"""Contract tests: every operation of the spec, called through the SDK, against Prism.

Driven by the spec (tests/conftest.py TEST_SPEC: openapi/gewe.yaml, or the synthetic corpus when
`make corpus` sets GEWE_TEST_SPEC), whatever pages it was bundled from. For each operation a
request body is taken from the request example, or built from the request schema when the page
has none; it becomes the SDK method's keyword arguments and is sent by `GeweClient` and
`AsyncGeweClient` to Prism. The result is compared with what Prism sends for the same raw request
(the page's reply example, or a reply Prism makes from the schema):
- an envelope reply with a `data` model -> that model, undeclared fields kept in
  `additional_properties`;
- `data` of another type (array, string, ...) -> the value as is; no `data` in the schema -> None;
- `ret` other than 200 -> GeweAPIError.
Replies that are not the envelope (a bare object) are checked through the generated function.

Prism runs with `--errors`, so a request (or a reply example) that breaks the spec comes back as a
4xx/5xx and the call fails. The negative tests prove that Prism really checks: no token gives 401,
a missing or mistyped field gives 422.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

import attrs
import httpx
import pytest
import yaml

from gewe import AsyncGeweClient, GeweAPIError, GeweClient, GeweError, GeweHTTPError
from tests.conftest import TEST_SPEC
from tools.gewe_spec.names import pascal_case, snake_case
from tools.servers import PrismServer

pytestmark = pytest.mark.prism

TOKEN = "contract-test-token"
CLIENT_APP_ID = "wx_contract_client_default"
TOKEN_HEADER = "X-GEWE-TOKEN"
REF_PREFIX = "#/components/schemas/"
# Request fields named like the methods' own options take a trailing underscore in the method.
METHOD_OPTIONS = {"idempotent": "idempotent_", "timeout": "timeout_"}
# A value of another type than the schema's, for the 422 checks.
WRONG: dict[str, Any] = {
    "string": 12345,
    "integer": "x",
    "number": "x",
    "boolean": "x",
    "array": {},
    "object": 1,
}


def _load_spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(TEST_SPEC.read_text(encoding="utf-8"))
    return loaded


SPEC = _load_spec()
COMPONENTS: dict[str, Any] = SPEC["components"]["schemas"]


def resolve(schema: Any) -> dict[str, Any]:
    """A schema with a top-level `$ref` (or a nullable `allOf: [$ref]` wrapper) followed."""
    while isinstance(schema, dict):
        if "$ref" in schema:
            schema = COMPONENTS[schema["$ref"][len(REF_PREFIX) :]]
        elif isinstance(schema.get("allOf"), list) and len(schema["allOf"]) == 1:
            schema = schema["allOf"][0]
        else:
            return schema
    return {}


def ref_name(schema: Any) -> str | None:
    """The component a schema refers to (through a nullable wrapper too), if any."""
    if isinstance(schema, dict) and "$ref" in schema:
        return str(schema["$ref"][len(REF_PREFIX) :])
    if isinstance(schema, dict) and isinstance(schema.get("allOf"), list) and len(schema["allOf"]) == 1:
        return ref_name(schema["allOf"][0])
    return None


def kind_of(schema: Any) -> str | None:
    """The JSON type a schema asks for (None: any, or a union)."""
    schema_dict = resolve(schema)
    if "type" in schema_dict:
        return str(schema_dict["type"])
    return "object" if "properties" in schema_dict else None


def value_for(schema: Any) -> Any:
    """A value that fits `schema`, every property included (the tests' stand-in for an example)."""
    schema = resolve(schema)
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return next((v for v in schema["enum"] if v is not None), schema["enum"][0])
    if isinstance(schema.get("anyOf"), list) and schema["anyOf"]:
        return value_for(schema["anyOf"][0])
    kind = kind_of(schema)
    if kind == "object":
        return {name: value_for(sub) for name, sub in (schema.get("properties") or {}).items()}
    if kind == "array":
        return [value_for(schema.get("items") or {})]
    if kind in ("integer", "number"):
        low = schema.get("minimum", 0)
        return int(low) + 1 if kind == "integer" else float(low) + 1.5
    if kind == "boolean":
        return True
    if kind == "string":
        return {"date-time": "2024-01-02T03:04:05Z", "date": "2024-01-02"}.get(
            schema.get("format", ""), "text"
        )
    return "any"


def _model(schema_name: str) -> type[Any]:
    models = importlib.import_module("gewe_api.models")
    cls: type[Any] = getattr(models, pascal_case(schema_name))
    return cls


@dataclass(frozen=True)
class Operation:
    """One operation of the spec, with what the SDK should make of it."""

    path: str
    spec: dict[str, Any]

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
    def function(self) -> str:
        return snake_case(self.spec["operationId"])

    @property
    def _request_media(self) -> dict[str, Any]:
        media: dict[str, Any] = (
            (self.spec.get("requestBody") or {}).get("content", {}).get("application/json", {})
        )
        return media

    @property
    def _response_media(self) -> dict[str, Any]:
        status = min(s for s in self.spec["responses"] if s.startswith("2"))
        media: dict[str, Any] = self.spec["responses"][status]["content"]["application/json"]
        return media

    @property
    def request_schema_name(self) -> str | None:
        return ref_name(self._request_media.get("schema"))

    @property
    def request_schema(self) -> dict[str, Any]:
        return resolve(self._request_media.get("schema"))

    @property
    def has_request_example(self) -> bool:
        return "example" in self._request_media

    @cached_property
    def request_body(self) -> dict[str, Any]:
        """The request example, or a body built from the schema when the page has no example."""
        if not self._request_media:
            return {}
        body: dict[str, Any] = self._request_media.get("example") or value_for(self.request_schema)
        return body

    @property
    def response_example(self) -> Any:
        return self._response_media.get("example")

    @property
    def reply_schema(self) -> dict[str, Any]:
        return resolve(self._response_media["schema"])

    @property
    def is_envelope(self) -> bool:
        return "ret" in (self.reply_schema.get("properties") or {})

    @property
    def data_schema(self) -> Any:
        """The envelope's `data` schema (None when the envelope has no `data`)."""
        return (self.reply_schema.get("properties") or {}).get("data")

    @cached_property
    def data_model(self) -> type[Any] | None:
        name = ref_name(self.data_schema)
        return _model(name) if name is not None and kind_of(self.data_schema) == "object" else None

    @property
    def has_app_id(self) -> bool:
        return "appId" in (self.request_schema.get("properties") or {})

    def kwargs(self, *, with_app_id: bool = True) -> dict[str, Any]:
        """The SDK method's keyword arguments for the request body (python field names)."""
        if self.request_schema_name is None:
            return {}
        model = _model(self.request_schema_name).from_dict(self.request_body)
        kwargs = {
            METHOD_OPTIONS.get(f.name, f.name): getattr(model, f.name)
            for f in attrs.fields(type(model))
            if f.name != "additional_properties"
        }
        if not with_app_id:
            del kwargs["app_id"]
        return kwargs


def _load_operations() -> list[Operation]:
    return [
        Operation(path=path, spec=op)
        for path, item in sorted(SPEC["paths"].items())
        for verb, op in item.items()
        if verb == "post"
    ]


OPERATIONS = _load_operations()
ENVELOPED = [pytest.param(op, id=op.id) for op in OPERATIONS if op.is_envelope]
BARE = [pytest.param(op, id=op.id) for op in OPERATIONS if not op.is_envelope]
WITH_APP_ID = [pytest.param(op, id=op.id) for op in OPERATIONS if op.is_envelope and op.has_app_id]
ALL = [pytest.param(op, id=op.id) for op in OPERATIONS]
WITH_EXAMPLE = [pytest.param(op, id=op.id) for op in OPERATIONS if op.response_example is not None]
# (operation, required request field) pairs, for the 422 checks.
REQUIRED_FIELD_PARAMS = [
    pytest.param(op, field, id=f"{op.id}-{field}")
    for op in OPERATIONS
    for field in op.request_schema.get("required", [])
]
WRONG_TYPE_PARAMS = [
    pytest.param(op, field, id=f"{op.id}-{field}")
    for op in OPERATIONS
    for field in op.request_schema.get("required", [])
    if kind_of(op.request_schema["properties"][field]) is not None
]
# Operations whose reply example's `data` has fields the schema does not declare.
UNDECLARED = [
    pytest.param(op, id=op.id)
    for op in OPERATIONS
    if op.data_model is not None
    and isinstance(op.response_example, dict)
    and isinstance(op.response_example.get("data"), dict)
    and set(op.response_example["data"]) - set(resolve(op.data_schema).get("properties") or {})
]


def _client_method(client: Any, op: Operation) -> Any:
    module = getattr(client, op.tag, None)
    assert module is not None, f"the client has no module {op.tag!r} for {op.path}"
    method = getattr(module, op.method, None)
    assert callable(method), f"client.{op.tag} has no method {op.method!r} for {op.path}"
    return method


@cache
def _http() -> httpx.Client:
    """One keep-alive client for the raw requests (a new client per request costs more than Prism)."""
    return httpx.Client(timeout=10, transport=_transport())


def _transport() -> httpx.HTTPTransport:
    """A transport for plain HTTP to Prism on loopback: no CA bundle to load (that costs ~0.2 s a client)."""
    return httpx.HTTPTransport(verify=False)


def _async_transport() -> httpx.AsyncHTTPTransport:
    return httpx.AsyncHTTPTransport(verify=False)


# The client tests run once per sender (the `route` fixture, tests/support/calls.py SENDERS).


def _sync_route(route: str) -> httpx.HTTPTransport | None:
    return _transport() if route == "httpx" else None


def _async_route(route: str) -> httpx.AsyncHTTPTransport | None:
    return _async_transport() if route == "httpx" else None


def _raw_post(
    prism: PrismServer, op: Operation, body: Any, headers: dict[str, str] | None = None
) -> httpx.Response:
    return _http().post(prism.base_url + op.path, json=body, headers=headers or {})


def _prism_reply(prism: PrismServer, op: Operation, app_id: str | None = None) -> Any:
    """What Prism sends for the operation's request body: its reply example, or what it makes up."""
    if op.response_example is not None:
        return op.response_example  # test_prism_sends_the_reply_example checks that Prism sends it
    body = dict(op.request_body)
    if app_id is not None and op.has_app_id:
        body["appId"] = app_id
    reply = _raw_post(prism, op, body, {TOKEN_HEADER: TOKEN})
    assert reply.status_code == 200, reply.text
    return reply.json()


def _outcome(call: Any) -> Any:
    """What `call()` returns, or the GeweError it raises."""
    try:
        return call()
    except GeweError as exc:
        return exc


def _check_result(op: Operation, reply: Any, outcome: Any) -> None:
    """Compare a call's outcome with what the envelope `reply` Prism sent says it should be."""
    if reply["ret"] != 200:
        assert isinstance(outcome, GeweAPIError), f"{op.id}: ret {reply['ret']} gave {outcome!r}"
        assert outcome.ret == reply["ret"]
        return
    assert not isinstance(outcome, GeweError), f"{op.id}: {outcome!r}"
    if op.data_schema is None:
        assert outcome is None, f"{op.id}: no `data` in the spec, got {outcome!r}"
    elif op.data_model is not None and reply.get("data") is not None:
        assert isinstance(outcome, op.data_model), f"{op.id} returned {type(outcome).__name__}"
        assert outcome.to_dict() == reply["data"]
    else:
        # Scalars come back as they are; lists of models as models, which serialize back to the reply.
        assert _plain(outcome) == reply.get("data"), f"{op.id} returned {outcome!r}"


def _plain(value: Any) -> Any:
    """`value` with every generated model in it turned back into its JSON form."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def test_the_spec_has_operations_and_the_package_is_generated_from_it() -> None:
    assert OPERATIONS, f"no operations found in {TEST_SPEC}"
    spec_module = importlib.import_module("gewe_api._spec")
    assert hashlib.sha256(TEST_SPEC.read_bytes()).hexdigest() == spec_module.SPEC_SHA256, (
        f"the gewe_api on sys.path ({importlib.import_module('gewe_api').__file__}) is not generated from"
        f" {TEST_SPEC}"
    )


@pytest.mark.parametrize("op", ALL)
def test_every_operation_is_a_method_of_its_module(op: Operation) -> None:
    with GeweClient(token=TOKEN, app_id=CLIENT_APP_ID, transport=_transport()) as client:
        assert _client_method(client, op).__name__ == op.method


# --- the SDK against Prism -------------------------------------------------------------------------


@pytest.mark.parametrize("op", ENVELOPED)
def test_sync_client_sends_the_request_and_parses_the_reply(
    prism: PrismServer, op: Operation, route: str
) -> None:
    reply = _prism_reply(prism, op)
    with GeweClient(
        token=TOKEN, app_id=CLIENT_APP_ID, base_url=prism.base_url, transport=_sync_route(route)
    ) as client:
        outcome = _outcome(lambda: _client_method(client, op)(**op.kwargs()))
    _check_result(op, reply, outcome)


@pytest.mark.parametrize("op", WITH_APP_ID)
def test_sync_client_fills_in_its_app_id(prism: PrismServer, op: Operation) -> None:
    # appId is required by the spec, so Prism would answer 422 if the client left it out.
    reply = _prism_reply(prism, op, CLIENT_APP_ID)
    with GeweClient(
        token=TOKEN, app_id=CLIENT_APP_ID, base_url=prism.base_url, transport=_transport()
    ) as client:
        outcome = _outcome(lambda: _client_method(client, op)(**op.kwargs(with_app_id=False)))
    _check_result(op, reply, outcome)


@pytest.mark.asyncio
@pytest.mark.parametrize("op", ENVELOPED)
async def test_async_client_sends_the_request_and_parses_the_reply(
    prism: PrismServer, op: Operation, route: str
) -> None:
    reply = _prism_reply(prism, op)
    outcome: Any
    async with AsyncGeweClient(
        token=TOKEN, app_id=CLIENT_APP_ID, base_url=prism.base_url, transport=_async_route(route)
    ) as client:
        try:
            outcome = await _client_method(client, op)(**op.kwargs())
        except GeweError as exc:
            outcome = exc
    _check_result(op, reply, outcome)


@pytest.mark.parametrize("op", WITH_APP_ID)
def test_sync_client_reads_its_settings_from_the_environment(
    prism: PrismServer, op: Operation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEWE_TOKEN", TOKEN)
    monkeypatch.setenv("GEWE_APP_ID", CLIENT_APP_ID)
    monkeypatch.setenv("GEWE_BASE_URL", prism.base_url)
    reply = _prism_reply(prism, op, CLIENT_APP_ID)
    with GeweClient(transport=_transport()) as client:
        outcome = _outcome(lambda: _client_method(client, op)(**op.kwargs(with_app_id=False)))
    _check_result(op, reply, outcome)


@pytest.mark.parametrize("op", UNDECLARED)
def test_reply_fields_the_schema_lacks_are_kept(prism: PrismServer, op: Operation) -> None:
    data = op.response_example["data"]
    undeclared = set(data) - set(resolve(op.data_schema).get("properties") or {})
    with GeweClient(
        token=TOKEN, app_id=CLIENT_APP_ID, base_url=prism.base_url, transport=_transport()
    ) as client:
        result = _client_method(client, op)(**op.kwargs())
    assert result.additional_properties == {k: data[k] for k in undeclared}
    assert {k: result[k] for k in undeclared} == {k: data[k] for k in undeclared}


@pytest.mark.parametrize("op", BARE)
def test_a_bare_reply_parses_through_the_generated_function(prism: PrismServer, op: Operation) -> None:
    reply = _prism_reply(prism, op)
    endpoint = importlib.import_module(f"gewe_api.api.{op.tag}.{op.function}")
    with GeweClient(
        token=TOKEN, app_id=CLIENT_APP_ID, base_url=prism.base_url, transport=_transport()
    ) as client:
        kwargs: dict[str, Any] = {"client": client.generated}
        if op.request_schema_name is not None:
            kwargs["body"] = _model(op.request_schema_name).from_dict(op.request_body)
        result = endpoint.sync(**kwargs)
    assert result is not None and result.to_dict() == reply


@pytest.mark.parametrize("op", WITH_APP_ID)
def test_sync_client_surfaces_a_rejected_request_as_a_typed_error(
    prism: PrismServer, op: Operation, route: str
) -> None:
    # A value of the wrong type breaks the spec; Prism's 422 must come back as GeweHTTPError.
    kwargs = op.kwargs()
    kwargs["app_id"] = 12345
    transport = _sync_route(route)
    with (
        GeweClient(token=TOKEN, base_url=prism.base_url, max_retries=0, transport=transport) as client,
        pytest.raises(GeweError) as caught,
    ):
        _client_method(client, op)(**kwargs)
    assert isinstance(caught.value, GeweHTTPError), repr(caught.value)
    assert caught.value.status_code == 422
    assert TOKEN not in str(caught.value)


@pytest.mark.asyncio
@pytest.mark.parametrize("op", WITH_APP_ID)
async def test_async_client_surfaces_a_rejected_request_as_a_typed_error(
    prism: PrismServer, op: Operation, route: str
) -> None:
    kwargs = op.kwargs()
    kwargs["app_id"] = 12345
    async with AsyncGeweClient(
        token=TOKEN, base_url=prism.base_url, max_retries=0, transport=_async_route(route)
    ) as client:
        with pytest.raises(GeweError) as caught:
            await _client_method(client, op)(**kwargs)
    assert isinstance(caught.value, GeweHTTPError), repr(caught.value)
    assert caught.value.status_code == 422
    assert TOKEN not in str(caught.value)


# --- Prism really validates ------------------------------------------------------------------------


@pytest.mark.parametrize("op", ALL)
def test_prism_accepts_the_request(prism: PrismServer, op: Operation) -> None:
    # The control for the negative tests below: the same raw request, complete, gets 200.
    reply = _raw_post(prism, op, op.request_body, {TOKEN_HEADER: TOKEN})
    assert reply.status_code == 200, reply.text
    assert "sl-violations" not in reply.headers, reply.headers["sl-violations"]


@pytest.mark.parametrize("op", WITH_EXAMPLE)
def test_prism_sends_the_reply_example(prism: PrismServer, op: Operation) -> None:
    reply = _raw_post(prism, op, op.request_body, {TOKEN_HEADER: TOKEN})
    assert reply.json() == op.response_example


@pytest.mark.parametrize("op", ALL)
def test_prism_rejects_a_request_without_the_token(prism: PrismServer, op: Operation) -> None:
    reply = _raw_post(prism, op, op.request_body)
    assert reply.status_code == 401, reply.text


@pytest.mark.parametrize(("op", "field"), REQUIRED_FIELD_PARAMS)
def test_prism_rejects_a_request_missing_a_required_field(
    prism: PrismServer, op: Operation, field: str
) -> None:
    body = {k: v for k, v in op.request_body.items() if k != field}
    reply = _raw_post(prism, op, body, {TOKEN_HEADER: TOKEN})
    assert reply.status_code == 422, reply.text
    assert re.search(rf"\b{re.escape(field)}\b", reply.text), reply.text


@pytest.mark.parametrize(("op", "field"), WRONG_TYPE_PARAMS)
def test_prism_rejects_a_field_of_the_wrong_type(prism: PrismServer, op: Operation, field: str) -> None:
    kind = kind_of(op.request_schema["properties"][field])
    body = {**op.request_body, field: WRONG[str(kind)]}
    reply = _raw_post(prism, op, body, {TOKEN_HEADER: TOKEN})
    assert reply.status_code == 422, reply.text
