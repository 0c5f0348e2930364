"""Serializer fields the API shares: secrets (accepted as input, never sent back), and a boolean
that takes nothing but a JSON boolean."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Model
from rest_framework import serializers

from apps.core.fields import EncryptedTextField

# The widest integer any column of the platform holds (bigint): the bound of ids, pages and
# every other integer input that names no narrower column.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def column_bounds(model: type[Model], field_name: str) -> dict[str, int]:
    """min_value/max_value of an integer serializer field whose value ends in this column, so
    a number the database cannot store is a 400 naming the field (and the schema says so)."""
    low, high = connection.ops.integer_field_range(model._meta.get_field(field_name).get_internal_type())
    return {"min_value": INT64_MIN if low is None else low, "max_value": INT64_MAX if high is None else high}


class SecretField(serializers.CharField):
    """A write-only string: the API counterpart of EncryptedTextField.

    write_only is forced (a secret must never appear in a response, whatever the caller
    passed), and whitespace is kept because it can be part of a token or password.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs["write_only"] = True
        kwargs["trim_whitespace"] = False
        # ModelSerializer gives every TextField a textarea style; a secret gets a password input.
        kwargs["style"] = {**kwargs.get("style", {}), "input_type": "password"}
        kwargs["style"].pop("base_template", None)
        super().__init__(**kwargs)


class SecretModelSerializerMixin:
    """Maps EncryptedTextField to SecretField, so a model's secrets are write-only in the API."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        EncryptedTextField: SecretField,
    }


class SecretModelSerializer(SecretModelSerializerMixin, serializers.ModelSerializer):
    """Base ModelSerializer for models with encrypted fields."""


class StrictBooleanField(serializers.BooleanField):
    """A JSON boolean and nothing else: DRF's BooleanField also takes "yes", "on", 1 and "true",
    which is too loose for a flag that confirms something destructive."""

    default_error_messages = {"invalid": "Must be the JSON boolean true or false, not {input!r}."}

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)
