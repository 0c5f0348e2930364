"""The platform's periodic tasks: the spec, the core's own, and where every app declares its own.

Each app lists its periodic tasks in `<app>/schedules.py` as PERIODIC_TASKS (core does not know
the domains' task names). `manage.py register_periodic_tasks` writes them all to
django-celery-beat's tables: it creates what is missing and leaves every existing row as it is,
so an interval or enabled flag an operator changed in the admin survives.
"""

from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module

from django.apps import apps
from django.utils.module_loading import module_has_submodule

from apps.core import task_names


@dataclass(frozen=True)
class PeriodicTaskSpec:
    name: str  # the row's unique name, shown in the admin
    task: str  # the Celery task's stable name
    every: timedelta
    # A run still queued after this long is dropped, so a backlog after an outage does not
    # pile up runs: always shorter than the interval.
    expires: timedelta
    description: str


PERIODIC_TASKS: tuple[PeriodicTaskSpec, ...] = (
    PeriodicTaskSpec(
        name="heartbeat",
        task=task_names.HEARTBEAT,
        every=timedelta(seconds=30),
        expires=timedelta(seconds=25),
        description="Proves that beat sends and a worker runs: shown in /health/ready and the admin.",
    ),
    PeriodicTaskSpec(
        name="cleanup_task_results",
        task=task_names.CLEANUP_TASK_RESULTS,
        every=timedelta(days=1),
        expires=timedelta(hours=12),
        description="Deletes stored task results older than TASK_RESULT_RETENTION_DAYS.",
    ),
)


def declared_periodic_tasks() -> tuple[PeriodicTaskSpec, ...]:
    """Every installed app's PERIODIC_TASKS (from its schedules module), in INSTALLED_APPS order."""
    declared: list[PeriodicTaskSpec] = []
    for config in apps.get_app_configs():
        if config.module is not None and module_has_submodule(config.module, "schedules"):
            declared.extend(getattr(import_module(f"{config.name}.schedules"), "PERIODIC_TASKS", ()))
    return tuple(declared)
