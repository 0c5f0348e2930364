"""The one way the servers domain gets a provider adapter for an account."""

from django.conf import settings

from apps.integrations.providers import AccountSettings, ProviderAdapter
from apps.integrations.providers.registry import adapter_for
from apps.servers.models import ProviderAccount


def provider_for(account: ProviderAccount) -> ProviderAdapter:
    """The account's adapter (by its kind), built from its address and decrypted credentials."""
    return adapter_for(
        account.kind,
        AccountSettings(
            base_url=account.base_url,
            credentials=account.credentials,
            circuit_key=account.circuit_key,
            detail_concurrency=settings.SERVER_SYNC_DETAIL_CONCURRENCY,
        ),
    )
