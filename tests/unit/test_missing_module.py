"""`client.<module>` for a module the spec lacks: an error naming it and saying how to add it."""

from __future__ import annotations

import pytest

from gewe import AsyncGeweClient, GeweClient
from gewe.resources import ModuleNotInSpecError
from tests.conftest import APP_ID, TOKEN


@pytest.mark.parametrize("cls", [GeweClient, AsyncGeweClient])
def test_a_module_the_spec_lacks_names_itself_and_the_fix(cls: type[GeweClient]) -> None:
    client = cls(token=TOKEN, app_id=APP_ID)
    with pytest.raises(ModuleNotInSpecError) as info:
        client.sns  # noqa: B018
    message = str(info.value)
    assert "'sns'" in message and "openapi/pages/sns/" in message and "make spec generate" in message
    assert "message" in message  # the modules it has
    assert TOKEN not in message
    assert isinstance(info.value, AttributeError) and not hasattr(client, "sns")
    assert getattr(client, "_private", None) is None  # other names: a plain AttributeError
    assert client.message is client.message  # modules of the spec are there, made once
