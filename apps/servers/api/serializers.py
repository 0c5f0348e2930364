from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.fields import SecretField
from apps.integrations.providers.registry import ADAPTERS, DEFAULT_KIND, credential_help
from apps.servers.choices import ProviderKind, RootPasswordState
from apps.servers.models import ProviderAccount, Server, SshKey
from apps.servers.services.accounts import CREDENTIAL_FIELDS, account_problems
from apps.servers.validators import (
    LABEL_KEY_RULE,
    LABEL_VALUE,
    LABEL_VALUE_RULE,
    MAX_LABELS,
    label_problems,
    validate_ssh_host,
)


@extend_schema_field(
    {
        "type": "object",
        "maxProperties": MAX_LABELS,
        "additionalProperties": {"type": "string", "maxLength": 63, "pattern": f"^{LABEL_VALUE.pattern}$"},
    }
)
class LabelsField(serializers.DictField):
    """A server's operator labels: every key and value checked as the model checks them, no
    value coerced (5 is not "5"), every problem reported under the field."""

    child = serializers.CharField(allow_blank=True)

    def to_internal_value(self, data):
        problems = label_problems(data)
        if problems:
            raise serializers.ValidationError(problems)
        return dict(data)


class ProviderAccountOutputSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=ProviderKind.choices, read_only=True)
    rate_limited_until = serializers.DateTimeField(
        source="not_before",
        read_only=True,
        allow_null=True,
        help_text="Scheduled syncs skip the account until then: the provider's rate limit was spent.",
    )

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
            "rate_limited_until",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ProviderAccountInputSerializer(serializers.Serializer):
    """An account's fields. Which credentials a kind needs is its adapter's rule (each field's help
    says which kinds use it); a credential the kind does not use is an error."""

    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=ProviderKind.choices, default=DEFAULT_KIND)
    base_url = serializers.URLField(
        max_length=500, required=False, allow_blank=True, help_text="Leave out for the provider's public API."
    )
    username = serializers.CharField(max_length=200, required=False, help_text=credential_help("username"))
    password = SecretField(required=False, help_text=credential_help("password") + " Write-only.")
    api_token = SecretField(required=False, help_text=credential_help("api_token") + " Write-only.")
    enabled = serializers.BooleanField(default=True)

    def validate_name(self, value: str) -> str:
        others = ProviderAccount.objects.filter(name=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError("an account with this name exists")
        return value

    def validate(self, attrs: dict) -> dict:
        instance = self.instance
        kind = attrs.get("kind", getattr(instance, "kind", DEFAULT_KIND))
        used = ADAPTERS[kind].credential_fields
        unused = {
            name: [f"not used by {kind} accounts"] for name in CREDENTIAL_FIELDS if name in attrs and name not in used
        }
        if unused:
            raise serializers.ValidationError(unused)
        stored = instance.credentials if instance is not None and instance.kind == kind else {}
        credentials = {name: attrs.get(name, stored.get(name, "")) for name in CREDENTIAL_FIELDS}
        if instance is not None and kind != instance.kind and "base_url" not in attrs:
            attrs["base_url"] = ""  # another kind's address would not do: its adapter's default
        base_url = attrs.get("base_url", getattr(instance, "base_url", ""))
        problems = account_problems(
            kind=kind,
            base_url=base_url,
            credentials=credentials,
            check_url=instance is None or "base_url" in attrs or "kind" in attrs,
        )
        if problems:
            raise serializers.ValidationError(problems)
        return attrs


class ServerOutputSerializer(serializers.ModelSerializer):
    last_seen_at = serializers.DateTimeField(source="seen_at", read_only=True, allow_null=True)
    ssh_host = serializers.CharField(source="effective_ssh_host", read_only=True)
    password_state = serializers.ChoiceField(
        choices=RootPasswordState.choices,
        source="root_password_state",
        read_only=True,
        help_text="Whether the platform knows the server's root password (never the password itself).",
    )
    lifecycle_reason = serializers.CharField(
        read_only=True,
        help_text="Why the server is failed, or what provisioning last reported; empty if all is well.",
    )
    active_task = serializers.CharField(
        read_only=True, help_text="The task the provider is running on the server; empty when none (busy is false)."
    )
    labels = serializers.DictField(
        child=serializers.CharField(),
        read_only=True,
        help_text=(
            "The operators' labels (key: value), changed with PATCH. Filters (`label`) and job selectors "
            "match these and provider_labels, an operator label shadowing a provider label with the same key."
        ),
    )
    provider_labels = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        read_only=True,
        help_text="The provider's own labels (key: value), as the last sync saw them; read-only here.",
    )
    host_key_fingerprint = serializers.CharField(
        read_only=True, help_text="SHA256 fingerprint of the pinned SSH host key; empty before the first check."
    )
    last_checked_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the last health check of the server ran."
    )

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
            "lifecycle_reason",
            "health_status",
            "last_checked_at",
            "busy",
            "active_task",
            "location",
            "labels",
            "provider_labels",
            "password_state",
            "last_seen_at",
            "connection",
            "ssh_host",
            "ssh_port",
            "ssh_user",
            "host_key_fingerprint",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ServerUpdateInputSerializer(serializers.Serializer):
    """Only the operator-managed fields; naming any other field is an error, not silently ignored."""

    ssh_host = serializers.CharField(
        max_length=255,
        allow_blank=True,
        validators=[validate_ssh_host],
        help_text="An IP address or a host name; blank for the primary IP.",
    )
    ssh_port = serializers.IntegerField(min_value=1, max_value=65535)
    ssh_user = serializers.RegexField(r"^[a-z_][a-z0-9_.-]{0,63}$", max_length=64)
    notes = serializers.CharField(allow_blank=True)
    labels = LabelsField(
        help_text=(
            f"The operators' labels, replacing the whole set ({{}} removes them all); at most {MAX_LABELS}. "
            f"A key is {LABEL_KEY_RULE}; a value is {LABEL_VALUE_RULE}. The provider's labels are not changed here."
        )
    )

    def validate(self, attrs: dict) -> dict:
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: ["read-only: the provider or the platform owns this field"] for name in unknown}
            )
        return attrs


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
