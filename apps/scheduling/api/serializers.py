from django_celery_beat.models import PeriodicTask
from rest_framework import serializers

from apps.scheduling.choices import WorkerStatus
from apps.scheduling.models import Worker


class PeriodicTaskOutputSerializer(serializers.ModelSerializer):
    schedule = serializers.SerializerMethodField()

    class Meta:
        model = PeriodicTask
        fields = [
            "id",
            "name",
            "task",
            "enabled",
            "schedule",
            "expire_seconds",
            "last_run_at",
            "total_run_count",
            "date_changed",
            "description",
        ]
        read_only_fields = fields

    def get_schedule(self, obj: PeriodicTask) -> str:
        return str(obj.schedule_str if hasattr(obj, "schedule_str") else obj.scheduler)


class QueuedTaskOutputSerializer(serializers.Serializer):
    task_id = serializers.CharField()


class WorkerOutputSerializer(serializers.ModelSerializer):
    """A worker as it last reported itself (from apps.scheduling.selectors.worker_list)."""

    queues = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="The queues it consumes from."
    )
    status = serializers.ChoiceField(
        choices=WorkerStatus.choices,
        read_only=True,
        help_text="online: heartbeating and not shut down; offline: shut down, or no heartbeat for "
        "WORKER_OFFLINE_AFTER_SECONDS.",
    )

    class Meta:
        model = Worker
        fields = [
            "hostname",
            "status",
            "queues",
            "concurrency",
            "tasks_running",
            "pid",
            "started_at",
            "last_heartbeat_at",
            "stopped_at",
        ]
        read_only_fields = fields
