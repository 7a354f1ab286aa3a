"""The gewe-sdk wheel: what is in it, its metadata, and a fresh venv using it against Prism."""

from __future__ import annotations

import hashlib
import json
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.packaging.helpers import ROOT, SPEC, Venv, clean_env, pip, project_version, run
from tools.servers import PrismServer

pytestmark = pytest.mark.slow

PACKAGES = {"gewe": ROOT / "overrides" / "gewe", "gewe_api": ROOT / "generated" / "gewe_api"}
RUNTIME_DEPENDENCIES = {"httpx", "aiohttp", "attrs", "python-dateutil"}
QR_PATH = "/gewe/v2/api/group/getChatroomQrCode"
CHATROOM = "34757816141@chatroom"


def _names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        return zf.namelist()


def _dist_info(wheel: Path) -> str:
    assert wheel.name.startswith(f"gewe_sdk-{project_version()}-"), wheel.name
    return f"gewe_sdk-{project_version()}.dist-info"


def _read(wheel: Path, name: str) -> str:
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(name).decode("utf-8")


def _metadata(wheel: Path) -> Message:
    return Parser().parsestr(_read(wheel, f"{_dist_info(wheel)}/METADATA"))


def _qr_reply_example() -> dict[str, Any]:
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    reply = spec["paths"][QR_PATH]["post"]["responses"]["200"]["content"]["application/json"]
    example: dict[str, Any] = reply["example"]
    return example


# --- the wheel file ------------------------------------------------------------------------------------


def test_wheel_is_named_from_the_single_version_source(wheel: Path) -> None:
    assert wheel.name == f"gewe_sdk-{project_version()}-py3-none-any.whl"
    assert _metadata(wheel)["Name"] == "gewe-sdk"
    assert _metadata(wheel)["Version"] == project_version()


def test_wheel_holds_exactly_the_two_packages_typed_and_no_tests(wheel: Path) -> None:
    names = _names(wheel)
    tops = {PurePosixPath(n).parts[0] for n in names}
    assert tops == {"gewe", "gewe_api", _dist_info(wheel)}
    assert "gewe/py.typed" in names
    assert "gewe_api/py.typed" in names
    for name in names:
        parts = PurePosixPath(name).parts
        assert not {"tests", "test", "__pycache__"} & set(parts), name
        assert not parts[-1].startswith("test_") and parts[-1] != "conftest.py", name
        assert not name.endswith((".pyc", ".pyo")), name


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_wheel_holds_every_source_file_of_each_package(wheel: Path, package: str) -> None:
    source = PACKAGES[package]
    expected = {
        f"{package}/{p.relative_to(source).as_posix()}"
        for p in source.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }
    in_wheel = {n for n in _names(wheel) if n.startswith(f"{package}/")}
    assert in_wheel == expected


def test_wheel_depends_only_on_its_runtime_dependencies_plus_its_extras(wheel: Path) -> None:
    meta = _metadata(wheel)
    assert meta.get_all("Provides-Extra") == ["media", "qr", "redis", "s3"]
    assert meta["Requires-Python"] == ">=3.11"
    base: set[str] = set()
    extras: dict[str, set[str]] = {"media": set(), "qr": set(), "redis": set(), "s3": set()}
    for line in meta.get_all("Requires-Dist") or []:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        if req.marker is None:
            base.add(name)
        else:
            # Only the extras may add requirements, each its own.
            assert not req.marker.evaluate({"extra": ""}), line
            owners = [extra for extra in extras if req.marker.evaluate({"extra": extra})]
            assert len(owners) == 1, line
            extras[owners[0]].add(name)
    assert base == RUNTIME_DEPENDENCIES
    assert extras["qr"], "the qr extra should require its QR decoder"
    assert extras["redis"] == {"redis"}
    assert extras["media"] == {"av", "silk-python"} and extras["s3"] == {"boto3"}
    assert not (extras["qr"] | extras["redis"] | extras["media"] | extras["s3"]) & base


def test_wheel_declares_the_gewe_console_script(wheel: Path) -> None:
    entry_points = _read(wheel, f"{_dist_info(wheel)}/entry_points.txt")
    section = entry_points.split("[console_scripts]", 1)[1].split("[", 1)[0]
    scripts = dict(line.replace(" ", "").split("=", 1) for line in section.strip().splitlines())
    assert scripts == {"gewe": "gewe.cli:main"}
    assert "gewe/cli.py" in _names(wheel)


def test_wheel_long_description_is_the_users_readme_not_the_contributors(wheel: Path) -> None:
    metadata = _metadata(wheel)
    description = metadata.get_payload()
    assert isinstance(description, str)
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert description.strip() == (ROOT / "overrides" / "README.md").read_text(encoding="utf-8").strip()
    for user_topic in ("pip install gewe-sdk", "GeweClient(", "GeweError", "gewe call"):
        assert user_topic in description, user_topic
    assert "make " not in description and "openapi/exports" not in description


def test_wheel_records_the_spec_it_was_built_from(wheel: Path) -> None:
    digest = hashlib.sha256(SPEC.read_bytes()).hexdigest()
    assert f'SPEC_SHA256 = "{digest}"' in _read(wheel, "gewe_api/_spec.py")


# --- the wheel installed in a fresh venv ---------------------------------------------------------------


@pytest.fixture(scope="session")
def installed(make_venv: Any, wheel: Path, wheelhouse: Path) -> Venv:
    """A fresh venv with the wheel and its dependencies (offline, from the wheelhouse) and nothing else."""
    venv: Venv = make_venv("wheel-install")
    venv.install("--no-index", "--find-links", wheelhouse, wheel)
    return venv


IMPORT_REPORT = """
import json, gewe, gewe_api
print(json.dumps({
    "gewe": gewe.__file__, "gewe_api": gewe_api.__file__,
    "version": gewe.__version__, "spec_sha256": gewe.SPEC_SHA256,
}))
"""


def test_installed_wheel_imports_from_the_venv_and_records_its_spec(installed: Venv) -> None:
    report = json.loads(installed.python_code(IMPORT_REPORT).stdout)
    for package in ("gewe", "gewe_api"):
        assert Path(report[package]).is_relative_to(installed.path), report[package]
    assert report["version"] == project_version()
    assert report["spec_sha256"] == hashlib.sha256(SPEC.read_bytes()).hexdigest()


FIND_MODULES = """
import importlib.util, json, sys
print(json.dumps([name for name in sys.argv[1:] if importlib.util.find_spec(name)]))
"""


def test_installed_wheel_has_only_its_runtime_dependencies(installed: Venv) -> None:
    # The extra's packages, and the dev tools of this checkout, must not be needed nor present.
    others = ["zxingcpp", "PIL", "redis", "yaml", "pytest", "openapi_python_client", "pydantic", "six"]
    others.append("defusedxml")  # pushes' XML is read by the standard library's expat
    assert json.loads(installed.python_code(FIND_MODULES, *others).stdout) == []
    wanted = ["httpx", "aiohttp", "attrs", "dateutil"]
    assert json.loads(installed.python_code(FIND_MODULES, *wanted).stdout) == wanted


PARSE_PUSH = """
import json
from gewe.events import parse_event
push = {"TypeName": "AddMsg", "Appid": "wx_a", "Wxid": "wxid_bot",
        "Data": {"NewMsgId": "9123456789012345678", "MsgType": 3, "FromUserName": {"string": "wxid_x"},
                 "Content": {"string": '<msg><img aeskey="k" length="12"/></msg>'}}}
event = parse_event(json.dumps(push))
print(json.dumps([event.kind, event.new_msg_id, event.aes_key, event.size]))
"""


def test_installed_wheel_parses_pushes(installed: Venv) -> None:
    # gewe.events needs the generated Push* models from the installed wheel alone (XML: the stdlib)
    result = json.loads(installed.python_code(PARSE_PUSH).stdout)
    assert result == ["image", 9123456789012345678, "k", 12]


CALL_QR = """
import json, sys
from gewe import GeweClient
from gewe_api.models import GroupGetChatroomQrCodeData
with GeweClient(token="wheel-test-token", app_id="wx_wheel", base_url=sys.argv[1], max_retries=0) as client:
    qr = client.group.get_chatroom_qr_code(chatroom_id=sys.argv[2])
print(json.dumps({
    "is_data_model": isinstance(qr, GroupGetChatroomQrCodeData),
    "data": qr.to_dict(),
    "mime_type": qr.image.mime_type,
}))
"""


@pytest.mark.prism
def test_installed_wheel_fetches_the_group_qr_from_prism(installed: Venv, prism: PrismServer) -> None:
    result = json.loads(installed.python_code(CALL_QR, prism.base_url, CHATROOM).stdout)
    assert result["is_data_model"] is True
    assert result["data"] == _qr_reply_example()["data"]
    assert result["mime_type"] == "image/jpeg"


@pytest.mark.prism
def test_installed_console_script_calls_prism(installed: Venv, prism: PrismServer) -> None:
    gewe = installed.bin / "gewe"
    version = run([gewe, "--version"], cwd=installed.path, env=installed.env())
    assert version.stdout.strip() == f"gewe-sdk {project_version()}"
    env = installed.env(
        {"GEWE_TOKEN": "wheel-test-token", "GEWE_APP_ID": "wx_wheel", "GEWE_BASE_URL": prism.base_url}
    )
    reply = run(
        [gewe, "call", "group", "getChatroomQrCode", "--json", json.dumps({"chatroomId": CHATROOM})],
        cwd=installed.path,
        env=env,
    )
    assert json.loads(reply.stdout) == _qr_reply_example()["data"]


# --- a user's bot tests, from the README alone, in a fresh venv -------------------------------------


def _pinned(name: str) -> str:
    """`name==version` as requirements/dev.txt pins it."""
    for line in (ROOT / "requirements" / "dev.txt").read_text(encoding="utf-8").splitlines():
        if line.split("==")[0].strip().lower() == name:
            return line.split("#")[0].split(";")[0].strip()
    raise AssertionError(f"{name} is not pinned in requirements/dev.txt")


def test_a_users_bot_tests_from_the_readme_pass_in_a_fresh_venv_with_the_wheel_and_pytest(
    make_venv: Any, wheel: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    from tests.testing.test_readme_testing import example, run_user_tests

    house = tmp_path / "pytest-wheels"
    run(
        pip("download", "--only-binary=:all:", "--dest", house, _pinned("pytest"), _pinned("pytest-asyncio")),
        env=clean_env(keep_pip_config=True),
    )
    venv: Venv = make_venv("bot-tests")
    venv.install(
        "--no-index", "--find-links", wheelhouse, "--find-links", house, wheel, "pytest", "pytest-asyncio"
    )
    folder = tmp_path / "bot"
    folder.mkdir()
    result = run_user_tests(
        venv.python, folder, example(ROOT / "overrides" / "README.md")
    )  # the wheel's README
    assert result.returncode == 0 and "3 passed in" in result.stdout, result.stdout + result.stderr
