"""The Celery settings the platform relies on, checked on the configured app and its tasks."""

import fnmatch

from django.conf import settings

from apps.core.schedules import declared_periodic_tasks
from tasks import app as celery_app

PLATFORM_PREFIXES = ("core.", "servers.", "projects.", "monitoring.", "provisioning.", "jobs.", "audit.", "scheduling.")


def platform_tasks():
    celery_app.loader.import_default_modules()
    return {name: task for name, task in celery_app.tasks.items() if name.startswith(PLATFORM_PREFIXES)}


def route_for(name: str) -> str | None:
    for pattern, route in settings.CELERY_TASK_ROUTES.items():
        if fnmatch.fnmatch(name, pattern):
            return route["queue"]
    return None


def test_only_json_is_accepted_and_produced():
    assert celery_app.conf.accept_content == ["json"]
    assert celery_app.conf.task_serializer == "json"
    assert celery_app.conf.result_serializer == "json"


def test_tasks_are_acknowledged_late_and_put_back_when_their_worker_dies():
    assert celery_app.conf.task_acks_late is True
    assert celery_app.conf.task_reject_on_worker_lost is True
    assert celery_app.conf.worker_prefetch_multiplier == 1


def test_every_platform_task_has_limits_below_the_visibility_timeout():
    tasks = platform_tasks()
    assert tasks, "no platform task registered"
    for name, task in tasks.items():
        hard = task.time_limit or celery_app.conf.task_time_limit
        soft = task.soft_time_limit or celery_app.conf.task_soft_time_limit
        assert soft < hard <= settings.CELERY_MAX_TASK_TIME_LIMIT < settings.CELERY_VISIBILITY_TIMEOUT, name


def test_every_platform_task_routes_to_one_of_the_platform_queues():
    for name in platform_tasks():
        assert route_for(name) in settings.CELERY_TASK_QUEUE_NAMES, name


def test_every_periodic_task_names_a_registered_task():
    tasks = platform_tasks()
    for spec in declared_periodic_tasks():
        assert spec.task in tasks, spec.task


def test_the_redis_transport_options_carry_the_visibility_timeout():
    assert celery_app.conf.result_backend_transport_options["visibility_timeout"] == settings.CELERY_VISIBILITY_TIMEOUT
    if settings.BROKER_SCHEME in ("redis", "rediss"):
        assert celery_app.conf.broker_transport_options["visibility_timeout"] == settings.CELERY_VISIBILITY_TIMEOUT
