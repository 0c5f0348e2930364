"""System checks for rules that span settings (`manage.py check`, run at every start)."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from config.environment import field_encryption_keys_problems


@register(Tags.compatibility)
def check_celery_visibility_timeout(app_configs=None, **kwargs):
    if settings.BROKER_SCHEME not in ("redis", "rediss"):
        return []
    if settings.CELERY_VISIBILITY_TIMEOUT <= settings.CELERY_MAX_TASK_TIME_LIMIT:
        return [
            Error(
                "CELERY_VISIBILITY_TIMEOUT must exceed CELERY_MAX_TASK_TIME_LIMIT",
                hint="Redis redelivers a task that is still running once the visibility timeout passes.",
                id="core.E010",
            )
        ]
    return []


@register(Tags.security)
def check_field_encryption_keys(app_configs=None, **kwargs):
    keys = getattr(settings, "FIELD_ENCRYPTION_KEYS", None) or []
    if isinstance(keys, str):
        # A single key given as a string instead of a list: still checked, not split into characters.
        keys = [keys]
    hint = "Set FIELD_ENCRYPTION_KEYS to one or more Fernet keys, newest first (Fernet.generate_key())."
    problems = field_encryption_keys_problems(keys)
    if not keys:
        return [Error(problem, hint=hint, id="core.E001") for problem in problems]
    # The problems name keys by position only, so no key value reaches the output.
    return [Error(problem, hint=hint, id="core.E002") for problem in problems]
