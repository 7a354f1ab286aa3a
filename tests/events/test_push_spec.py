"""openapi/pushes.yaml is the one description of the push shapes: a change to it shows in `make diff`.

The models gewe.events reads pushes through are generated from it (tools/generate.py adds its
schemas to the spec); a push shape changed there changes those models, which the Python-API part
of `make diff` (tools/gewe_release.apidiff) reports like any other model change.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tools.generate import PUSHES, GenerateError, generate_into, with_push_schemas
from tools.gewe_release.apidiff import diff_apis
from tools.servers import ROOT

SPEC = ROOT / "openapi" / "gewe.yaml"


def _tree(root: Path, pushes: Path) -> Path:
    generate_into(root / "generated" / "gewe_api", SPEC, pushes)
    (root / "overrides" / "gewe").mkdir(parents=True)
    (root / "overrides" / "gewe" / "__init__.py").write_text('"""gewe."""\n', encoding="utf-8")
    return root


def test_a_changed_push_shape_shows_in_the_api_diff(tmp_path: Path) -> None:
    changed = yaml.safe_load(PUSHES.read_text(encoding="utf-8"))
    data = changed["components"]["schemas"]["PushAddMsgData"]["properties"]
    del data["PushContent"]  # a field GeWe stopped sending
    data["NewMsgId"] = {"type": "integer"}  # no longer a string sometimes
    changed_file = tmp_path / "pushes.yaml"
    changed_file.write_text(yaml.safe_dump(changed, allow_unicode=True), encoding="utf-8")
    old = _tree(tmp_path / "old", PUSHES)
    new = _tree(tmp_path / "new", changed_file)
    changes, notes = diff_apis(old, new, {"push_content": "PushContent", "new_msg_id": "NewMsgId"})
    assert notes == []
    lines = [c.line() for c in changes]
    assert all("PushAddMsgData" in line for line in lines), lines
    assert any(c.breaking and "PushContent" in c.field for c in changes), lines
    assert any("NewMsgId" in c.field for c in changes), lines


def test_a_push_schema_may_not_take_a_name_the_spec_uses(tmp_path: Path) -> None:
    clash = {"components": {"schemas": {"GroupGetChatroomQrCodeData": {"type": "object"}}}}
    pushes = tmp_path / "pushes.yaml"
    pushes.write_text(yaml.safe_dump(clash), encoding="utf-8")
    with pytest.raises(GenerateError, match="GroupGetChatroomQrCodeData"):
        with_push_schemas(SPEC, tmp_path / "merged.yaml", pushes)


def test_every_key_parse_event_reads_is_in_its_push_schema() -> None:
    from gewe.events.parse import READS

    schemas = yaml.safe_load(PUSHES.read_text(encoding="utf-8"))["components"]["schemas"]
    for schema, keys in READS.items():
        properties = schemas[schema]["properties"]
        missing = [key for key in keys if key not in properties]
        assert missing == [], f"parse.py reads {missing} of {schema}, which openapi/pushes.yaml lacks"
