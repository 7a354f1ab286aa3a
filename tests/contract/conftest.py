"""Prism for the contract tests: one mock server from openapi/gewe.yaml per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tools.servers import DEFAULT_PRISM, PrismNotFound, PrismServer, find_prism


@pytest.fixture(scope="session")
def prism() -> Iterator[PrismServer]:
    """A running Prism (static examples, --errors) on a free loopback port; stopped at session end.

    Skipped only when Prism was never installed and nothing asked for it (GEWE_PRISM unset, as
    outside the Makefile). When GEWE_PRISM is set (`make test` sets it) a missing or broken Prism
    is a failure, never a skip.
    """
    if not os.environ.get("GEWE_PRISM") and not DEFAULT_PRISM.exists():
        pytest.skip(f"Prism is not installed ({DEFAULT_PRISM} is absent, GEWE_PRISM unset): run `make prism`")
    try:
        find_prism()
    except PrismNotFound as exc:
        pytest.fail(str(exc), pytrace=False)
    with PrismServer() as server:
        yield server
