"""Where the platform may send a provider account's credentials."""

from django.conf import settings

from apps.core.validators import outbound_url_problems
from apps.servers.choices import ProviderKind


def provider_base_url_problems(url: str, *, kind: str) -> list[str]:
    """Why `url` is not an acceptable base URL for an account of `kind`; empty when it is."""
    if kind == ProviderKind.SANDBOX and not settings.SANDBOX_ENABLED:
        return ["the sandbox provider exists only in development"]
    return outbound_url_problems(url)
