"""The release flow end to end, in a temporary git repository built from this project.

Each test starts from a clone of one repository (this project with the tests' own pages, committed,
tagged with its version; see _repo.py), edits GeWe's page as a user would, runs
`make spec generate`, and then `make diff`, `make check` and `make bump` for real.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures.synth import FIELD_NAMES, markdown, page
from tests.release._repo import QR_PAGE, Repo, clone, new_repo
from tools.gewe_release.version import Version, bumped

pytestmark = pytest.mark.slow

QR_TIPS_PROPERTY = "                      qrTips:\n                        type: string\n"
QR_TIPS_REQUIRED = "                      - qrTips\n"
CHATROOM_PROPERTY = "                chatroomId:\n                  type: string\n"


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """This project in a fresh repository: one commit, tagged with its version (v<version>)."""
    return new_repo(tmp_path_factory.mktemp("released") / "repo")


@pytest.fixture
def repo(released: Repo, tmp_path: Path) -> Repo:
    return clone(released, tmp_path / "repo")


def add_reply_field(page_text: str, before: str, field: str) -> str:
    """Insert a new integer property into a page's YAML, just before the first property `before`."""
    match = re.search(rf"^(?P<indent>[ ]+){re.escape(before)}:\n", page_text, re.M)
    assert match is not None, f"property {before!r} not found in the page"
    indent = match.group("indent")
    new = f"{indent}{field}:\n{indent}  type: integer\n{indent}  description: 过期时间\n"
    return page_text[: match.start()] + new + page_text[match.start() :]


def next_version(repo: Repo, breaking: bool) -> str:
    """The version a bump from the repository's released version gives (see test_version.py)."""
    return str(bumped(Version(repo.version()), breaking))


def sections(report: str) -> dict[str, list[str]]:
    """The report's change lines by section ("spec", "api")."""
    found: dict[str, list[str]] = {"spec": [], "api": []}
    current = None
    for line in report.splitlines():
        if line.startswith("## Spec"):
            current = "spec"
        elif line.startswith("## Python API"):
            current = "api"
        elif line.startswith("- ") and current:
            found[current].append(line)
    return found


def lines_with(lines: list[str], *parts: str) -> list[str]:
    return [line for line in lines if all(p in line for p in parts)]


def test_renamed_request_field_is_breaking_at_both_levels_until_bumped(repo: Repo) -> None:
    repo.edit_page("chatroomId", "roomId")
    regenerated = repo.regenerate()
    # make spec ends with the per-module summary (make generate does not repeat it)
    assert regenerated.stderr.count("  group: 0 added, 0 removed, 1 changed (getChatroomQrCode)\n") == 1

    diff = repo.make("diff")
    assert diff.returncode == 0
    found = sections(diff.stdout)
    subject = "`group.getChatroomQrCode` / `group.get_chatroom_qr_code`"
    assert lines_with(
        found["spec"], "**breaking**", "`request-property-removed`", subject, "`chatroomId` / `chatroom_id`"
    )
    assert lines_with(
        found["spec"], "**breaking**", "`new-required-request-property`", "`roomId` / `room_id`"
    )
    assert lines_with(
        found["api"],
        "**breaking**",
        "GroupGetChatroomQrCodeRequest`",
        "`chatroomId` / `chatroom_id`",
        "removed",
    )
    assert lines_with(found["api"], "**breaking**", "GroupResource.get_chatroom_qr_code`", "`chatroom_id`")
    released, minor = repo.version(), next_version(repo, breaking=True)
    assert f"needs {minor}" in diff.stdout

    check = repo.make("check")
    assert check.returncode != 0
    assert "make bump" in check.stderr
    assert lines_with(check.stderr.splitlines(), "`request-property-removed`", "`chatroomId` / `chatroom_id`")

    # make publish runs this same check, then the release-ready one, before it builds or uploads anything
    plan = repo.make("-n", "publish", check=True).stdout.splitlines()
    steps = [i for i, line in enumerate(plan) if "tools.gewe_release" in line or "tools/publish.py" in line]
    assert [plan[i].split()[-1] for i in steps] == ["check", "ready", "dist"]
    assert steps[1] < next(i for i, line in enumerate(plan) if "build --wheel" in line)

    bump = repo.make("bump")
    assert bump.returncode == 0, bump.output
    assert repo.version() == minor != released
    changelog = repo.read("CHANGELOG.md")
    spec_sha = hashlib.sha256((repo.path / "openapi/gewe.yaml").read_bytes()).hexdigest()
    entry = changelog[changelog.index(f"## {minor}") :]
    assert spec_sha in entry and "`request-property-removed`" in entry and "### Breaking" in entry

    assert repo.make("check").returncode == 0
    # committed, the base is still the release tag, and the bump still covers the change
    repo.commit("roomId")
    assert repo.release("check").returncode == 0
    assert repo.make("bump").returncode == 0 and repo.version() == minor  # bumping twice changes nothing


def add_optional_request_field(repo: Repo) -> None:
    repo.write(QR_PAGE, add_reply_field(repo.read(QR_PAGE), "chatroomId", "remarkCount"))


def add_operation(repo: Repo) -> None:
    new_page = repo.path / "openapi/exports/朋友圈/发送文字朋友圈.md"
    new_page.parent.mkdir(parents=True)
    new_page.write_text(markdown("发送文字朋友圈", page("sns", "sendTextSns", 2)), encoding="utf-8")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (add_optional_request_field, ("`new-optional-request-property`", "`remarkCount` / `remark_count`")),
        (add_operation, ("`endpoint-added`", "`sns.sendTextSns` / `sns.send_text_sns`")),
    ],
    ids=["new optional request field", "new operation"],
)
def test_compatible_change_passes_check_and_bumps_the_patch(
    repo: Repo, edit: Callable[[Repo], None], expected: tuple[str, ...]
) -> None:
    edit(repo)
    regenerated = repo.regenerate()
    if edit is add_operation:
        assert regenerated.stderr.count("  sns: 1 added (sendTextSns), 0 removed, 0 changed\n") == 1
        assert regenerated.stderr.count("  group: 0 added, 0 removed, 0 changed\n") == 1
    diff = repo.make("diff")
    assert "**compatible**:" in diff.stdout and "**breaking**" not in diff.stdout, diff.stdout
    assert lines_with(sections(diff.stdout)["spec"], "**compatible**", *expected)

    # the release step of `make check` (the spec and generated/ checks are the rename test's)
    check = repo.release("check")
    assert check.returncode == 0, check.stderr
    assert re.search(
        r"^release check: passed: .*: 0 breaking and \d+ compatible changes; nothing breaking", check.stderr
    )
    patch = next_version(repo, breaking=False)
    assert repo.make("bump").returncode == 0
    assert repo.version() == patch
    assert f"## {patch}" in repo.read("CHANGELOG.md")


def remove_reply_field(repo: Repo) -> None:
    repo.edit_page(QR_TIPS_PROPERTY + "                        description: 群二维码的提示\n", "")
    repo.edit_page(QR_TIPS_REQUIRED, "")


def reply_field_optional(repo: Repo) -> None:
    repo.edit_page(QR_TIPS_REQUIRED, "", count=1)  # the first list is `required`


def new_required_model_field(repo: Repo) -> None:
    repo.write(QR_PAGE, add_reply_field(repo.read(QR_PAGE), "qrTips", "qrExpireTime"))
    repo.edit_page(QR_TIPS_REQUIRED, QR_TIPS_REQUIRED + "                      - qrExpireTime\n", count=1)
    # ... and shown in the page's reply example, which is evidence: a required field the example
    # leaves out would be made optional (tools/gewe_spec/examples.py)
    example = "                  qrTips: "
    repo.edit_page(example, "                  qrExpireTime: 1767542400\n" + example)


@pytest.mark.parametrize(
    ("edit", "spec_line", "api_line"),
    [
        (
            remove_reply_field,
            ("**breaking**", "`response-required-property-removed`", "`data/qrTips` / `data.qr_tips`"),
            ("**breaking**", "`model-field-removed`", "GroupGetChatroomQrCodeData`", "`qrTips` / `qr_tips`"),
        ),
        (
            reply_field_optional,
            ("**breaking**", "`response-property-became-optional`", "`data/qrTips` / `data.qr_tips`"),
            (
                "**breaking**",
                "`model-field-type-changed`",
                "GroupGetChatroomQrCodeData`",
                "`qrTips` / `qr_tips`",
            ),
        ),
        (
            # the spec allows a new required reply field; code that builds the model does not
            new_required_model_field,
            ("**compatible**", "`response-required-property-added`", "`data/qrExpireTime`"),
            (
                "**breaking**",
                "`model-required-field-added`",
                "GroupGetChatroomQrCodeData`",
                "`qr_expire_time`",
            ),
        ),
    ],
    ids=["removed reply field", "reply field became optional", "new required model field"],
)
def test_breaking_reply_changes(
    repo: Repo, edit: Callable[[Repo], None], spec_line: tuple[str, ...], api_line: tuple[str, ...]
) -> None:
    edit(repo)
    repo.regenerate()
    report = repo.release("diff").stdout
    assert "**breaking**:" in report, report
    found = sections(report)
    assert lines_with(found["spec"], *spec_line), report
    assert lines_with(found["api"], *api_line), report


def test_removed_enum_value_is_breaking(repo: Repo) -> None:
    repo.edit_page(
        CHATROOM_PROPERTY,
        CHATROOM_PROPERTY
        + "                  enum:\n"
        + "".join(f"                    - {v}\n" for v in ("34757816141@chatroom", "1@chatroom")),
    )
    repo.regenerate()
    repo.commit("chatroomId is an enum")
    repo.edit_page("                    - 1@chatroom\n", "")
    repo.regenerate()
    diff = repo.make("diff", "BASE=HEAD")
    assert re.search(r"^# Changes since HEAD \(", diff.stdout, re.M)
    found = sections(diff.stdout)
    assert lines_with(found["spec"], "**breaking**", "`request-property-enum-value-removed`", "'1@chatroom'")
    assert lines_with(
        found["api"], "**breaking**", "`object-removed`", "GroupGetChatroomQrCodeRequestChatroomId"
    )


def test_no_change_says_no_changes(repo: Repo) -> None:
    diff = repo.make("diff")
    assert diff.returncode == 0
    assert "\nno changes\n" in diff.stdout
    released = repo.version()
    assert repo.make("bump").stdout.count("nothing to bump") == 1
    assert repo.version() == released
    # a spec edited (here: only a comment) without `make generate` is pointed out
    repo.write("openapi/gewe.yaml", repo.read("openapi/gewe.yaml") + "# edited\n")
    diff = repo.release("diff")
    assert "\nno changes\n" in diff.stdout and "run `make generate`" in diff.stdout


def test_every_release_command_compares_with_the_same_base(repo: Repo) -> None:
    """The issue-25 scenario: a page added and committed (not released), one of its fields renamed.

    Against the release (the one base of gitbase.py) the renamed field was never released, so the
    change is compatible: `make bump` sets the patch, and `make check`, `make diff`, `ready` and
    `answer` agree with it without a commit (they used to count from HEAD and ask for the minor).
    """
    add_operation(repo)
    repo.regenerate()
    repo.commit("sns.sendTextSns, not released")
    field = FIELD_NAMES[2 % len(FIELD_NAMES)]  # page(..., 2)'s first (required) request field
    new_page = repo.path / "openapi/exports/朋友圈/发送文字朋友圈.md"
    text = new_page.read_text(encoding="utf-8")
    assert f"{field}:" in text
    new_page.write_text(text.replace(field, "renamedField"), encoding="utf-8")
    repo.regenerate()

    patch = next_version(repo, breaking=False)
    bump = repo.make("bump")
    assert bump.returncode == 0, bump.output
    assert repo.version() == patch, bump.stdout
    label = f"{repo.git('describe', '--tags', '--abbrev=0').strip()[1:]}'s CHANGELOG.md entry"
    assert label in bump.stdout

    check = repo.make("check")
    assert check.returncode == 0, check.output
    assert label in check.stderr and "nothing breaking" in check.stderr
    diff = repo.make("diff")
    assert f"needs {patch}, done" in diff.stdout and "**breaking**" not in diff.stdout
    assert lines_with(sections(diff.stdout)["spec"], "`endpoint-added`", "`sns.sendTextSns`")
    answer = repo.release("answer")
    assert answer.stdout.startswith(f"release: compatible changes since {label}")
    assert "already covers them" in answer.stdout
    ready = repo.release("ready")
    assert ready.returncode == 0 and label in ready.stderr, ready.stderr
