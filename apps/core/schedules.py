"""The platform's periodic tasks: the spec, the core's own, and where every app declares its own.

Each app lists its periodic tasks in `<app>/schedules.py` as PERIODIC_TASKS (core does not know
the domains' task names). `manage.py register_periodic_tasks` writes them all to
django-celery-beat's tables: it creates what is missing and leaves every existing row as it is,
so an interval or enabled flag an operator changed in the admin survives.

A task runs either `every` so often (an interval) or `daily_at` a wall-clock time in TIME_ZONE
(a crontab): daily housekeeping runs at a quiet local hour, once a day, also on the days the
clocks change (docs/reliability.md "Schedules and daylight saving time").
"""

from dataclasses import dataclass
from datetime import time, timedelta
from importlib import import_module

from django.apps import apps
from django.utils.module_loading import module_has_submodule

from apps.core import task_names


@dataclass(frozen=True, kw_only=True)
class PeriodicTaskSpec:
    name: str  # the row's unique name, shown in the admin
    task: str  # the Celery task's stable name
    every: timedelta | None = None
    daily_at: time | None = None  # local time in settings.TIME_ZONE
    # A run still queued after this long is dropped, so a backlog after an outage does not
    # pile up runs: always shorter than the period.
    expires: timedelta
    description: str

    def __post_init__(self) -> None:
        if (self.every is None) == (self.daily_at is None):
            raise ValueError(f"periodic task {self.name}: give exactly one of every and daily_at")

    @property
    def period(self) -> timedelta:
        """The time between two runs (a day for `daily_at`)."""
        return self.every if self.every is not None else timedelta(days=1)


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
        daily_at=time(3, 15),
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
