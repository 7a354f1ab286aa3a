"""`client.login.login_flow(...)`, sync and async, against a fake GeWe on 127.0.0.1."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gewe import AsyncGeweClient, GeweClient, GeweConfigError
from gewe.login_flow import LoginState
from tests.conftest import TOKEN
from tests.support.fake_gewe import CAPTCHA, FakeGewe, fake_gewe

LOGGED_IN = {
    "status": 2,
    "expiredTime": 200,
    "loginInfo": {
        "uin": 1234567,
        "wxid": "wxid_bot01",
        "nickName": "Bot",
        "mobile": None,
        "alias": "bot_alias",
    },
}


def run_sync(fake: FakeGewe, app_id: str | None, captcha: str | None = None, **kw: Any) -> list[LoginState]:
    with GeweClient(token=TOKEN, app_id=app_id, base_url=fake.url) as client:
        flow = client.login.login_flow(**{"interval": 0, **kw})
        states = []
        for state in flow:
            states.append(state)
            if state.kind == "captcha" and captcha:
                flow.captcha(captcha)
        return states


def run_async(fake: FakeGewe, app_id: str | None, captcha: str | None = None, **kw: Any) -> list[LoginState]:
    async def main() -> list[LoginState]:
        async with AsyncGeweClient(token=TOKEN, app_id=app_id, base_url=fake.url) as client:
            flow = client.login.login_flow(**{"interval": 0, **kw})
            states = []
            async for state in flow:
                states.append(state)
                if state.kind == "captcha" and captcha:
                    flow.captcha(captcha)
            return states

    return asyncio.run(main())


RUNNERS = {"sync": run_sync, "async": run_async}


@pytest.fixture(params=sorted(RUNNERS))
def run(request: pytest.FixtureRequest) -> Any:
    return RUNNERS[request.param]


def test_states_0_1_2_on_the_first_login(run: Any) -> None:
    with fake_gewe(TOKEN) as fake:
        fake.check_login = [
            {"status": 0, "expiredTime": 240},
            {"status": 1, "expiredTime": 230, "nickName": "Al"},
            LOGGED_IN,
        ]
        states = run(fake, None, region_id="320000")
    assert [s.kind for s in states] == ["qr", "waiting", "scanned", "logged_in"]
    qr, _, scanned, done = states
    assert qr.qr_data == "http://weixin.qq.com/x/fake-login-code" and qr.qr_image is not None
    assert qr.qr_image.mime_type == "image/png"
    assert scanned.nickname == "Al" and scanned.expires_in == 230
    assert (done.app_id, done.wxid, done.nickname, done.alias) == (
        "wx_new_device_1",
        "wxid_bot01",
        "Bot",
        "bot_alias",
    )
    # the first login sends an empty appId (GeWe creates the device), then polls with the new one
    first, *polls = fake.requests
    assert first == ("login/getLoginQrCode", {"appId": "", "type": "ipad", "regionId": "320000"})
    assert [b["appId"] for _, b in polls] == ["wx_new_device_1"] * 3
    assert all(b["uuid"] == "uuid-1" and "captchCode" not in b for _, b in polls)
    assert done.to_dict()["wxid"] == "wxid_bot01" and "qr_image_base64" not in repr(done)


def test_a_known_device_logs_in_with_its_app_id(run: Any) -> None:
    with fake_gewe(TOKEN) as fake:
        fake.check_login = [LOGGED_IN]
        states = run(fake, "wx_known")
    assert fake.ops("login/getLoginQrCode")[0]["appId"] == "wx_known"
    assert states[-1].app_id == "wx_known" and states[-1].kind == "logged_in"


def test_expiry_ends_the_flow(run: Any) -> None:
    with fake_gewe(TOKEN) as fake:
        fake.check_login = [{"status": 0, "expiredTime": 3}, {"status": 1, "expiredTime": 0}]
        states = run(fake, "wx_known")
    assert [s.kind for s in states] == ["qr", "waiting", "expired"]
    assert len(fake.ops("login/checkLogin")) == 2  # no poll after the end


def test_max_wait_ends_a_flow_gewe_gives_no_expiry_for(run: Any) -> None:
    with fake_gewe(TOKEN) as fake:
        fake.check_login = [{"status": 0}] * 1000
        states = run(fake, "wx_known", max_wait=0.05, interval=0.02)
    assert states[-1].kind == "expired" and 2 <= len(states) < 100


def test_a_captcha_is_asked_for_and_sent_with_the_next_poll(run: Any) -> None:
    with fake_gewe(TOKEN) as fake:
        fake.check_login = [{"status": 1, "expiredTime": 200}, CAPTCHA, LOGGED_IN]
        states = run(fake, "wx_known", captcha=" 123456 ")
    assert [s.kind for s in states] == ["qr", "scanned", "captcha", "logged_in"]
    assert states[2].captcha_message == "本次登录需要输入安全验证码"
    polls = fake.ops("login/checkLogin")
    assert [p.get("captchCode") for p in polls] == [None, None, "123456"]


def test_the_qr_request_that_creates_a_device_is_never_retried() -> None:
    seen: list[dict[str, Any]] = []
    with fake_gewe(TOKEN) as fake, GeweClient(token=TOKEN, base_url=fake.url, max_retries=5) as client:
        resource = client.login
        original = resource.get_login_qr_code

        def spy(**kw: Any) -> Any:
            seen.append(kw)
            return original(**kw)

        fake.check_login = [LOGGED_IN]
        flow = client.login.login_flow(interval=0)
        flow._resource = type(
            "Spy", (), {"get_login_qr_code": staticmethod(spy), "check_login": resource.check_login}
        )()  # type: ignore[assignment]
        flow.run()
        known = client.login.login_flow(app_id="wx_known", interval=0)
        known._resource = flow._resource
        fake.check_login = [LOGGED_IN]
        known.run()
    assert seen[0]["app_id"] == "" and seen[0]["max_retries"] == 0
    assert seen[1]["app_id"] == "wx_known" and "max_retries" not in seen[1]


@pytest.mark.parametrize(
    ("kw", "setting"),
    [({"interval": -1}, "interval"), ({"max_wait": 0}, "max_wait"), ({"region_id": " "}, "region_id")],
)
def test_bad_settings_are_config_errors(kw: dict[str, Any], setting: str) -> None:
    client = GeweClient(token=TOKEN, app_id="wx")
    with pytest.raises(GeweConfigError) as info:
        client.login.login_flow(**kw)
    assert info.value.setting == setting
    with pytest.raises(GeweConfigError):
        client.login.login_flow().captcha("")
