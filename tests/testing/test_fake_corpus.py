"""FakeGewe over the 160-endpoint synthetic corpus (tests/fixtures/corpus.py): every operation is
served at its path with its example reply, and every required field and typed field is checked."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gewe.testing import FakeGewe
from gewe.testing._spec import check
from tests.fixtures import corpus
from tools.gewe_spec import bundle
from tools.gewe_spec.operations import render, sample, table

WRONG = {"string": 12345, "integer": "12", "number": "1.5", "boolean": "true", "array": {}, "object": []}


@pytest.fixture(scope="module")
def operations(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    exports: Path = tmp_path_factory.mktemp("corpus") / "exports"
    corpus.write_corpus(exports)
    spec = bundle(exports)
    rows = table(spec)
    assert json.loads(render(spec)) == rows  # what `make generate` ships is this table
    return rows


def valid_body(row: dict[str, Any], app_id: str) -> Any:
    body = sample(row["request"])
    if isinstance(body, dict) and "appId" in (row["request"].get("properties") or {}):
        body["appId"] = app_id
    return body


def test_the_table_covers_the_corpus(operations: dict[str, dict[str, Any]]) -> None:
    assert len(operations) >= 150 and len({name.split(".")[0] for name in operations}) == 10
    assert len({row["path"] for row in operations.values()}) == len(operations)
    for name, row in operations.items():
        assert check(row["request"], valid_body(row, "wx_x")) == [], name


async def test_every_corpus_operation_is_served_and_checked(operations: dict[str, dict[str, Any]]) -> None:
    problems: list[str] = []
    sent = 0
    async with FakeGewe(operations=operations) as fake, aiohttp.ClientSession() as http:
        headers = {"X-GEWE-TOKEN": fake.token}
        gate = asyncio.Semaphore(16)

        async def post(path: str, body: Any) -> dict[str, Any]:
            nonlocal sent
            async with gate, http.post(fake.base_url + path, json=body, headers=headers) as resp:
                sent += 1
                reply: dict[str, Any] = await resp.json(content_type=None)
                return reply

        async def one(name: str, row: dict[str, Any]) -> None:
            body = valid_body(row, fake.app_id)
            reply = await post(row["path"], body)
            if name != "login.setCallback" and reply != row["reply"]:  # setCallback tests the URL first
                problems.append(f"{name}: a valid request got {reply!r:.200}")
            schema = row["request"]
            for field in schema.get("required") or ():
                broken = copy.deepcopy(body)
                del broken[field]
                reply = await post(row["path"], broken)
                if reply.get("ret") != 500 or f"{field} is required" not in str(reply.get("msg")):
                    problems.append(f"{name}: without {field}: {reply!r:.200}")
            for field, sub in (schema.get("properties") or {}).items():
                if sub.get("type") in WRONG and "enum" not in sub:
                    broken = {**body, field: WRONG[sub["type"]]}
                    reply = await post(row["path"], broken)
                    if (
                        f"{field} is" not in str(reply.get("msg"))
                        or f"expected {sub['type']}" not in reply["msg"]
                    ):
                        problems.append(f"{name}: {field} of the wrong type: {reply!r:.200}")
                    break

        await asyncio.gather(*(one(name, row) for name, row in operations.items()))
        recorded = fake.calls()
    assert problems == []
    assert len(recorded) == sent and sent > 2 * len(operations)
    assert {c.op for c in recorded} == set(operations)
