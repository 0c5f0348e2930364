"""pytest fixtures of the fakes (registered in tests/conftest.py through pytest_plugins)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.time4vps_provider import FakeTime4VPS


@pytest.fixture
def fake_provider() -> Iterator[FakeTime4VPS]:
    """A started fake Time4VPS API on loopback (3 servers, tasks done at once); stopped after the test.

    See tests/fakes/time4vps_provider.py for its controls (fail, requests, servers, task_seconds...).
    """
    provider = FakeTime4VPS().start()
    try:
        yield provider
    finally:
        provider.stop()
