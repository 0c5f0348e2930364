"""Provider accounts: create, change, test, and the development sandbox account."""

from __future__ import annotations

from typing import Any

import structlog
from django.conf import settings

from apps.core.exceptions import ValidationError
from apps.core.synced_accounts import synced_account_create, synced_account_update
from apps.integrations.providers import ProviderError
from apps.integrations.providers.registry import adapter_class
from apps.servers.choices import ProviderKind
from apps.servers.models import ProviderAccount
from apps.servers.provider import provider_for
from apps.servers.validators import provider_base_url_problems

log = structlog.get_logger(__name__)

SANDBOX_ACCOUNT_NAME = "Sandbox"
CREDENTIAL_FIELDS = ("username", "password", "api_token")
ACCOUNT_FIELDS = ("name", "kind", "base_url", *CREDENTIAL_FIELDS, "enabled")


def account_problems(
    *, kind: str, base_url: str, credentials: dict[str, Any], check_url: bool = True
) -> dict[str, list[str]]:
    """Field errors of an account's kind, address and credentials: the one rule the API, the
    admin and the services share. The kind's adapter decides which credentials it needs; a blank
    address means the adapter's default. `check_url` False: the address is unchanged and was
    checked when saved (checking resolves its host name)."""
    try:
        adapter = adapter_class(kind)
    except ProviderError as error:
        return {"kind": [str(error)]}
    problems = dict(adapter.credential_problems(credentials))
    url = base_url or adapter.default_base_url()
    url_problems = provider_base_url_problems(url, kind=kind) if url else ["this kind of account needs a base URL"]
    if url_problems and check_url:
        problems["base_url"] = url_problems
    return problems


def _fill_and_validate(account: ProviderAccount, changed: list[str] | None) -> None:
    # An unchanged address is not checked again (a stored one may predate a stricter rule).
    check_url = changed is None or bool({"base_url", "kind"} & set(changed))
    problems = account_problems(
        kind=account.kind, base_url=account.base_url, credentials=account.credentials, check_url=check_url
    )
    if problems:
        raise ValidationError(problems)
    if not account.base_url:
        account.base_url = adapter_class(account.kind).default_base_url() or ""


def provider_account_create(*, data: dict[str, Any]) -> ProviderAccount:
    account = synced_account_create(ProviderAccount, data=data, fields=ACCOUNT_FIELDS, validate=_fill_and_validate)
    log.info("provider_account_created", provider_account_id=account.pk, kind=account.kind)
    return account


def provider_account_update(*, account: ProviderAccount, data: dict[str, Any]) -> ProviderAccount:
    changed = synced_account_update(
        account, data=data, fields=ACCOUNT_FIELDS, validate=_fill_and_validate, also_saved=("base_url",)
    )
    log.info("provider_account_updated", provider_account_id=account.pk, fields=changed)
    return account


def provider_account_test_connection(*, account: ProviderAccount) -> int:
    """Call the provider with the account's credentials; returns how many servers it lists.

    Raises the client's typed error (authentication, unavailable, ...) with the provider's message.
    """
    with provider_for(account) as provider:
        return len(provider.list_servers())


def sandbox_account_ensure() -> ProviderAccount | None:
    """Register the development sandbox account once (`make run`); None where there is no sandbox."""
    if not settings.SANDBOX_ENABLED:
        return None
    account, created = ProviderAccount.objects.get_or_create(
        kind=ProviderKind.SANDBOX,
        defaults={
            "name": SANDBOX_ACCOUNT_NAME,
            "base_url": settings.SANDBOX_BASE_URL,
            "username": settings.SANDBOX_USERNAME,
            "password": settings.SANDBOX_PASSWORD,
        },
    )
    if created:
        log.info("sandbox_account_created", provider_account_id=account.pk)
    return account
