"""The one way the servers domain gets a provider client for an account."""

from apps.integrations.time4vps import Time4VPSClient
from apps.servers.models import ProviderAccount


def provider_client_for(account: ProviderAccount) -> Time4VPSClient:
    # Sandbox accounts use the same client over HTTP: there is no separate code path.
    return Time4VPSClient(
        base_url=account.base_url,
        username=account.username,
        password=account.password,
        circuit_key=account.circuit_key,
    )
