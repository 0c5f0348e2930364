from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.choices import SyncAccountType
from apps.core.models import SyncRun


class HeartbeatOutputSerializer(serializers.Serializer):
    beat_sent_at = serializers.DateTimeField(allow_null=True)
    worker_ran_at = serializers.DateTimeField(allow_null=True)
    worker_hostname = serializers.CharField()
    beat_stale = serializers.BooleanField()
    worker_stale = serializers.BooleanField()


class SyncRunOutputSerializer(serializers.ModelSerializer):
    account_type = serializers.SerializerMethodField(help_text="The type of account the run synced.")
    account = serializers.IntegerField(source="account_id", read_only=True, help_text="The account's id.")
    provider_account = serializers.SerializerMethodField(
        help_text="The provider account's id for a server sync; null for other kinds (use `account`)."
    )
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
            "account_type",
            "account",
            "account_name",
            "provider_account",
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

    @extend_schema_field(serializers.ChoiceField(choices=SyncAccountType.choices))
    def get_account_type(self, run: SyncRun) -> str:
        return f"{run.account_type.app_label}.{run.account_type.model}"

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_provider_account(self, run: SyncRun) -> int | None:
        return run.account_id if self.get_account_type(run) == SyncAccountType.PROVIDER_ACCOUNT else None
