import pytest
from django.utils import timezone

from apps.servers.choices import Lifecycle
from apps.servers.models import Server
from apps.servers.services import ssh_key_create
from apps.servers.services.write import servers_write
from tests.servers.factories import details, provider_account


@pytest.fixture(autouse=True)
def fast_checks(settings):
    settings.HEALTH_CONNECT_TIMEOUT_SECONDS = 3.0
    settings.HEALTH_COMMAND_TIMEOUT_SECONDS = 5.0
    settings.INCIDENT_RESOLVE_AFTER_CHECKS = 2


@pytest.fixture
def make_server(sshd):
    """A ready server whose SSH settings point at the test sshd (or at `port`)."""
    numbers = iter(range(1, 10_000))

    def make(*, port: int | None = None, key_text: str | None = None, lifecycle=Lifecycle.READY, **fields) -> Server:
        number = next(numbers)
        # An account per server: a listing is always complete, so one-server listings of a shared
        # account would mark the earlier servers removed.
        account = provider_account()
        servers_write(account=account, listing=[details(number, ip="127.0.0.1")], now=timezone.now())
        key = ssh_key_create(name=f"key-{account.pk}-{number}", private_key=key_text or sshd.private_key)
        Server.objects.filter(provider_account=account, provider_id=str(number)).update(
            ssh_port=port or sshd.port, ssh_user=sshd.username, ssh_key=key, lifecycle=lifecycle, **fields
        )
        return Server.objects.get(provider_account=account, provider_id=str(number))

    return make
