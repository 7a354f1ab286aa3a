"""Every error class pickles with all its attributes (so it crosses a ProcessPoolExecutor), and
GeWe's known failures map to their classes from the one table in gewe.failures."""

from __future__ import annotations

import inspect
import pickle
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

import gewe
from gewe import errors, failures
from gewe.errors import GeweAPIError, GeweAuthError, GeweError

CLASSES = sorted(
    (c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, GeweError)),
    key=lambda c: c.__name__,
)


def sample(cls: type[GeweError]) -> GeweError:
    """An instance of `cls` with every attribute set, and a call's context."""
    if issubclass(cls, GeweAuthError):
        error: GeweError = cls(
            "refused",
            operation="group.x",
            status_code=401,
            body_excerpt="b",
            body="body",
            ret=401,
            msg="m",
            code="-1",
            data={"k": [1]},
        )
    elif issubclass(cls, GeweAPIError):
        error = cls(ret=500, msg="微信已离线", code="-1", operation="group.x", data={"msg": "m", "n": [1]})
    elif cls is errors.GeweHTTPError:
        error = cls("bad", status_code=502, body_excerpt="<html>", operation="group.x", body="<html>")
    elif cls is errors.GeweResponseError:
        error = cls("data.x is null", operation="group.x", field="data.x")
    elif issubclass(cls, errors.GeweConnectionError):
        error = cls("reset", operation="group.x")
    elif cls is errors.GeweConfigError:
        error = cls("no token", setting="token")
    else:
        error = cls("something")
    error.add_call_context(
        operation="group.x", attempts=3, elapsed=1.5, timeout=2.0, url="http://h/x", status_code=200
    )
    return error


def test_every_error_class_is_covered() -> None:
    names = {c.__name__ for c in CLASSES}
    assert {"GeweOfflineError", "GeweDeviceLimitError", "GeweAuthError", "GeweConfigError"} <= names
    assert set(gewe.__all__) >= names - {"GeweError"} | {"GeweError"}


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_errors_round_trip_through_pickle_with_every_attribute(cls: type[GeweError]) -> None:
    error = sample(cls)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert str(copy) == str(error) and copy.args == error.args
    assert vars(copy) == vars(error)


def _raise_offline(_: Any) -> None:
    raise sample(gewe.GeweOfflineError)


def test_an_api_error_raised_in_a_process_pool_reaches_the_parent() -> None:
    with ProcessPoolExecutor(max_workers=1) as pool, pytest.raises(gewe.GeweOfflineError) as info:
        pool.submit(_raise_offline, None).result(timeout=60)
    assert (info.value.ret, info.value.msg, info.value.attempts) == (500, "微信已离线", 3)


@pytest.mark.parametrize(
    ("ret", "msg", "data", "cls"),
    [
        (500, "header:X-GEWE-TOKEN 不可为空", None, gewe.GeweAuthError),
        (500, "token不可用或已过期", None, gewe.GeweAuthError),
        (500, "Token 已过期", None, gewe.GeweAuthError),
        (403, "whatever", None, gewe.GeweAuthError),
        (500, "发送消息失败", {"code": "-1", "msg": "微信已离线"}, gewe.GeweOfflineError),
        (500, "微信已离线", None, gewe.GeweOfflineError),
        (500, "失败", {"msg": "wx_abc设备不存在"}, gewe.GeweDeviceNotFoundError),
        (500, "本次登录需要输入安全验证码", None, gewe.GeweVerificationRequiredError),
        (500, "微信已登录，请勿重复登录", None, gewe.GeweAlreadyLoggedInError),
        (500, "已达到最大客户端数量", None, gewe.GeweDeviceLimitError),
        (500, "群不存在", {"msg": "其他"}, GeweAPIError),
        (500, None, "not a dict", GeweAPIError),
    ],
)
def test_known_failures_by_msg_or_data_msg(ret: int, msg: str | None, data: Any, cls: type) -> None:
    assert failures.classify(ret, msg, data) is cls


class RateLimited(GeweAPIError):
    pass


def test_users_register_their_own_patterns_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(failures, "_registered", ())
    gewe.register_failure("操作过于频繁", RateLimited)
    error = failures.api_error(
        ret=500, msg="操作过于频繁，请稍后再试", code=None, operation="m.x", data=None, status_code=200
    )
    assert type(error) is RateLimited and error.ret == 500
    gewe.register_failure("已离线", RateLimited)  # newest first, before the built-in rows
    assert failures.classify(500, "微信已离线", None) is RateLimited
    with pytest.raises(gewe.GeweConfigError):
        gewe.register_failure("x", ValueError)  # type: ignore[arg-type]
    with pytest.raises(gewe.GeweConfigError):
        gewe.register_failure("", RateLimited)


def test_a_huge_msg_is_kept_whole_but_shown_short() -> None:
    msg = "失败" * 100_000
    error = failures.api_error(ret=500, msg=msg, code=None, operation="m.x", data=None, status_code=200)
    assert error.msg == msg and len(str(error)) < 600
