"""The base URL as people write it: with surrounding whitespace (a variable read from a file), as
GeWe's docs write the API root (`.../gewe/v2/api`), empty. Each either works against the fake GeWe
with both clients or is a GeweConfigError before anything is sent (never the public cloud by
surprise, with the token)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from gewe import AsyncGeweClient, GeweClient, GeweConfigError
from gewe.settings import DEFAULT_BASE_URL
from gewe.testing import FakeGewe


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGewe]:
    with FakeGewe() as running:
        yield running


def _online(fake: FakeGewe, cls: type, base_url: str | None) -> tuple[str, object]:
    """(the client's base_url, login.checkOnline's answer) through a client of `cls`."""
    if cls is GeweClient:
        with GeweClient(token=fake.token, app_id=fake.app_id, base_url=base_url) as client:
            return client.base_url, client.login.check_online()

    async def main() -> tuple[str, object]:
        async with AsyncGeweClient(token=fake.token, app_id=fake.app_id, base_url=base_url) as client:
            return client.base_url, await client.login.check_online()

    return asyncio.run(main())


FORMS = {
    "as-is": "{root}",
    "trailing-slash": "{root}/",
    "api-root": "{root}/gewe/v2/api",
    "api-root-slash": "{root}/gewe/v2/api/",
    "spaces": "  {root}\n",
    "spaces-and-api-root": " {root}/gewe/v2/api/ ",
}


@pytest.mark.parametrize("cls", [GeweClient, AsyncGeweClient], ids=["sync", "async"])
@pytest.mark.parametrize("form", sorted(FORMS))
def test_each_form_of_the_root_reaches_the_api(fake: FakeGewe, cls: type, form: str) -> None:
    root = fake.base_url.rstrip("/")
    before = len(fake.calls("login.checkOnline"))
    shown, online = _online(fake, cls, FORMS[form].format(root=root))
    assert shown == root
    assert online is not None and len(fake.calls("login.checkOnline")) == before + 1
    assert not fake.calls("login.checkOnline")[-1].problems


@pytest.mark.parametrize("cls", [GeweClient, AsyncGeweClient], ids=["sync", "async"])
def test_the_environment_variable_is_read_the_same_way(
    fake: FakeGewe, cls: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEWE_BASE_URL", f" {fake.base_url.rstrip('/')}/gewe/v2/api\n")
    shown, _ = _online(fake, cls, None)
    assert shown == fake.base_url.rstrip("/")


def test_a_path_before_the_api_root_is_kept() -> None:
    client = GeweClient(token="tok-0123456789", base_url="https://proxy.example/bots/gewe/v2/api/")
    assert client.base_url == "https://proxy.example/bots"
    other = GeweClient(token="tok-0123456789", base_url="https://proxy.example/gewe/v2")
    assert other.base_url == "https://proxy.example/gewe/v2"  # only the whole API root is taken off


@pytest.mark.parametrize("cls", [GeweClient, AsyncGeweClient], ids=["sync", "async"])
@pytest.mark.parametrize("empty", ["", "   ", "\n"])
def test_an_explicit_empty_base_url_is_a_config_error(
    cls: type, empty: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GEWE_BASE_URL", raising=False)
    with pytest.raises(GeweConfigError, match="base_url is empty") as info:
        cls(token="tok-0123456789", base_url=empty)
    assert info.value.setting == "base_url"


@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_environment_variable_means_unset(empty: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEWE_BASE_URL", empty)
    assert GeweClient(token="tok-0123456789").base_url == DEFAULT_BASE_URL
