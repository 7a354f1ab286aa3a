"""The synthetic corpus (tests/fixtures/corpus.py) is what `make corpus` needs it to be.

`make corpus` (part of `make test`) bundles, generates, type-checks and runs the Prism contract
suite over it; these tests pin down that the corpus covers what it claims to.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures import corpus
from tools.gewe_spec import bundle, dump
from tools.gewe_spec.pages import iter_page_files
from tools.gewe_spec.report import Report


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], Report]:
    exports = tmp_path_factory.mktemp("corpus") / "exports"
    corpus.write_corpus(exports)
    report = Report()
    return exports, bundle(exports, report=report), report


def test_at_least_150_endpoints_over_10_modules(written: tuple[Path, dict[str, Any], Report]) -> None:
    _, spec, report = written
    per_module = Counter(op["tags"][0] for item in spec["paths"].values() for op in item.values())
    assert len(per_module) == 10 and sum(per_module.values()) >= 150
    assert report.operations == per_module
    assert len(report.guide_pages) == 2
    suffixes = {p.suffix for p in iter_page_files(written[0])}
    assert suffixes == {".md", ".yaml", ".json"}


def test_last_path_segments_collide_across_modules(written: tuple[Path, dict[str, Any], Report]) -> None:
    _, spec, _ = written
    segments = Counter(path.rsplit("/", 1)[1] for path in spec["paths"])
    for name in corpus.COLLIDING:
        assert segments[name] == 10, name
    operation_ids = [op["operationId"] for item in spec["paths"].values() for op in item.values()]
    assert len(set(operation_ids)) == len(operation_ids)


def test_every_variant_is_used_in_several_modules() -> None:
    used: dict[str, set[str]] = {}
    for module, title, _ in corpus.corpus_documents():
        used.setdefault(title.rsplit("-", 1)[-1], set()).add(module)
    for variant in corpus.VARIANTS:
        assert len(used.get(variant.__name__, set())) >= 3, variant.__name__


def test_the_corpus_makes_every_kind_of_warning(written: tuple[Path, dict[str, Any], Report]) -> None:
    messages = " | ".join(w.message for w in written[2].warnings)
    for expected in (
        "is not of type boolean: read as False",
        "is not of type integer: dropped",
        "no 2xx reply documented",
        "does not fit type integer: replaced by a sample value",
        "example field `proxyIp` not in schema",
        "example shows `name` as null: made nullable",
        "required field `id` is missing from the example: made optional",
        "is not OpenAPI 3.0: dropped",
        "violates `maxLength: 9`: `maxLength` dropped",
    ):
        assert expected in messages, expected


def test_the_corpus_is_the_same_every_time(
    tmp_path: Path, written: tuple[Path, dict[str, Any], Report]
) -> None:
    corpus.write_corpus(tmp_path / "again")
    first = {p.relative_to(written[0]): p.read_bytes() for p in iter_page_files(written[0])}
    again = {p.relative_to(tmp_path / "again"): p.read_bytes() for p in iter_page_files(tmp_path / "again")}
    assert first == again
    assert dump(bundle(tmp_path / "again")) == dump(written[1])
