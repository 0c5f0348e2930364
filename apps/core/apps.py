from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Platform"

    def ready(self) -> None:
        from rest_framework import serializers

        from apps.core import checks  # noqa: F401  (registers the system checks)
        from apps.core.api.fields import SecretField
        from apps.core.directories import runtime_directories_create
        from apps.core.fields import EncryptedTextField

        runtime_directories_create()

        # Every ModelSerializer, not only those that opt in, treats an encrypted field as
        # write-only: a serializer written later cannot leak a secret by forgetting a mixin.
        serializers.ModelSerializer.serializer_field_mapping[EncryptedTextField] = SecretField
