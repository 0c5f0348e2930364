"""Fixtures of the Time4VPS client tests: clients of the fake provider and circuits of their own."""

from __future__ import annotations

import uuid

import pytest
import redis
from django.conf import settings as django_settings

from apps.integrations.providers.time4vps import Time4VPSClient, circuit_reset
from apps.integrations.providers.time4vps.circuit import REDIS_NAMESPACE
from tests.integrations.time4vps_helpers import FAST


@pytest.fixture
def make_client(fake_provider):
    clients = []

    def make(**overrides) -> Time4VPSClient:
        options = {
            "base_url": fake_provider.base_url,
            "username": fake_provider.username,
            "password": fake_provider.password,
            **FAST,
            **overrides,
        }
        client = Time4VPSClient(**options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client) -> Time4VPSClient:
    return make_client()


@pytest.fixture
def circuit_key():
    """A circuit of this test's own; its Redis keys (services pass) are removed afterwards."""
    key = f"test-{uuid.uuid4().hex}"
    yield key
    circuit_reset(key)
    if django_settings.PROVIDER_CIRCUIT_REDIS_URL:
        connection = redis.Redis.from_url(django_settings.PROVIDER_CIRCUIT_REDIS_URL)
        keys = list(connection.scan_iter(f"{REDIS_NAMESPACE}:{key}:*"))
        if keys:
            connection.delete(*keys)
        connection.close()


@pytest.fixture
def circuit_settings(settings):
    settings.PROVIDER_CIRCUIT_FAIL_MAX = 2
    settings.PROVIDER_CIRCUIT_RESET_SECONDS = 60
    return settings
