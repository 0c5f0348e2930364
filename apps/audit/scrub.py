"""Make an event's detail safe to store: no secrets, nothing JSON cannot hold.

Secret-looking keys (the pattern the log redaction uses) lose their values, and any text that
contains one of the target's encrypted values (a root password handed in under an innocent
key) has it blanked. Values JSON cannot hold become text instead of failing the caller.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from django.db.models import Model

from apps.core.fields import EncryptedTextField
from apps.core.redaction import REDACTED, SECRET_KEY_PATTERN

MAX_DEPTH = 8
MAX_TEXT = 2000


def encrypted_values(instance: Model | None) -> list[str]:
    """The decrypted values of the instance's encrypted fields that are already loaded."""
    if instance is None:
        return []
    values = []
    for field in instance._meta.concrete_fields:
        if isinstance(field, EncryptedTextField):
            # Only what is in memory: reading a deferred field would query (and may not decrypt).
            value = instance.__dict__.get(field.attname)
            if isinstance(value, str) and value:
                values.append(value)
    return values


def is_secret_name(name: object) -> bool:
    return isinstance(name, str) and bool(SECRET_KEY_PATTERN.search(name))


def _text(value: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret in value:
            value = value.replace(secret, REDACTED)
    return value[:MAX_TEXT]


def scrub(value: Any, *, secrets: Iterable[str] = (), depth: int = 0) -> Any:
    secrets = tuple(secrets)
    if depth > MAX_DEPTH:
        return "…"
    if isinstance(value, dict):
        return {
            str(key): REDACTED if is_secret_name(key) else scrub(item, secrets=secrets, depth=depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub(item, secrets=secrets, depth=depth + 1) for item in value]
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)  # an IntEnum becomes its number
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)  # PostgreSQL's jsonb refuses NaN
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Model):
        return {"type": value._meta.label_lower, "id": str(value.pk)}
    return _text(str(value), secrets)
