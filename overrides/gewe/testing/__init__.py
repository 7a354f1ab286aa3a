"""Test a bot without a WeChat account: a fake GeWe, push factories and pytest fixtures.

    from gewe.testing import FakeGewe, pushes

    async with FakeGewe() as fake:
        fake.reply("group.getChatroomQrCode", data={"qrBase64": "...", "qrTips": "..."})
        fake.fail("message.postText", msg="微信已离线", times=1)
        ...                                    # run the bot against fake.base_url / fake.token
        await fake.push(pushes.text("hello"))  # to the URL the bot set with login.setCallback
        fake.calls("message.postText")         # the bodies it sent, in order

`FakeGewe` (gewe.testing.fake) serves the operations of the spec the package was generated from;
`pushes` builds push bodies shaped like GeWe's; the pytest fixtures (`gewe_fake`,
`gewe_client`, `gewe_async_client`, `gewe_bot`) come with the package's pytest plugin. Nothing
here needs a test-only dependency.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import pushes
    from .fake import Call, Delivery, FakeGewe, Fetch, LoginFlow
    from .run import BotRun, run_bot

_LAZY = {
    "FakeGewe": ".fake",
    "Call": ".fake",
    "Delivery": ".fake",
    "Fetch": ".fake",
    "LoginFlow": ".fake",
    "BotRun": ".run",
    "run_bot": ".run",
}


def __getattr__(name: str) -> Any:
    if name == "pushes":
        value: Any = importlib.import_module(".pushes", __name__)
    else:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = ["BotRun", "Call", "Delivery", "FakeGewe", "Fetch", "LoginFlow", "pushes", "run_bot"]
