"""System checks for rules that span settings (`manage.py check`, run at every start)."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError

from apps.core.encryption_keys import field_encryption_keys_problems


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


@register(Tags.database)
def check_stored_secrets_decrypt(app_configs=None, databases=None, **kwargs):
    """A wrong FIELD_ENCRYPTION_KEYS is found at start, not when a page first loads a secret.

    A database check: `migrate` (which every start runs first) and `check --database default`
    run it; the plain `check` that Celery and every command run at import stays off the database.
    """
    if not databases:
        return []
    # Imported here: checks are imported while apps load, before models may be.
    from apps.core.encryption_services import undecryptable_columns, undecryptable_problem

    if field_encryption_keys_problems(getattr(settings, "FIELD_ENCRYPTION_KEYS", None) or []):
        return []  # reported by check_field_encryption_keys
    try:
        failing = undecryptable_columns()
    except DatabaseError:
        return []  # nothing stored yet (before migrate) or no database to ask: nothing to decrypt
    if not failing:
        return []
    return [
        Error(
            undecryptable_problem(failing),
            hint="FIELD_ENCRYPTION_KEYS lists every key still in use, newest first.",
            id="core.E003",
        )
    ]
