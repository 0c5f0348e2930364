from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "apps.assistant"
    label = "assistant"
    verbose_name = "Assistant"

    def ready(self) -> None:
        from apps.assistant import checks  # noqa: F401  (registers the system checks)
