"""gewe-sdk's pytest plugin (entry point `pytest11`): fixtures for testing a bot against `FakeGewe`.

Installing gewe-sdk registers it; it does nothing until a test asks for one of its fixtures:

- `gewe_fake`: a `FakeGewe` running in a thread of its own (sync and async tests alike), stopped
  after the test;
- `gewe_client`: a `GeweClient` configured against it (token, app id, base URL);
- `gewe_async_client`: an `AsyncGeweClient` configured against it (needs pytest-asyncio);
- `gewe_bot`: `await gewe_bot(handler_or_receiver, *pushes)` delivers the pushes through the fake
  and returns a `BotRun` (`.calls(op)`, `.statuses`), see `gewe.testing.run_bot`.

Nothing here is imported from gewe-sdk until a fixture runs, so the plugin costs a test session
nothing when unused.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from gewe import AsyncGeweClient, GeweClient
    from gewe.testing.fake import FakeGewe
    from gewe.testing.run import BotRun

try:  # an async fixture needs pytest-asyncio's decorator in its "strict" mode
    from pytest_asyncio import fixture as _async_fixture
except ImportError:  # pragma: no cover - a session without pytest-asyncio
    _async_fixture = None  # type: ignore[assignment]


@pytest.fixture
def gewe_fake() -> Iterator[FakeGewe]:
    """A fake GeWe on 127.0.0.1 (its own thread), serving the package's spec."""
    from gewe.testing.fake import FakeGewe

    with FakeGewe() as fake:
        yield fake


@pytest.fixture
def gewe_client(gewe_fake: FakeGewe) -> Iterator[GeweClient]:
    """A `GeweClient` for `gewe_fake` (its token, app id and base URL)."""
    from gewe import GeweClient

    with GeweClient(token=gewe_fake.token, app_id=gewe_fake.app_id, base_url=gewe_fake.base_url) as client:
        yield client


if _async_fixture is not None:

    @_async_fixture
    async def gewe_async_client(gewe_fake: FakeGewe) -> AsyncIterator[AsyncGeweClient]:
        """An `AsyncGeweClient` for `gewe_fake` (its token, app id and base URL)."""
        from gewe import AsyncGeweClient

        async with AsyncGeweClient(
            token=gewe_fake.token, app_id=gewe_fake.app_id, base_url=gewe_fake.base_url
        ) as client:
            yield client

else:  # pragma: no cover

    @pytest.fixture
    def gewe_async_client() -> None:
        """Needs pytest-asyncio."""
        pytest.fail("the gewe_async_client fixture needs pytest-asyncio: pip install pytest-asyncio")


@pytest.fixture
def gewe_bot(gewe_fake: FakeGewe) -> Callable[..., Awaitable[BotRun]]:
    """`await gewe_bot(handler_or_receiver, *pushes, duplicate=False)`: the `BotRun` of the pushes."""
    from gewe.testing.run import run_bot

    def run(bot: Any, *pushes: Any, **options: Any) -> Awaitable[BotRun]:
        return run_bot(gewe_fake, bot, *pushes, **options)

    return run
