"""A per-account sync lease: two syncs of one account never run at once.

Claimed with a conditional UPDATE (the row count says who won), so it works the same on
SQLite and PostgreSQL. It expires by itself, so a worker that crashed while holding it blocks
the account only until the lease runs out, never for ever.
"""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from apps.servers.models import ProviderAccount


def sync_lease_claim(*, account_id: int, owner: str, ttl: timedelta) -> bool:
    now = timezone.now()
    claimable = Q(sync_lease_expires_at__isnull=True) | Q(sync_lease_expires_at__lt=now) | Q(sync_lease_owner=owner)
    claimed = (
        ProviderAccount.objects.filter(pk=account_id)
        .filter(claimable)
        .update(sync_lease_owner=owner, sync_lease_expires_at=now + ttl)
    )
    return claimed == 1


def sync_lease_release(*, account_id: int, owner: str) -> None:
    ProviderAccount.objects.filter(pk=account_id, sync_lease_owner=owner).update(
        sync_lease_owner="", sync_lease_expires_at=None
    )


def sync_lease_holder(*, account_id: int) -> str | None:
    """The owner of a live lease on the account, or None."""
    owner = (
        ProviderAccount.objects.filter(pk=account_id, sync_lease_expires_at__gte=timezone.now())
        .values_list("sync_lease_owner", flat=True)
        .first()
    )
    return owner or None
