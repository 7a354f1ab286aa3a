"""The synthetic exports the benchmarks use (tests/fixtures/synth.py) make a valid, realistic spec."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.fixtures.synth import module_name, operation_name, write_synthetic_exports
from tests.spec._support import spec_text
from tools.gewe_spec import bundle
from tools.gewe_spec.pages import iter_page_files


def test_names_are_unique_and_letter_only() -> None:
    modules = [module_name(i) for i in range(40)]
    operations = [operation_name(i) for i in range(500)]
    assert len(set(modules)) == len(modules) and len(set(operations)) == len(operations)
    assert all(m.isalpha() and m.islower() for m in modules)
    assert modules[:3] == ["group", "message", "contacts"]


def test_150_endpoints_bundle_into_a_realistic_spec(tmp_path: Path) -> None:
    write_synthetic_exports(tmp_path / "a", 150)
    assert len(iter_page_files(tmp_path / "a")) == 150
    spec = bundle(tmp_path / "a")
    operations = [op for item in spec["paths"].values() for op in item.values()]
    assert len(operations) == 150
    per_module = Counter(op["tags"][0] for op in operations)
    assert len(per_module) == 10 and set(per_module.values()) == {15}
    # like GeWe: request, reply and data per endpoint, plus list items for half of them
    assert len(spec["components"]["schemas"]) == 150 * 3 + 75
    # the same last segment appears in every module, and still gives distinct names
    assert sum(path.endswith("/getChatroom") for path in spec["paths"]) == 10


def test_output_depends_only_on_the_arguments(tmp_path: Path) -> None:
    write_synthetic_exports(tmp_path / "a", 25, modules=12)
    write_synthetic_exports(tmp_path / "b", 25, modules=12)
    files_a = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in iter_page_files(tmp_path / "a")}
    files_b = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in iter_page_files(tmp_path / "b")}
    assert files_a == files_b
    assert spec_text(tmp_path / "a") == spec_text(tmp_path / "b")
    assert "extraa" in {p.parts[0] for p in files_a}  # modules beyond GeWe's ten get made-up names
