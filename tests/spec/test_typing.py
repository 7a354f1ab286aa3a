"""`mypy --strict` over a generated package of the fixture spec, and over a user of its models.

The fixture spec has what the seed lacks: nested request models, a module with a method named
`list`, replies without an envelope. (`make typecheck` checks the shipped generated/ package.)
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from tests.spec._support import Generated, mypy_strict

# A user of the package: mypy must know the models' types through `gewe_api.models` (lazy imports
# must not turn them into Any), so the deliberate mistake on the last line must be reported.
USER = textwrap.dedent(
    """
    from gewe_api.models import GroupGetChatroomMemberListData, GroupGetChatroomMemberListDataMemberListItem


    def owners(data: GroupGetChatroomMemberListData) -> list[GroupGetChatroomMemberListDataMemberListItem]:
        return data.member_list


    wrong: int = GroupGetChatroomMemberListData(member_list=[], chatroom_owner="w").chatroom_owner
    """
)
EXPECTED = re.compile(r'^user\.py:\d+: error: Incompatible types in assignment \(expression has type "str"')


def test_mypy_strict_over_the_generated_fixture_package(fixture_generated: Generated, tmp_path: Path) -> None:
    root = fixture_generated.root
    (root / "user.py").write_text(USER, encoding="utf-8")
    proc = mypy_strict(root, tmp_path / "cache", "gewe_api", "user.py")
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    unexpected = [line for line in errors if not EXPECTED.match(line)]
    assert unexpected == [], proc.stdout
    assert len(errors) == 1, proc.stdout  # the deliberate one: the models are typed
