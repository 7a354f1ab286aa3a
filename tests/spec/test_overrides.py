"""Resource overrides are found by convention: a file `gewe/resources/<module>.py` is all it takes.

Runs in a fresh interpreter against the multi-module fixture package, with a second, test-only
override (for `label`) in a folder added to `gewe.resources`' search path, as a new file in
overrides/gewe/resources/ would be. The shipped `group` override refines an operation that the
fixture spec does not have, so it must step aside for the generated resource.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import ROOT, TOKEN
from tests.spec._support import Generated, copy_tree, generate_package, write_spec

LABEL_OVERRIDE = """
from gewe_api.api import label as generated


class LabelResource(generated.LabelResource):
    __slots__ = ()

    def list(self, *, app_id=None, **options):
        data = super().list(app_id=app_id, **options)
        return sorted(item.label_name for item in data.label_list)
"""

SCRIPT = """
import json, logging, sys
sys.path.insert(0, {root!r})
import gewe_api
assert gewe_api.__file__.startswith({root!r}), gewe_api.__file__
import gewe.resources
gewe.resources.__path__.append({extra!r})
import httpx
from gewe import AsyncGeweClient, GeweClient

warnings = []
class Collect(logging.Handler):
    def emit(self, record):
        warnings.append(record.getMessage())
logging.getLogger("gewe").addHandler(Collect())

def reply(request):
    return httpx.Response(200, json={{"ret": 200, "msg": "ok", "data": {{"labelList": [
        {{"labelId": 2, "labelName": "同事"}}, {{"labelId": 1, "labelName": "朋友"}}]}}}})

client = GeweClient(token={token!r}, app_id="wx", transport=httpx.MockTransport(reply))
from gewe.resources import ModuleNotInSpecError
def missing(name):
    try:
        getattr(client, name)
    except ModuleNotInSpecError as exc:
        return exc.module
    return None
print(json.dumps({{
    "missing": missing("sns"),
    "label": type(client.label).__module__ + "." + type(client.label).__name__,
    "async_label": type(AsyncGeweClient(token={token!r}).label).__module__,
    "labels": client.label.list(),
    "group": type(client.group).__module__,
    "contacts": type(client.contacts).__module__,
    "same": client.label is client.label,
    "warnings": warnings,
}}))
"""


def test_an_override_module_is_picked_up_by_convention(fixture_generated: Generated, tmp_path: Path) -> None:
    (tmp_path / "label.py").write_text(textwrap.dedent(LABEL_OVERRIDE), encoding="utf-8")
    code = SCRIPT.format(root=str(fixture_generated.root), extra=str(tmp_path), token=TOKEN)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["label"] == "gewe.resources.label.LabelResource"
    # Only the sync class is overridden: the async module stays generated.
    assert result["async_label"] == "gewe_api.api.label"
    assert result["labels"] == ["同事", "朋友"]
    assert result["contacts"] == "gewe_api.api.contacts"
    assert result["same"] is True
    assert result["missing"] == "sns"
    # The shipped group override needs getChatroomQrCode, which this spec lacks: skipped, with a warning.
    assert result["group"] == "gewe_api.api.group"
    assert any("gewe.resources.group skipped" in w for w in result["warnings"]), result["warnings"]


SEED_ONLY = """
import json, sys
sys.path.insert(0, {root!r})
import gewe_api
assert gewe_api.__file__.startswith({root!r}), gewe_api.__file__
from gewe import AsyncGeweClient, GeweClient
from gewe.resources import ModuleNotInSpecError

def missing(client, name):
    try:
        getattr(client, name)
    except ModuleNotInSpecError as exc:
        return exc.module
    return "present"

out = {{}}
for cls in (GeweClient, AsyncGeweClient):
    client = cls(token={token!r}, app_id="wx")
    out[cls.__name__] = {{
        "group": type(client.group).__module__,
        "missing": [missing(client, name) for name in ("login", "message", "sns")],
        "hasattr": hasattr(client, "message"),
    }}
print(json.dumps(out))
"""


def test_a_module_refined_here_but_not_in_the_spec_is_missing_like_any_other(tmp_path: Path) -> None:
    # `login` and `message` are re-declared in gewe.resources for their overrides' static types; a
    # spec with only the seed page (group) has neither, so `client.login` is the same error as for
    # any module the spec lacks, and `client.group` is still the shipped override.
    exports = tmp_path / "exports"
    copy_tree(ROOT / "openapi" / "exports" / "group", exports / "group")
    spec = write_spec(exports, tmp_path / "gewe.yaml")
    pkg = generate_package(spec, tmp_path / "pkg" / "gewe_api")
    code = SEED_ONLY.format(root=str(pkg.parent), token=TOKEN)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    for name, result in json.loads(proc.stdout).items():
        assert result["group"] == "gewe.resources.group", name
        assert result["missing"] == ["login", "message", "sns"], name
        assert result["hasattr"] is False, name
