import django_filters
from rest_framework import serializers

from apps.core.api.fields import StrictBooleanField
from apps.provisioning.choices import Phase, RunKind, RunRootPassword, RunStatus
from apps.provisioning.models import ProvisioningEvent, ProvisioningPhase, ProvisioningRun


class ProvisionInputSerializer(serializers.Serializer):
    os = serializers.CharField(max_length=128, help_text="An OS template the server offers (GET its oses).")
    playbook = serializers.CharField(
        max_length=200, required=False, help_text="Default: the platform's playbook for the server's connection."
    )
    confirm = StrictBooleanField(
        default=False,
        help_text="Must be the JSON boolean true: the reinstall wipes the server, its data and its backups.",
    )


class OsTemplateOutputSerializer(serializers.Serializer):
    os = serializers.CharField(help_text='The code to pass as "os" to POST .../provision/.')
    title = serializers.CharField(help_text="The provider's name for it.")


class RunPlaybookInputSerializer(serializers.Serializer):
    playbook = serializers.CharField(max_length=200)


class ProvisioningRunQueuedOutputSerializer(serializers.Serializer):
    run_id = serializers.IntegerField()


class RunFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=RunStatus.choices)
    kind = django_filters.ChoiceFilter(choices=RunKind.choices)
    phase = django_filters.ChoiceFilter(choices=Phase.choices)
    server = django_filters.NumberFilter(field_name="server_id")

    class Meta:
        model = ProvisioningRun
        fields = ["status", "kind", "phase", "server"]


class ProvisioningPhaseOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProvisioningPhase
        fields = ["phase", "status", "attempts", "started_at", "finished_at", "error", "provider_task_id"]


class ProvisioningRunOutputSerializer(serializers.ModelSerializer):
    server_name = serializers.CharField(source="server.__str__", read_only=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    canceled_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    phases = ProvisioningPhaseOutputSerializer(many=True, read_only=True)
    stats = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        read_only=True,
        help_text="Per host: ok, changed, failed, unreachable, skipped, rescued, ignored.",
    )
    password_outcome = serializers.ChoiceField(
        choices=RunRootPassword.choices,
        source="root_password_outcome",
        read_only=True,
        help_text="What the run did to the server's stored root password; `unknown` until finalize resets it.",
    )

    class Meta:
        model = ProvisioningRun
        fields = [
            "id",
            "server",
            "server_name",
            "kind",
            "os_template",
            "playbook",
            "status",
            "phase",
            "error",
            "requested_by",
            "canceled_by",
            "stats",
            "password_outcome",
            "phases",
            "created_at",
            "started_at",
            "finished_at",
            "heartbeat_at",
        ]


class ProvisioningEventOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProvisioningEvent
        fields = ["seq", "attempt", "event", "host", "task", "stdout", "failed", "changed", "created_at"]


class ProvisioningEventPageOutputSerializer(serializers.Serializer):
    events = ProvisioningEventOutputSerializer(many=True)
    next_after = serializers.IntegerField(help_text="Pass as ?after= to get the events that follow.")
    finished = serializers.BooleanField(help_text="The run has ended: no more events will come.")


class EventQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(min_value=0, default=0, help_text="Return events with seq above this.")
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=500)
