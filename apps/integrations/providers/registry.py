"""The provider adapters, keyed by the account's kind. A new provider is one line here."""

from __future__ import annotations

from apps.integrations.providers.base import AccountSettings, ProviderAdapter
from apps.integrations.providers.errors import ProviderRefused
from apps.integrations.providers.hetzner import HetznerAdapter
from apps.integrations.providers.sandbox import SandboxAdapter
from apps.integrations.providers.time4vps.adapter import Time4VPSAdapter

ADAPTERS: dict[str, type[ProviderAdapter]] = {
    adapter.kind: adapter for adapter in (Time4VPSAdapter, HetznerAdapter, SandboxAdapter)
}


# The kind an account has when it names none: the provider the platform served first.
DEFAULT_KIND = Time4VPSAdapter.kind


def adapter_class(kind: str) -> type[ProviderAdapter]:
    try:
        return ADAPTERS[kind]
    except KeyError:
        raise ProviderRefused(f"no provider adapter for accounts of kind {kind!r}") from None


def adapter_for(kind: str, settings: AccountSettings) -> ProviderAdapter:
    """A ready adapter for one account (use it as a context manager)."""
    return adapter_class(kind)(settings)


def provider_kinds() -> list[tuple[str, str]]:
    """(kind, title) of every provider, for choices."""
    return [(kind, adapter.title) for kind, adapter in ADAPTERS.items()]


def credential_help(name: str) -> str:
    """Which kinds use a credential field, and what it is for each: for forms and API docs."""
    uses = [
        f"{adapter.title}: {adapter.credential_fields[name]}"
        for adapter in ADAPTERS.values()
        if name in adapter.credential_fields
    ]
    return "; ".join(uses) + "." if uses else ""
