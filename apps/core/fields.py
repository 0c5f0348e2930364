"""Model field that keeps its value encrypted in the database."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import FieldError
from django.db import models
from django.db.models import QuerySet

from apps.core.crypto import decrypt, encrypt

ENCRYPTED_HELP_TEXT = "Stored encrypted. Leave blank to keep the current value."


class EncryptedTextField(models.TextField):
    """Text that the database only ever holds as a Fernet token (see apps.core.crypto).

    - Every non-None value is encrypted, "" included, so "" and None stay distinct
      (None <-> NULL, "" <-> the token of "").
    - Values are decrypted when read; a value no configured key decrypts raises DecryptionError
      naming the model and field, never returning the token as if it were the value.
    - The column cannot be searched: every lookup but `isnull` raises FieldError, since a
      comparison against ciphertext (a new random token per write) would silently match nothing.
    - Forms and the admin get a password input that never shows the stored value; a blank
      entry keeps the current value of an existing object.
    - On the API side, use the write-only serializer field: apps.core.api.fields.SecretField,
      mapped automatically by SecretModelSerializerMixin / SecretModelSerializer.
    """

    description = "Text stored encrypted"

    @property
    def _label(self) -> str:
        model = getattr(self, "model", None)
        return f"{model._meta.label}.{self.name}" if model else str(self.name)

    # --- Database ---------------------------------------------------------------------------
    def get_prep_value(self, value: Any) -> str | None:
        # Called for save(), QuerySet.update(), bulk_create and bulk_update alike.
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt(value)

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None:
            return None
        return decrypt(value, what=self._label)

    # --- Lookups ----------------------------------------------------------------------------
    def get_lookup(self, lookup_name: str):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise FieldError(
            f"{self._label} is encrypted and cannot be filtered with '{lookup_name}': "
            f"only '{self.name}__isnull' is supported"
        )

    def get_transform(self, lookup_name: str):
        raise FieldError(f"{self._label} is encrypted and cannot be transformed with '{lookup_name}'")

    # --- Forms ------------------------------------------------------------------------------
    def formfield(self, **kwargs: Any) -> forms.Field:
        help_text = f"{self.help_text} {ENCRYPTED_HELP_TEXT}" if self.help_text else ENCRYPTED_HELP_TEXT
        # The widget is forced, not defaulted: the admin passes its own Textarea for every
        # TextField, which would print the decrypted secret into the page.
        kwargs["widget"] = forms.PasswordInput(render_value=False)
        kwargs.setdefault("help_text", help_text)
        kwargs.setdefault("strip", False)
        return super().formfield(**kwargs)

    def value_from_object(self, obj: models.Model) -> Any:
        # Forms never show the value (the input above does not render it), so a column the
        # queryset left unloaded is not loaded, and not decrypted, to build one.
        if self.attname in obj.get_deferred_fields():
            return None
        return super().value_from_object(obj)

    def save_form_data(self, instance: models.Model, data: Any) -> None:
        # The input never shows the current value, so a blank entry on an existing object
        # means "unchanged", not "erase the secret".
        if data in (None, "") and not instance._state.adding:
            return
        super().save_form_data(instance, data)


def encrypted_field_names(model: type[models.Model], *, through: str = "") -> list[str]:
    """The model's encrypted fields, as lookups from `through` (a relation path) when given."""
    prefix = f"{through}__" if through else ""
    return [prefix + field.name for field in model._meta.concrete_fields if isinstance(field, EncryptedTextField)]


def without_secrets(queryset: QuerySet) -> QuerySet:
    """The queryset with every encrypted column deferred, its own and those of the relations it selects.

    Lists and details that never show a secret then never decrypt one: a wrong
    FIELD_ENCRYPTION_KEYS cannot break them, and a page of rows costs no decryption. A secret
    read later loads (and decrypts) on access, and saving such a row leaves the secret untouched.
    """
    names = encrypted_field_names(queryset.model)

    def walk(model: type[models.Model], selected: dict, path: str) -> None:
        for name, deeper in selected.items():
            related = model._meta.get_field(name).related_model
            through = f"{path}__{name}" if path else name
            names.extend(encrypted_field_names(related, through=through))
            walk(related, deeper, through)

    # A dict when relations were named; True for select_related() with none (then left alone).
    if isinstance(queryset.query.select_related, dict):
        walk(queryset.model, queryset.query.select_related, "")
    return queryset.defer(*names) if names else queryset


class SecretsDeferredManager(models.Manager):
    """The default manager of a model with encrypted fields: its rows load without them.

    Admin filters, form choices and lists built on the default manager then decrypt nothing;
    `instance.secret` still reads (and decrypts) the value when code asks for it.
    """

    def get_queryset(self) -> QuerySet:
        return without_secrets(super().get_queryset())
