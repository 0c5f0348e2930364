"""What the servers domain accepts: where a provider account's credentials may go, and which
addresses the platform connects to over SSH."""

from django.conf import settings
from django.core.exceptions import ValidationError

from apps.core.validators import outbound_url_problems
from apps.integrations.ssh import ssh_host_problem
from apps.servers.choices import ProviderKind


def provider_base_url_problems(url: str, *, kind: str) -> list[str]:
    """Why `url` is not an acceptable base URL for an account of `kind`; empty when it is."""
    if kind == ProviderKind.SANDBOX and not settings.SANDBOX_ENABLED:
        return ["the sandbox provider exists only in development"]
    return outbound_url_problems(url)


def validate_ssh_host(value: str) -> None:
    """The model's (so the admin's) and the API's check of a server's SSH host; the SSH client and
    the Ansible phase check the same rule again right before they connect."""
    problem = ssh_host_problem(value)
    if problem:
        raise ValidationError(f"The SSH host {problem}.", code="invalid_ssh_host")
