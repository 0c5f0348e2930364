"""Keeps encrypted fields off the admin pages of people who may only read a record.

A user without the change permission sees every field read-only, and Django renders a
read-only field's value as text: for an EncryptedTextField that is the decrypted secret.
Admins of models with encrypted fields mix this in (tests/access holds that they all do).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from apps.core.fields import encrypted_field_names, without_secrets


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


class SecretColumnsDeferredMixin:
    """Lists and change pages load no encrypted column, the listed relations' included.

    The relations in list_select_related are selected here already, so their secrets are
    deferred too (the change list would otherwise select them with every column).
    """

    def get_queryset(self, request: HttpRequest):
        queryset = super().get_queryset(request)
        if isinstance(self.list_select_related, list | tuple) and self.list_select_related:
            queryset = queryset.select_related(*self.list_select_related)
        return without_secrets(queryset)


class SecretFieldsHiddenFromReadersMixin(SecretColumnsDeferredMixin):
    def _shows_secrets(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None:
            return self.has_add_permission(request)
        return self.has_change_permission(request, obj)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None):
        fieldsets = super().get_fieldsets(request, obj)
        if self._shows_secrets(request, obj):
            return fieldsets
        hidden = set(encrypted_field_names(self.model))
        return [(name, {**options, "fields": _without(options["fields"], hidden)}) for name, options in fieldsets]
