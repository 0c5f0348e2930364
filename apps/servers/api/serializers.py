from rest_framework import serializers

from apps.core.api.fields import SecretField
from apps.core.models import SyncRun
from apps.servers.choices import ProviderKind
from apps.servers.models import ProviderAccount, Server, SshKey
from apps.servers.validators import provider_base_url_problems


class ProviderAccountOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProviderAccount
        fields = [
            "id",
            "name",
            "kind",
            "base_url",
            "username",
            "enabled",
            "last_sync_at",
            "last_sync_status",
            "last_sync_error",
            "last_successful_sync_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ProviderAccountInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=ProviderKind.choices, default=ProviderKind.TIME4VPS)
    base_url = serializers.URLField(max_length=500)
    username = serializers.CharField(max_length=200)
    password = SecretField()
    enabled = serializers.BooleanField(default=True)

    def validate_name(self, value: str) -> str:
        others = ProviderAccount.objects.filter(name=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError("an account with this name exists")
        return value

    def validate(self, attrs: dict) -> dict:
        if "base_url" in attrs or "kind" in attrs:
            kind = attrs.get("kind", getattr(self.instance, "kind", ProviderKind.TIME4VPS))
            base_url = attrs.get("base_url", getattr(self.instance, "base_url", ""))
            problems = provider_base_url_problems(base_url, kind=kind)
            if problems:
                raise serializers.ValidationError({"base_url": problems})
        return attrs


class ServerOutputSerializer(serializers.ModelSerializer):
    last_seen_at = serializers.DateTimeField(source="seen_at", read_only=True, allow_null=True)
    ssh_host = serializers.CharField(source="effective_ssh_host", read_only=True)

    class Meta:
        model = Server
        fields = [
            "id",
            "provider_account",
            "provider_id",
            "hostname",
            "label",
            "ip",
            "additional_ips",
            "provider_status",
            "os",
            "cpu_cores",
            "cpu_mhz",
            "ram_mb",
            "disk_mb",
            "bandwidth_mb",
            "lifecycle",
            "health_status",
            "busy",
            "last_seen_at",
            "connection",
            "ssh_host",
            "ssh_port",
            "ssh_user",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ServerUpdateInputSerializer(serializers.Serializer):
    """Only the operator-managed fields; naming any other field is an error, not silently ignored."""

    ssh_host = serializers.CharField(max_length=255, allow_blank=True)
    ssh_port = serializers.IntegerField(min_value=1, max_value=65535)
    ssh_user = serializers.RegexField(r"^[a-z_][a-z0-9_.-]{0,63}$", max_length=64)
    notes = serializers.CharField(allow_blank=True)

    def validate(self, attrs: dict) -> dict:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: ["read-only: the provider or the platform owns this field"] for name in unknown}
            )
        return attrs


class SyncRunOutputSerializer(serializers.ModelSerializer):
    provider_account = serializers.IntegerField(source="account_id", read_only=True)
    triggered_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = SyncRun
        fields = [
            "id",
            "kind",
            "status",
            "trigger",
            "triggered_by",
            "provider_account",
            "account_name",
            "created_at",
            "started_at",
            "finished_at",
            "duration_seconds",
            "created",
            "updated",
            "removed",
            "unchanged",
            "error",
        ]
        read_only_fields = fields


class SyncQueuedOutputSerializer(serializers.Serializer):
    run_id = serializers.IntegerField()


class SshKeyOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = SshKey
        fields = ["id", "name", "key_type", "public_key", "fingerprint", "is_default", "created_at"]
        read_only_fields = fields


class SshKeyInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    private_key = SecretField(required=False, allow_blank=True, help_text="Leave out to have an ed25519 key generated.")
    is_default = serializers.BooleanField(default=False)

    def validate_name(self, value: str) -> str:
        if SshKey.objects.filter(name=value).exists():
            raise serializers.ValidationError("a key with this name exists")
        return value
