"""Keeps encrypted fields off the admin pages of people who may only read a record.

A user without the change permission sees every field read-only, and Django renders a
read-only field's value as text: for an EncryptedTextField that is the decrypted secret.
Admins of models with encrypted fields mix this in (tests/access holds that they all do).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from apps.core.fields import EncryptedTextField


def encrypted_field_names(model) -> set[str]:
    return {field.name for field in model._meta.get_fields() if isinstance(field, EncryptedTextField)}


def _without(fields, hidden: set[str]) -> list:
    kept = []
    for entry in fields:
        if isinstance(entry, list | tuple):  # a row of fields shown side by side
            row = [name for name in entry if name not in hidden]
            if row:
                kept.append(tuple(row))
        elif entry not in hidden:
            kept.append(entry)
    return kept


class SecretFieldsHiddenFromReadersMixin:
    def _shows_secrets(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None:
            return self.has_add_permission(request)
        return self.has_change_permission(request, obj)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None):
        fieldsets = super().get_fieldsets(request, obj)
        if self._shows_secrets(request, obj):
            return fieldsets
        hidden = encrypted_field_names(self.model)
        return [(name, {**options, "fields": _without(options["fields"], hidden)}) for name, options in fieldsets]
