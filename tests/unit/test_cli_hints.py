"""What the `gewe` command prints when a user has a next step to take: `gewe login` on a device
that is already logged in says how to check it and how to log in another, and `gewe operations`
lines its columns up whatever the names' lengths."""

from __future__ import annotations

import importlib
import re

import pytest

from gewe.cli import main
from gewe.testing import FakeGewe
from gewe_api.api import MODULES


def test_login_on_a_logged_in_device_says_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    with FakeGewe() as fake:  # starts logged in with fake.app_id, as an account in use is
        argv = ["login", "--token", fake.token, "--app-id", fake.app_id, "--base-url", fake.base_url]
        code = main([*argv, "--interval", "0", "--no-terminal"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith("error: login.getLoginQrCode: ret=500 msg='微信已登录，请勿重复登录'")
    hint = " ".join(lines[1:])
    assert hint.startswith("hint: ")
    assert f"{fake.app_id} is already logged in" in hint
    assert "gewe call login checkOnline" in hint and "gewe login --new-device" in hint
    assert fake.token not in err


def test_login_with_an_unknown_device_says_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    with FakeGewe() as fake:
        fake.fail("login.getLoginQrCode", msg="设备不存在")
        argv = ["login", "--token", fake.token, "--app-id", "wx_gone", "--base-url", fake.base_url]
        assert main([*argv, "--interval", "0", "--no-terminal"]) == 1
    err = capsys.readouterr().err
    assert "hint: " in err and "wx_gone" in err and "gewe login --new-device" in err


def test_other_api_errors_get_no_hint(capsys: pytest.CaptureFixture[str]) -> None:
    with FakeGewe() as fake:
        fake.fail("login.getLoginQrCode", msg="系统繁忙")
        argv = ["login", "--token", fake.token, "--app-id", fake.app_id, "--base-url", fake.base_url]
        assert main([*argv, "--interval", "0", "--no-terminal"]) == 1
    assert "hint:" not in capsys.readouterr().err


def test_operations_columns_line_up(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--token", "tok-0123456789", "operations"]) == 0
    rows = capsys.readouterr().out.splitlines()
    expected = sum(len(importlib.import_module(f"gewe_api.api.{m}").OPERATIONS) for m in MODULES)
    assert len(rows) == expected
    starts = {tuple(m.start() for m in re.finditer(r"\S+", row)) for row in rows}
    assert len(starts) == 1, rows  # every field of every row starts in the same column
    (columns,) = starts
    assert len(columns) == 4  # method, operation, POST, path
    names = [row.split()[0] for row in rows]
    assert columns[1] == max(len(name) for name in names) + 2  # two spaces after the longest
