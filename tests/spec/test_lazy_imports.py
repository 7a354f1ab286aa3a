"""Import cost does not grow with the spec: one endpoint loads only its own models.

Each check runs in a fresh interpreter, with the package under test first on sys.path.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from tests.spec._support import REAL_PACKAGE, Generated

PRELUDE = """
import json, sys
sys.path.insert(0, {root!r})
import gewe_api
assert gewe_api.__file__.startswith({root!r}), gewe_api.__file__
def models_loaded():
    return sorted(m.rsplit(".", 1)[1] for m in sys.modules if m.startswith("gewe_api.models."))
"""


def run(root: Path, body: str) -> Any:
    """Run `body` after PRELUDE in a fresh interpreter; it prints one JSON value."""
    code = PRELUDE.format(root=str(root)) + textwrap.dedent(body)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_importing_one_endpoint_loads_only_its_models(fixture_generated: Generated) -> None:
    loaded = run(
        fixture_generated.root,
        """
        import gewe_api.api.group.group_get_chatroom_member_list
        print(json.dumps(models_loaded()))
        """,
    )
    assert {"group_get_chatroom_member_list_request", "group_get_chatroom_member_list_response"} <= set(
        loaded
    )
    assert all(m.startswith("group_get_chatroom_member_list_") for m in loaded), loaded


def test_every_shipped_endpoint_loads_only_its_own_models() -> None:
    """In one interpreter, each endpoint module in turn: what it newly loads is its own models only."""
    result = run(
        REAL_PACKAGE.parent,
        """
        import importlib, pathlib
        api = pathlib.Path(gewe_api.__file__).parent / "api"
        endpoints = sorted(
            f"{p.parent.name}.{p.stem}" for p in api.glob("*/*.py") if p.stem != "__init__"
        )
        strays = {}
        for endpoint in endpoints:
            before = set(models_loaded())
            importlib.import_module(f"gewe_api.api.{endpoint}")
            function = endpoint.split(".")[1]
            new = sorted(set(models_loaded()) - before)
            bad = [m for m in new if not m.startswith(function + "_")]
            if bad:
                strays[endpoint] = new
        print(json.dumps({"endpoints": len(endpoints), "strays": strays}))
        """,
    )
    assert result["endpoints"] >= 1
    assert result["strays"] == {}


def test_resources_load_models_only_when_a_method_is_called(fixture_generated: Generated) -> None:
    result = run(
        fixture_generated.root,
        """
        from gewe_api.api import Resources
        class Client(Resources):
            def resolve_app_id(self, app_id):
                return app_id or "wx_app"
            def invoke(self, operation, path, body, parse, *, envelope=True, **options):
                self.sent = (operation, path, body)
                data = {"memberList": [{"wxid": "w1", "nickName": "n"}], "chatroomOwner": "w1"}
                return parse(data, lambda path, value, expected: None)
        client = Client()
        group = client.group
        untouched = models_loaded()
        data = group.get_chatroom_member_list(chatroom_id="123@chatroom")
        print(json.dumps({
            "untouched": untouched,
            "after_call": models_loaded(),
            "sent": client.sent,
            "owner": data.chatroom_owner,
            "first": data.member_list[0].wxid,
        }))
        """,
    )
    assert result["untouched"] == []
    assert result["after_call"] and all(
        m.startswith("group_get_chatroom_member_list_") for m in result["after_call"]
    )
    assert result["sent"] == [
        "group.getChatroomMemberList",
        "/gewe/v2/api/group/getChatroomMemberList",
        {"appId": "wx_app", "chatroomId": "123@chatroom"},
    ]
    assert (result["owner"], result["first"]) == ("w1", "w1")


def test_every_model_in_all_imports_by_name(fixture_generated: Generated) -> None:
    result = run(
        fixture_generated.root,
        """
        import importlib
        models = importlib.import_module("gewe_api.models")
        before = models_loaded()
        bad = []
        for name in models.__all__:
            namespace = {}
            exec(f"from gewe_api.models import {name}", namespace)
            cls = namespace[name]
            if cls.__name__ != name or not cls.__module__.startswith("gewe_api.models."):
                bad.append(name)
        print(json.dumps({
            "before": before,
            "count": len(models.__all__),
            "bad": bad,
            "dir_has_all": set(models.__all__) <= set(dir(models)),
            "missing_raises": not hasattr(models, "NoSuchModel"),
        }))
        """,
    )
    assert result["before"] == []  # importing gewe_api.models alone loads no model
    assert result["count"] >= 40
    assert result["bad"] == []
    assert result["dir_has_all"] and result["missing_raises"]
