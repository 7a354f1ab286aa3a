"""Examples are evidence against constraints (tools/gewe_spec/constraints.py), on synthetic pages."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from tests.fixtures import corpus
from tests.fixtures.synth import markdown, page
from tools.gewe_spec import bundle
from tools.gewe_spec.constraints import CONSTRAINTS, drop_violated, violated
from tools.gewe_spec.report import Report, Where

MODULE, OPERATION = "sns", "uploadSnsImage"
PATH = f"/gewe/v2/api/{MODULE}/{OPERATION}"


def bundled(tmp_path: Path, doc: dict[str, Any]) -> tuple[dict[str, Any], Report]:
    exports = tmp_path / "exports"
    (exports / "朋友圈").mkdir(parents=True)
    (exports / "朋友圈" / "上传图片.md").write_text(markdown("上传图片", doc), encoding="utf-8")
    report = Report()
    return bundle(exports, report=report), report


def schemas(spec: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = spec["components"]["schemas"]
    return found


def test_a_constraint_the_pages_example_violates_is_dropped_with_a_warning(tmp_path: Path) -> None:
    doc = copy.deepcopy(page(MODULE, OPERATION, 3))
    corpus.contradicted_constraints(doc)
    spec, report = bundled(tmp_path, doc)
    request = schemas(spec)["SnsUploadSnsImageRequest"]["properties"]
    # the items' maxLength (the page meant "at most 9 images") is gone; the rest of the schema stays
    assert request["imgUrls"] == {"type": "array", "items": {"type": "string"}, "description": "图片"}
    assert request["count"] == {"type": "integer", "minimum": 1, "example": 9}  # maximum 5 < 9
    assert request["code"] == {"type": "string"}
    data = schemas(spec)["SnsUploadSnsImageData"]["properties"]
    assert data["status"] == {"type": "integer"}  # 2 is not in [0, 1]: no enum model either
    assert data["day"] == {"type": "string"}  # '昨天' is no date
    assert not any("Status" in name for name in schemas(spec))

    source = (tmp_path / "exports" / "朋友圈" / "上传图片.md").as_posix()
    found = [(w.where, w.message) for w in report.warnings if w.source == source and "violates" in w.message]
    assert (
        f"POST {PATH} requestBody.example.imgUrls.0",
        "example value 'https://example.invalid/a/1.jpg' violates `maxLength: 9`:"
        " `maxLength` dropped (the example is evidence)",
    ) in found
    dropped = sorted(message.split("`")[1] for _, message in found)
    expected = ["enum: [0, 1]", "format: 'date'", "maxLength: 9", "maximum: 5", "minLength: 6"]
    assert dropped == sorted([*expected, "pattern: '^[0-9]+$'"])


def test_constraints_the_example_keeps_are_kept(tmp_path: Path) -> None:
    doc = copy.deepcopy(page(MODULE, OPERATION, 3))
    corpus.contradicted_constraints(doc)
    media = doc["paths"][PATH]["post"]["requestBody"]["content"]["application/json"]
    media["example"].update(imgUrls=["a.jpg"], code="123456")
    media["schema"]["properties"]["count"]["example"] = 4
    spec, report = bundled(tmp_path, doc)
    request = schemas(spec)["SnsUploadSnsImageRequest"]["properties"]
    assert request["imgUrls"]["items"] == {"type": "string", "maxLength": 9}
    assert request["count"] == {"type": "integer", "minimum": 1, "maximum": 5, "example": 4}
    assert request["code"] == {"type": "string", "pattern": "^[0-9]+$", "minLength": 6}
    assert not [w for w in report.warnings if "requestBody" in w.where and "violates" in w.message]


SCHEMA_PARTS = st.fixed_dictionaries(
    {},
    optional={
        "minLength": st.integers(0, 6),
        "maxLength": st.integers(0, 6),
        "pattern": st.sampled_from(["^[a-z]+$", "[0-9]", "^wxid_", "(", "^.{2,4}$"]),
        "format": st.sampled_from(["date", "date-time", "email", "ipv4", "uuid", "int32", "no-such-format"]),
        "minimum": st.integers(-5, 5),
        "maximum": st.integers(-5, 5),
        "exclusiveMinimum": st.booleans(),
        "enum": st.lists(
            st.one_of(st.integers(-3, 3), st.sampled_from(["a", "ab", "2020-01-01"])), min_size=1
        ),
        "minItems": st.integers(0, 3),
        "maxItems": st.integers(0, 3),
        "description": st.just("说明"),
    },
)
VALUES = st.one_of(
    st.integers(-8, 8),
    st.sampled_from(["", "a", "ab", "abcdefgh", "wxid_1", "2020-01-01", "1.2.3.4", "x@y.cn", "(", "12"]),
    st.text(max_size=8),
    st.lists(st.integers(0, 2), max_size=4),
)


def valid(value: Any, schema: dict[str, Any]) -> bool:
    try:
        return bool(OAS30Validator(schema, format_checker=oas30_format_checker).is_valid(value))
    except Exception:  # a pattern Python cannot compile: not judged
        return True


def alone(key: str, schema: dict[str, Any]) -> dict[str, Any]:
    """One constraint of `schema`, with the exclusive flag that qualifies it."""
    exclusive = {"minimum": "exclusiveMinimum", "maximum": "exclusiveMaximum"}.get(key)
    return {key: schema[key]} | ({exclusive: schema[exclusive]} if exclusive in schema else {})


@settings(max_examples=200, deadline=None)
@given(schema=SCHEMA_PARTS, value=VALUES)
def test_after_dropping_the_example_fits_and_nothing_it_fits_is_dropped(
    schema: dict[str, Any], value: Any
) -> None:
    before = dict(schema)
    warnings: list[str] = []
    drop_violated(value, schema, Where("POST /x", "example"), lambda _w, m: warnings.append(m))
    for key in CONSTRAINTS:
        if key not in before:
            continue
        if key in schema:  # kept: the value fits it
            assert valid(value, alone(key, before)), key
        else:  # dropped: the value does not fit it, and a warning says so
            assert not valid(value, alone(key, before)), key
            assert any(f"`{key}: " in m and "dropped" in m for m in warnings), key
    assert set(before) - set(schema) <= {*CONSTRAINTS, "exclusiveMinimum"}
    assert len(warnings) == len([k for k in CONSTRAINTS if k in before and k not in schema])
    assert violated(value, schema) == []
    assert valid(value, schema) or "pattern" in schema  # an uncompilable pattern is left alone
