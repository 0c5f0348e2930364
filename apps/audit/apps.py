from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "apps.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        # Sign-ins and changes to audited records are recorded through signals.
        from apps.audit import model_changes, sign_ins

        model_changes.connect()
        sign_ins.connect()
