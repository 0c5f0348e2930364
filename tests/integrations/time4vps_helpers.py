"""Constants and assertions shared by the Time4VPS client tests (fixtures: conftest.py)."""

from __future__ import annotations

import base64

from tests.fakes.time4vps_provider import FakeTime4VPS

FIRST, SECOND, THIRD = 51001, 51002, 51003
# Fast enough for a test run: tiny backoff, short timeouts.
FAST = {"connect_timeout": 1.0, "read_timeout": 2.0, "retry_attempts": 3, "retry_max_wait": 0.01}


def secrets_of(fake: FakeTime4VPS) -> list[str]:
    token = base64.b64encode(f"{fake.username}:{fake.password}".encode()).decode()
    return [fake.password, token]


def assert_no_secret(text: str, fake: FakeTime4VPS) -> None:
    for secret in secrets_of(fake):
        assert secret not in text
