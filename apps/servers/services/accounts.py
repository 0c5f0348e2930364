"""Provider accounts: create, change, test, and the development sandbox account."""

from __future__ import annotations

from typing import Any

import structlog
from django.conf import settings
from django.db import transaction

from apps.core.exceptions import ValidationError
from apps.servers.choices import ProviderKind
from apps.servers.models import ProviderAccount
from apps.servers.provider import provider_client_for
from apps.servers.validators import provider_base_url_problems

log = structlog.get_logger(__name__)

SANDBOX_ACCOUNT_NAME = "Sandbox"
ACCOUNT_FIELDS = ("name", "kind", "base_url", "username", "password", "enabled")


def _validate(account: ProviderAccount) -> None:
    problems = provider_base_url_problems(account.base_url, kind=account.kind)
    if problems:
        raise ValidationError({"base_url": problems})


@transaction.atomic
def provider_account_create(*, data: dict[str, Any]) -> ProviderAccount:
    account = ProviderAccount(**{field: data[field] for field in ACCOUNT_FIELDS if field in data})
    _validate(account)
    account.save()
    log.info("provider_account_created", provider_account_id=account.pk, kind=account.kind)
    return account


@transaction.atomic
def provider_account_update(*, account: ProviderAccount, data: dict[str, Any]) -> ProviderAccount:
    changed = [field for field in ACCOUNT_FIELDS if field in data]
    for field in changed:
        setattr(account, field, data[field])
    if {"base_url", "kind"} & set(changed):
        _validate(account)
    account.save(update_fields=[*changed, "updated_at"])
    # Field names only: the values may be secrets.
    log.info("provider_account_updated", provider_account_id=account.pk, fields=changed)
    return account


def provider_account_test_connection(*, account: ProviderAccount) -> int:
    """Call the provider with the account's credentials; returns how many servers it lists.

    Raises the client's typed error (authentication, unavailable, ...) with the provider's message.
    """
    with provider_client_for(account) as client:
        return len(client.list_servers())


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
