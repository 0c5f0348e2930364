import pytest

from apps.integrations.providers.time4vps import circuit_reset
from apps.servers.models import ProviderAccount


@pytest.fixture(autouse=True)
def fast_provider_calls(settings):
    """Tiny timeouts and waits, so retry and timeout tests take milliseconds, not minutes."""
    settings.PROVIDER_CONNECT_TIMEOUT_SECONDS = 1.0
    settings.PROVIDER_READ_TIMEOUT_SECONDS = 0.5
    settings.PROVIDER_RETRY_ATTEMPTS = 3
    settings.PROVIDER_RETRY_MAX_WAIT_SECONDS = 0.02


@pytest.fixture(autouse=True)
def closed_circuits():
    """Circuit state outlives a test (process memory, or Redis): start and end each test closed."""
    yield
    for pk in ProviderAccount.objects.values_list("pk", flat=True):
        circuit_reset(f"provider-account:{pk}")


@pytest.fixture
def account_on(fake_provider):
    """A provider account pointing at the fake provider."""
    from tests.servers.factories import provider_account

    def make(**overrides):
        values = {
            "base_url": fake_provider.base_url,
            "username": fake_provider.username,
            "password": fake_provider.password,
        }
        values.update(overrides)
        return provider_account(**values)

    return make
