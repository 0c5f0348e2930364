from datetime import timedelta

import pytest
from django.core import checks
from django.utils import timezone
from django_celery_results.models import TaskResult

from apps.core.checks import check_celery_visibility_timeout
from apps.core.services import task_results_cleanup

pytestmark = pytest.mark.django_db


def make_result(task_id: str, age: timedelta) -> None:
    TaskResult.objects.create(task_id=task_id, status="SUCCESS")
    TaskResult.objects.filter(task_id=task_id).update(date_done=timezone.now() - age)


def test_cleanup_deletes_results_older_than_the_retention_and_keeps_newer_ones(settings):
    settings.TASK_RESULT_RETENTION_DAYS = 7
    for number in range(5):
        make_result(f"old-{number}", timedelta(days=8))
    make_result("recent", timedelta(days=6))

    deleted = task_results_cleanup(batch_size=2)

    assert deleted == 5
    assert list(TaskResult.objects.values_list("task_id", flat=True)) == ["recent"]
    assert task_results_cleanup() == 0


def test_a_visibility_timeout_not_above_the_longest_task_is_a_system_check_error(settings):
    settings.BROKER_SCHEME = "redis"
    settings.CELERY_MAX_TASK_TIME_LIMIT = 3600
    settings.CELERY_VISIBILITY_TIMEOUT = 3600

    errors = check_celery_visibility_timeout()

    assert [error.id for error in errors] == ["core.E010"]
    assert errors[0].level == checks.ERROR
