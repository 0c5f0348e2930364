from django_celery_beat.models import PeriodicTask
from rest_framework import serializers


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
