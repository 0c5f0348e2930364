"""Creating and changing a synced account (a provider account, a GitHub organization): the same
steps for every kind, with the kind's own validation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Model

AccountT = TypeVar("AccountT", bound=Model)
# validate(account, changed): raise ValidationError with field errors; `changed` is None on create.
Validate = Callable[[Any, "list[str] | None"], None]


@transaction.atomic
def synced_account_create(
    model: type[AccountT], *, data: dict[str, Any], fields: Sequence[str], validate: Validate
) -> AccountT:
    account = model(**{name: data[name] for name in fields if name in data})
    validate(account, None)
    account.save()
    return account


@transaction.atomic
def synced_account_update(
    account: Model, *, data: dict[str, Any], fields: Sequence[str], validate: Validate, also_saved: Sequence[str] = ()
) -> list[str]:
    """Apply the given fields of `data`, validate, save them (and `also_saved`, which validation
    may fill); returns the names changed (names only: the values may be secrets)."""
    changed = [name for name in fields if name in data]
    for name in changed:
        setattr(account, name, data[name])
    validate(account, changed)
    account.save(update_fields=sorted({*changed, *also_saved, "updated_at"}))
    return changed
