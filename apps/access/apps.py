from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "apps.access"
    label = "access"
    verbose_name = "Access"

    def ready(self) -> None:
        from apps.access import signals  # noqa: F401  (keeps the role groups' permissions in step)
