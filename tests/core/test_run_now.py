"""'Run now' for a periodic task, from the admin and from the API, executed by a real worker."""

import pytest
from django_celery_beat.models import PeriodicTask
from rest_framework.test import APIClient

from apps.core.models import Heartbeat
from apps.core.services import periodic_tasks_register
from tests.conftest import wait_for
from tests.roles import user_with_role

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def heartbeat_ran() -> bool:
    return Heartbeat.objects.filter(worker_ran_at__isnull=False).exists()


def test_admin_run_now_action_queues_the_task_and_a_worker_runs_it(celery_worker_process, admin_client):
    periodic_tasks_register()
    heartbeat_task = PeriodicTask.objects.get(name="heartbeat")

    response = admin_client.post(
        "/admin/django_celery_beat/periodictask/",
        {"action": "run_tasks", "_selected_action": [heartbeat_task.pk]},
        follow=True,
    )

    assert response.status_code == 200
    messages = [str(message) for message in response.context["messages"]]
    assert any("successfully run" in message for message in messages), messages
    wait_for(heartbeat_ran, timeout=60, what="the worker to run the heartbeat")


def test_api_run_now_answers_202_with_the_task_id_and_a_worker_runs_it(celery_worker_process):
    periodic_tasks_register()
    client = APIClient()
    client.force_authenticate(user_with_role("operator", "ops"))
    heartbeat_task = PeriodicTask.objects.get(name="heartbeat")

    response = client.post(f"/api/periodic-tasks/{heartbeat_task.pk}/run/")

    assert response.status_code == 202
    assert response.json()["task_id"]
    wait_for(heartbeat_ran, timeout=60, what="the worker to run the heartbeat")
