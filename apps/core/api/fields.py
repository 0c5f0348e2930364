"""Serializer fields for secrets: accepted as input, never sent back."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.core.fields import EncryptedTextField


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
