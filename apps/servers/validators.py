"""What the servers domain accepts: where a provider account's credentials may go, and which
addresses the platform connects to over SSH."""

from django.conf import settings
from django.core.exceptions import ValidationError

from apps.core.validators import outbound_url_problems
from apps.integrations.providers import ProviderError
from apps.integrations.providers.registry import adapter_class
from apps.integrations.ssh import ssh_host_problem


def provider_base_url_problems(url: str, *, kind: str) -> list[str]:
    """Why `url` is not an acceptable base URL for an account of `kind`; empty when it is."""
    try:
        adapter = adapter_class(kind)
    except ProviderError as error:
        return [str(error)]
    if adapter.development_only and not settings.SANDBOX_ENABLED:
        return [f"the {adapter.kind} provider exists only in development"]
    return outbound_url_problems(url)


def validate_ssh_host(value: str) -> None:
    """The model's (so the admin's) and the API's check of a server's SSH host; the SSH client and
    the Ansible phase check the same rule again right before they connect."""
    problem = ssh_host_problem(value)
    if problem:
        raise ValidationError(f"The SSH host {problem}.", code="invalid_ssh_host")
