from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "apps.scheduling"
    label = "scheduling"
    verbose_name = "Schedule"

    def ready(self) -> None:
        from apps.scheduling import checks  # noqa: F401  (registers the system checks)
