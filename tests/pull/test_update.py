"""`make pull` / `make update` end to end, in a scratch copy of the project (tests/release/_repo.py)
against a doc site on 127.0.0.1; and `make mock`."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.release._repo import Repo, new_repo
from tests.support.docsite import corpus_pages, doc_site, serve
from tools.servers import ROOT, free_port

pytestmark = pytest.mark.slow

# Run in the scratch repository after a pull: its own package (not the project's) still has what the
# SDK's code calls, and `gewe login` parses.
STILL_THERE = """
import os, sys
sys.path[:0] = ["overrides", "generated"]
import gewe
assert os.path.abspath(gewe.__file__).startswith(os.getcwd()), gewe.__file__
from gewe import GeweClient
from gewe.cli import build_parser
from gewe.events.callback import set_callback
c = GeweClient(token="tok-12345678", app_id="wx")
ops = [c.login.set_callback, c.login.login_flow, c.login.check_login, c.message.send_image,
       c.message.send_voice, c.message.send_video, c.message.send_file, c.message.download, c.message.reply]
build_parser().parse_args(["login", "--json"])
print(len(ops))
"""


def test_make_update_pulls_regenerates_and_answers_the_release_question(tmp_path: Path) -> None:
    repo: Repo = new_repo(tmp_path / "repo")
    assert repo.release("answer").stdout.startswith(
        f"release: no changes since {repo.version()}'s CHANGELOG.md entry ("
    )
    version = repo.version()
    with doc_site() as site:
        serve(site, corpus_pages(8))
        update = repo.make("update", f"DOCS={site.url}")
        assert update.returncode == 0, update.output
        exports = repo.path / "openapi" / "exports"
        assert sorted(p.name for p in exports.iterdir()) == sorted(
            [f"api-{i}.md" for i in range(8)] + ["doc-1.md"]
        )
        out = update.output
        assert "9 pages: 9 added, 0 changed, 1 removed, 0 unchanged" in out  # the tests' own page went
        # make spec: the 8 pulled operations and our own 20 (openapi/pages/, which a pull never touches)
        assert "read 29 pages (1 guide page skipped), 28 operations" in out
        assert "retried after a timeout (read-only): " in out
        last = update.stdout.strip().splitlines()[-1]
        pattern = (
            r"release: (breaking|compatible) changes since \S+'s CHANGELOG.md entry \(\w+\): "
            r"run `make bump` \(needs \S+\)"
        )
        answer = re.fullmatch(pattern, last)
        assert answer is not None, last
        assert (answer.group(1) == "breaking") == ("**breaking**" in update.stdout)  # as `make diff` said
        assert repo.version() == version  # it never bumps by itself
        # the spec and the package are those of the pulled pages
        check = repo.run(sys.executable, "-m", "tools.gewe_spec", "--check", check=False)
        assert check.returncode == 0, check.output
        assert "generated generated/gewe_api (" in update.stderr
        # a doc site without our pages leaves what the SDK's own code calls: set_callback, the login
        # flow behind `gewe login`, the send and download helpers
        still = repo.run(sys.executable, "-c", STILL_THERE, check=False)
        assert still.returncode == 0 and still.stdout.strip() == "9", still.output

        site.routes["/api-3.md"].status = 404  # a pull that fails touches nothing
        before = {p.name: p.read_bytes() for p in exports.iterdir()}
        failed = repo.make("pull", f"DOCS={site.url}")
        assert failed.returncode != 0 and f"{site.url}/api-3.md: HTTP 404" in failed.stderr
        assert {p.name: p.read_bytes() for p in exports.iterdir()} == before


def test_make_mock_serves_a_fake_gewe_until_interrupted(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tools" / "mock.py"), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "GEWE_TOKEN": "tok-mock-123456"},
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert f"at http://127.0.0.1:{port} (pid " in first, first + proc.stdout.read()
        proc.stdout.readline()  # the variables to export
        proc.stdout.readline()
        reply = httpx.post(f"http://127.0.0.1:{port}/gewe/v2/api/no/suchOperation", json={}, timeout=10)
        assert reply.status_code == 404  # the fake, answering for the spec
        assert proc.stdout.readline().strip() == "no.suchOperation refused: no such operation"
        headers = {"X-GEWE-TOKEN": "tok-mock-123456"}
        body = {"appId": "wx_fake_app", "chatroomId": "1@chatroom"}
        reply = httpx.post(
            f"http://127.0.0.1:{port}/gewe/v2/api/group/getChatroomQrCode", json=body, headers=headers
        )
        assert reply.json()["ret"] == 200 and proc.stdout.readline().strip() == "group.getChatroomQrCode ok"
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with pytest.raises(httpx.ConnectError):  # the server went with it
        httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
