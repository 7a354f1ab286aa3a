"""`make publish` (tools/publish.py) end to end, against a real pypiserver with authentication.

The server runs on 127.0.0.1 with an htpasswd file and authenticates uploads, downloads and
listings. The wheel is uploaded by tools/publish.py, then pip installs it by `--index-url` into a
fresh venv (its dependencies from the session's wheelhouse) and it imports. A wrong password and
a second upload of the same version each fail with one clear line and a non-zero exit code.
"""

from __future__ import annotations

import re
import secrets
import shutil
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

with warnings.catch_warnings():  # passlib 1.7.4 imports the deprecated `crypt` module
    warnings.simplefilter("ignore", DeprecationWarning)
    from passlib.apache import HtpasswdFile

from tests.packaging.helpers import ROOT, Venv, clean_env, pip, project_version, run
from tools.servers import LOOPBACK, ServerProcess, free_port, start_server

PUBLISH = ROOT / "tools" / "publish.py"
USER = "gewe-ci"


@dataclass(frozen=True)
class Index:
    server: ServerProcess
    packages: Path
    password: str

    @property
    def upload_url(self) -> str:
        return self.server.url + "/"

    def saw(self, pattern: str, timeout: float = 5.0) -> bool:
        """Whether the server's access log has (or gets within `timeout` s) a line matching `pattern`."""
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.server.output()):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def simple_url(self, user: str, password: str) -> str:
        return f"http://{user}:{password}@{LOOPBACK}:{self.server.port}/simple/"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    """pypiserver on a free loopback port; every action needs USER's password."""
    root = tmp_path_factory.mktemp("pypiserver")
    packages = root / "packages"
    packages.mkdir()
    password = "pw-" + secrets.token_hex(8)
    htpasswd = HtpasswdFile(str(root / "htpasswd"), new=True)
    htpasswd.set_password(USER, password)
    htpasswd.save()
    port = free_port()
    cmd: list[str | Path] = [
        Path(sys.executable).parent / "pypi-server",
        "run",
        "-i",
        LOOPBACK,
        "-p",
        str(port),
        "-P",
        root / "htpasswd",
        "-a",
        "update,download,list",
        "--disable-fallback",  # unknown projects are a 404, never a redirect to pypi.org
        "--server",
        "wsgiref",
        "-v",  # log each request and its status (to tell a 403 from a 404 in the output)
        packages,
    ]
    ready = f"Listening on http://{LOOPBACK}:{port}/"
    env = clean_env({"PYTHONUNBUFFERED": "1"})
    with start_server(cmd, port=port, name="pypiserver", env=env, timeout=30, ready=ready) as server:
        yield Index(server, packages, password)


def publish(dist: Path, **env: str) -> tuple[int, str, str]:
    """Run `python tools/publish.py DIST` with exactly the GEWE_INDEX_* variables given."""
    proc = run([sys.executable, PUBLISH, dist], cwd=ROOT, env=clean_env(env), check=False)
    return proc.returncode, proc.stdout, proc.stderr


def settings(index: Index, password: str | None = None) -> dict[str, str]:
    return {
        "GEWE_INDEX_URL": index.upload_url,
        "GEWE_INDEX_USER": USER,
        "GEWE_INDEX_PASSWORD": index.password if password is None else password,
    }


def assert_one_clear_line(code: int, stdout: str, stderr: str, *needles: str, secret: str = "") -> str:
    """A non-zero exit, one `publish: error:` line holding every needle, no traceback, no secret."""
    assert code != 0
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("publish: error: ")
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "Traceback" not in stdout + stderr
    if secret:
        assert secret not in stdout + stderr
    return lines[0]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A dist/ folder holding the session's wheel, as `make wheel` leaves it."""
    folder = tmp_path_factory.mktemp("dist")
    shutil.copy2(wheel, folder / wheel.name)
    return folder


@pytest.fixture(scope="module")
def uploaded(index: Index, dist: Path) -> tuple[int, str, str]:
    """The first upload of the wheel to the index (by `make publish`'s script)."""
    return publish(dist, **settings(index))


# --- against the index -----------------------------------------------------------------------------


@pytest.mark.slow
def test_publish_uploads_the_wheel(index: Index, dist: Path, uploaded: tuple[int, str, str]) -> None:
    code, stdout, stderr = uploaded
    assert code == 0, stdout + stderr
    wheel_name = next(dist.glob("*.whl")).name
    assert f"uploaded {wheel_name}" in stdout
    assert index.password not in stdout + stderr
    assert (index.packages / wheel_name).read_bytes() == (dist / wheel_name).read_bytes()


@pytest.mark.slow
def test_pip_installs_the_published_wheel_from_the_index_and_it_imports(
    index: Index, uploaded: tuple[int, str, str], make_venv: Callable[[str], Venv], wheelhouse: Path
) -> None:
    assert uploaded[0] == 0, uploaded
    venv = make_venv("from-index")
    # gewe-sdk exists only on the index (the wheelhouse holds just its dependencies), and the
    # index has nothing but gewe-sdk (no fallback), so each comes from where it should.
    venv.install(
        "--index-url",
        index.simple_url(USER, index.password),
        "--find-links",
        wheelhouse,
        f"gewe-sdk=={project_version()}",
    )
    wheel_file = f"gewe_sdk-{project_version()}-py3-none-any.whl"
    assert index.saw(rf'"GET /packages/{re.escape(wheel_file)} HTTP/1\.1" 200'), index.server.output()
    assert wheel_file not in {p.name for p in wheelhouse.iterdir()}
    report = venv.python_code("import gewe; print(gewe.__version__); print(gewe.__file__)").stdout.split()
    assert report[0] == project_version()
    assert Path(report[1]).is_relative_to(venv.path)


@pytest.mark.slow
def test_pip_cannot_install_from_the_index_with_a_wrong_password(
    index: Index, uploaded: tuple[int, str, str], make_venv: Callable[[str], Venv], wheelhouse: Path
) -> None:
    # The control for the install above: the index really does check who downloads.
    assert uploaded[0] == 0, uploaded
    venv = make_venv("wrong-password")
    cmd = pip(
        "install",
        "--no-cache-dir",
        "--index-url",
        index.simple_url(USER, "not-the-password"),
        "--find-links",
        wheelhouse,
        f"gewe-sdk=={project_version()}",
        python=venv.python,
    )
    proc = run(cmd, env=clean_env(), check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"No matching distribution found for gewe-sdk=={project_version()}" in output, output
    assert "not-the-password" not in output
    assert index.saw(r'"GET /simple/gewe-sdk/ HTTP/1\.1" 403'), index.server.output()


@pytest.mark.slow
def test_a_second_upload_of_the_same_version_fails_clearly(
    index: Index, dist: Path, uploaded: tuple[int, str, str]
) -> None:
    assert uploaded[0] == 0, uploaded
    wheel_name = next(dist.glob("*.whl")).name
    before = (index.packages / wheel_name).stat().st_mtime_ns
    line = assert_one_clear_line(
        *publish(dist, **settings(index)),
        wheel_name,
        "already on",
        "overrides/gewe/_version.py",
        secret=index.password,
    )
    assert project_version() in line
    assert (index.packages / wheel_name).stat().st_mtime_ns == before


@pytest.mark.slow
def test_a_wrong_password_fails_clearly(index: Index, dist: Path) -> None:
    wrong = "wrong-" + secrets.token_hex(6)
    assert_one_clear_line(
        *publish(dist, **settings(index, password=wrong)),
        "refused the credentials",
        repr(USER),
        "GEWE_INDEX_PASSWORD",
        secret=wrong,
    )


@pytest.mark.slow
def test_an_unknown_user_fails_clearly(index: Index, dist: Path) -> None:
    env = {**settings(index), "GEWE_INDEX_USER": "somebody-else"}
    assert_one_clear_line(*publish(dist, **env), "refused the credentials", secret=index.password)


# --- before any upload (no server needed) ----------------------------------------------------------


SECRET = "pw-never-shown"
FULL = {"GEWE_INDEX_URL": "http://127.0.0.1:9/", "GEWE_INDEX_USER": "u", "GEWE_INDEX_PASSWORD": SECRET}


@pytest.mark.parametrize("missing", sorted(FULL))
def test_a_missing_setting_is_named(tmp_path: Path, missing: str) -> None:
    (tmp_path / "gewe_sdk-0.0.0-py3-none-any.whl").write_bytes(b"")
    env = {k: v for k, v in FULL.items() if k != missing}
    code, stdout, stderr = publish(tmp_path, **env)
    assert_one_clear_line(code, stdout, stderr, "missing environment variable", missing, secret=SECRET)
    assert code == 2


def test_an_empty_dist_folder_says_to_build_the_wheel(tmp_path: Path) -> None:
    (tmp_path / "gewe_sdk-0.1.0.tar.gz").write_bytes(b"")  # an sdist is not what we publish
    code, stdout, stderr = publish(tmp_path, **FULL)
    assert_one_clear_line(code, stdout, stderr, "no wheel", "make wheel", secret=SECRET)
    assert code == 2


def test_a_missing_dist_folder_says_to_build_the_wheel(tmp_path: Path) -> None:
    code, stdout, stderr = publish(tmp_path / "dist", **FULL)
    assert_one_clear_line(code, stdout, stderr, "make wheel")
    assert code == 2


def test_credentials_in_the_url_are_refused_and_not_echoed(tmp_path: Path) -> None:
    (tmp_path / "gewe_sdk-0.0.0-py3-none-any.whl").write_bytes(b"")
    env = {**FULL, "GEWE_INDEX_URL": "https://u:pw-in-url@pypi.example.com/legacy/"}
    code, stdout, stderr = publish(tmp_path, **env)
    assert_one_clear_line(code, stdout, stderr, "must not contain credentials", secret="pw-in-url")
    assert code == 2


@pytest.mark.slow  # needs the real wheel: twine reads it before connecting
def test_an_unreachable_index_is_named(tmp_path: Path, wheel: Path) -> None:
    shutil.copy2(wheel, tmp_path / wheel.name)
    url = f"http://{LOOPBACK}:{free_port()}/"  # nothing listens there
    code, stdout, stderr = publish(tmp_path, **{**FULL, "GEWE_INDEX_URL": url})
    needles = ("cannot reach the index", url, "Connection refused")
    assert_one_clear_line(code, stdout, stderr, *needles, secret=SECRET)
    assert code == 1


@pytest.mark.slow
def test_a_url_that_is_not_the_upload_url_gets_a_hint(index: Index, dist: Path) -> None:
    env = {**settings(index), "GEWE_INDEX_URL": index.server.url + "/simple/"}
    assert_one_clear_line(*publish(dist, **env), "HTTP 405", "upload URL", secret=index.password)
