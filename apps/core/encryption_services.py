"""Key rotation: re-encrypt every stored EncryptedTextField value under the first key.

Rotation procedure: put the new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after
it), deploy, run `manage.py rotate_encryption_keys`, then remove the old keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from django.apps import apps
from django.conf import settings
from django.db import models, router, transaction
from django.db.models import F, TextField, Value
from django.db.models.functions import Cast

from apps.core.crypto import DecryptionError, decrypt, is_encrypted_with_current_key, rotate
from apps.core.encryption_keys import field_encryption_keys_problems
from apps.core.exceptions import ConfigurationError
from apps.core.fields import EncryptedTextField

log = structlog.get_logger(__name__)

DEFAULT_BATCH_SIZE = 500


@dataclass
class ColumnReport:
    """What rotation did to one column. Holds primary keys and counts, never values."""

    label: str
    reencrypted: int = 0
    already_current: int = 0
    undecryptable_pks: list = field(default_factory=list)
    finished: bool = False

    @property
    def undecryptable(self) -> int:
        return len(self.undecryptable_pks)

    @property
    def processed(self) -> int:
        return self.reencrypted + self.already_current + self.undecryptable


@dataclass
class RotationReport:
    columns: list[ColumnReport] = field(default_factory=list)

    @property
    def reencrypted(self) -> int:
        return sum(column.reencrypted for column in self.columns)

    @property
    def already_current(self) -> int:
        return sum(column.already_current for column in self.columns)

    @property
    def undecryptable(self) -> int:
        return sum(column.undecryptable for column in self.columns)


ProgressCallback = Callable[[ColumnReport], None]


def encrypted_columns() -> list[tuple[type[models.Model], EncryptedTextField]]:
    """Every EncryptedTextField of every installed model, each column listed once."""
    columns = []
    for model in apps.get_models():
        opts = model._meta
        # Proxies share their concrete model's table, and unmanaged or swapped-out models
        # have no table of ours to rewrite.
        if opts.proxy or opts.swapped or not opts.managed:
            continue
        # Local fields only: an inherited field lives in (and is rotated with) the parent's table.
        columns.extend(
            (model, model_field)
            for model_field in opts.local_concrete_fields
            if isinstance(model_field, EncryptedTextField)
        )
    return columns


def undecryptable_columns() -> list[str]:
    """Encrypted columns whose stored values the configured keys cannot decrypt, by sample.

    Each column's oldest and newest stored value is tried: a key removed before rotation fails
    on the oldest, a wrong or replaced key on both. Found at start (`manage.py check`) and by
    readiness, before a list that loads a row answers 500. Raises DatabaseError when the tables
    cannot be read (not migrated yet, database down): the caller decides what that means.
    """
    failing = []
    for model, model_field in encrypted_columns():
        label = f"{model._meta.label}.{model_field.name}"
        stored = model._base_manager.using(router.db_for_read(model)).filter(
            **{f"{model_field.attname}__isnull": False}
        )
        raw = stored.values_list(Cast(F(model_field.attname), output_field=TextField()), flat=True)
        samples = {token for token in (raw.order_by("pk").first(), raw.order_by("-pk").first()) if token is not None}
        try:
            for token in samples:
                decrypt(token, what=label)
        except ConfigurationError:  # DecryptionError, or keys that are not Fernet keys at all
            failing.append(label)
    return failing


def undecryptable_problem(columns: list[str]) -> str:
    return (
        f"FIELD_ENCRYPTION_KEYS cannot decrypt the stored values of {', '.join(columns)}: a key was changed or "
        "removed before `manage.py rotate_encryption_keys` re-encrypted them (put the old key back, after the new one)"
    )


def _column_rotate(
    model: type[models.Model],
    model_field: EncryptedTextField,
    *,
    batch_size: int,
    on_progress: ProgressCallback | None,
) -> ColumnReport:
    label = f"{model._meta.label}.{model_field.name}"
    report = ColumnReport(label=label)
    using = router.db_for_write(model)
    # The base manager: a default manager that hides rows would leave them unrotated.
    manager = model._base_manager.db_manager(using)
    # Raw column, as text: Cast's output field is a plain TextField, so no decryption on read.
    raw = Cast(F(model_field.attname), output_field=TextField())
    last_pk = None
    while True:
        rows = manager.filter(**{f"{model_field.attname}__isnull": False})
        if last_pk is not None:
            rows = rows.filter(pk__gt=last_pk)
        with transaction.atomic(using=using):
            # Locks the batch (PostgreSQL; SQLite's IMMEDIATE transaction locks the whole file),
            # so a value the application writes meanwhile is not overwritten with the old one.
            batch = list(rows.select_for_update().order_by("pk").values_list("pk", raw)[:batch_size])
            if not batch:
                break
            for pk, token in batch:
                if is_encrypted_with_current_key(token):
                    # Left as it is, so a second run rewrites nothing.
                    report.already_current += 1
                    continue
                try:
                    new_token = rotate(token, what=label)
                except DecryptionError:
                    report.undecryptable_pks.append(pk)
                    continue
                # A plain-TextField Value: stored as given, not encrypted a second time.
                manager.filter(pk=pk).update(**{model_field.attname: Value(new_token, output_field=TextField())})
                report.reencrypted += 1
        last_pk = batch[-1][0]
        if on_progress:
            on_progress(report)
    report.finished = True
    if on_progress:
        on_progress(report)
    log.info(
        "encryption.rotation.column_done",
        column=label,
        reencrypted=report.reencrypted,
        already_current=report.already_current,
        undecryptable=report.undecryptable,
    )
    if report.undecryptable:
        log.warning("encryption.rotation.undecryptable", column=label, count=report.undecryptable)
    return report


def encrypted_fields_rotate(
    *, batch_size: int = DEFAULT_BATCH_SIZE, on_progress: ProgressCallback | None = None
) -> RotationReport:
    """Re-encrypt under the first key every stored value that is not already under it.

    Works in batches (keyset pagination by primary key, one transaction per batch). Values no
    key decrypts are counted and listed by primary key, and left untouched. Running it again
    changes nothing: values already under the first key are not rewritten.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    problems = field_encryption_keys_problems(settings.FIELD_ENCRYPTION_KEYS)
    if problems:
        raise ConfigurationError("; ".join(problems))
    report = RotationReport()
    for model, model_field in encrypted_columns():
        report.columns.append(_column_rotate(model, model_field, batch_size=batch_size, on_progress=on_progress))
    return report
