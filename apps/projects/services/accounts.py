"""GitHub accounts: create, change, test, and the development sandbox account."""

from __future__ import annotations

from typing import Any

import structlog
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.conf import settings

from apps.core.exceptions import ValidationError
from apps.core.synced_accounts import synced_account_create, synced_account_update
from apps.core.validators import outbound_url_problems
from apps.projects.choices import GitHubAuthKind
from apps.projects.github import github_client_for
from apps.projects.models import GitHubAccount

log = structlog.get_logger(__name__)

ACCOUNT_FIELDS = (
    "organization",
    "base_url",
    "auth_kind",
    "token",
    "app_id",
    "app_private_key",
    "installation_id",
    "enabled",
)


def github_account_problems(values: dict[str, Any]) -> dict[str, list[str]]:
    """Field errors of a GitHub account's values (the full set, after a change is applied)."""
    problems: dict[str, list[str]] = {}
    url_problems = outbound_url_problems(values.get("base_url") or "")
    if url_problems:
        problems["base_url"] = url_problems
    if values.get("auth_kind") == GitHubAuthKind.APP:
        for name in ("app_id", "app_private_key", "installation_id"):
            if not values.get(name):
                problems[name] = ["required with GitHub App authentication"]
        key = values.get("app_private_key")
        if key and "app_private_key" not in problems:
            try:
                load_pem_private_key(key.encode(), password=None)
            except (ValueError, TypeError):
                # The key itself is never echoed back.
                problems["app_private_key"] = ["not a PEM private key"]
    elif not values.get("token"):
        problems["token"] = ["required with token authentication"]
    return problems


def _validated(account: GitHubAccount, changed: list[str] | None) -> None:
    problems = github_account_problems({name: getattr(account, name) for name in ACCOUNT_FIELDS})
    if problems:
        raise ValidationError(problems)


def github_account_create(*, data: dict[str, Any]) -> GitHubAccount:
    account = synced_account_create(GitHubAccount, data=data, fields=ACCOUNT_FIELDS, validate=_validated)
    log.info("github_account_created", github_account_id=account.pk, auth_kind=account.auth_kind)
    return account


def github_account_update(*, account: GitHubAccount, data: dict[str, Any]) -> GitHubAccount:
    changed = synced_account_update(account, data=data, fields=ACCOUNT_FIELDS, validate=_validated)
    log.info("github_account_updated", github_account_id=account.pk, fields=changed)
    return account


def github_account_test_connection(*, account: GitHubAccount) -> dict[str, Any]:
    """Ask GitHub about the organization with the account's credentials; raises the client's typed error."""
    with github_client_for(account) as client:
        return client.organization_summary()


def sandbox_github_account_ensure() -> GitHubAccount | None:
    """Register the development sandbox GitHub organization once; None where there is no sandbox."""
    if not settings.SANDBOX_ENABLED:
        return None
    account, created = GitHubAccount.objects.get_or_create(
        base_url=settings.SANDBOX_GITHUB_BASE_URL,
        organization=settings.SANDBOX_GITHUB_ORGANIZATION,
        defaults={"auth_kind": GitHubAuthKind.TOKEN, "token": settings.SANDBOX_GITHUB_TOKEN},
    )
    if created:
        log.info("sandbox_github_account_created", github_account_id=account.pk)
    return account
