"""Leases on an account row: two runs of one kind never work on one account at once.

Claimed with a conditional UPDATE on the account row (the row count says who won), so it works
the same on SQLite and PostgreSQL. A lease expires by itself, so a worker that crashed while
holding it blocks the account only until it runs out, never for ever. `lease` names the pair of
fields `<lease>_owner` / `<lease>_expires_at` (SyncedAccount has `sync_lease`).
"""

from datetime import timedelta

from django.db.models import Model, Q
from django.utils import timezone

SYNC_LEASE = "sync_lease"


def sync_lease_claim(
    *, model: type[Model], account_id: int, owner: str, ttl: timedelta, lease: str = SYNC_LEASE
) -> bool:
    now = timezone.now()
    owner_field, expires_field = f"{lease}_owner", f"{lease}_expires_at"
    claimable = Q(**{f"{expires_field}__isnull": True}) | Q(**{f"{expires_field}__lt": now}) | Q(**{owner_field: owner})
    claimed = (
        model.objects.filter(pk=account_id).filter(claimable).update(**{owner_field: owner, expires_field: now + ttl})
    )
    return claimed == 1


def sync_lease_release(*, model: type[Model], account_id: int, owner: str, lease: str = SYNC_LEASE) -> None:
    model.objects.filter(pk=account_id, **{f"{lease}_owner": owner}).update(
        **{f"{lease}_owner": "", f"{lease}_expires_at": None}
    )


def sync_lease_holder(*, model: type[Model], account_id: int, lease: str = SYNC_LEASE) -> str | None:
    """The owner of a live lease on the account, or None."""
    owner = (
        model.objects.filter(pk=account_id, **{f"{lease}_expires_at__gte": timezone.now()})
        .values_list(f"{lease}_owner", flat=True)
        .first()
    )
    return owner or None
