"""One request id follows the work: from the web request's X-Request-ID into the log lines of
the tasks it queues, run by a real worker, in JSON, one object per line."""

import json
import os
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django_celery_beat.models import PeriodicTask
from rest_framework.test import APIClient

from apps.core.services import periodic_tasks_register
from tests.conftest import REPO_ROOT, start_worker, wait_for

REQUEST_ID = "req-7f3a9c-observability"

WEB_LOG_SCRIPT = """
import django
django.setup()
from django.test import Client
Client().get("/no-such-page/", HTTP_X_REQUEST_ID="web-req-42")
"""


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.mark.django_db
def test_an_incoming_request_id_is_kept_and_echoed(client):
    response = client.get("/health/live", HTTP_X_REQUEST_ID=REQUEST_ID)

    assert response["X-Request-ID"] == REQUEST_ID


@pytest.mark.django_db
def test_a_long_request_id_is_truncated_and_an_unsafe_one_replaced(client):
    long_id = "a" * 100
    assert client.get("/health/live", HTTP_X_REQUEST_ID=long_id)["X-Request-ID"] == "a" * 64

    for unsafe in ('evil" injected="1', "line\\nbreak", "<script>"):
        echoed = client.get("/health/live", HTTP_X_REQUEST_ID=unsafe)["X-Request-ID"]
        assert echoed != unsafe
        assert len(echoed) == 32
        assert echoed.isalnum()
    generated = client.get("/health/live")["X-Request-ID"]
    assert len(generated) == 32


def test_a_web_log_line_is_one_json_object_with_event_level_timestamp_and_request_id():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "LOG_FORMAT": "json"}
    result = subprocess.run(
        [sys.executable, "-c", WEB_LOG_SCRIPT], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, "nothing was logged"
    events = [json.loads(line) for line in lines]  # every line is one JSON object
    not_found = next(event for event in events if event["event"].startswith("Not Found"))
    assert not_found["level"] == "warning"
    assert not_found["request_id"] == "web-req-42"
    assert not_found["timestamp"].endswith("Z")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_task_queued_by_a_request_logs_with_the_requests_id(start_celery):
    worker = start_worker(start_celery, queues="default", LOG_FORMAT="json")
    periodic_tasks_register()
    heartbeat = PeriodicTask.objects.get(name="heartbeat")
    client = APIClient()
    client.force_authenticate(get_user_model().objects.create_superuser(username="root-user"))

    response = client.post(f"/api/periodic-tasks/{heartbeat.pk}/run/", HTTP_X_REQUEST_ID=REQUEST_ID)
    assert response.status_code == 202, response.content
    task_id = response.json()["task_id"]

    def task_lines() -> list[dict]:
        return [line for line in json_lines(worker.output()) if line.get("task_id") == task_id]

    wait_for(
        lambda: any("succeeded" in line["event"] for line in task_lines()),
        timeout=60,
        what=lambda: f"the heartbeat's log lines in:\n{worker.output()}",
    )
    for line in task_lines():
        assert line["request_id"] == REQUEST_ID, line
        assert line["task_name"] == "core.heartbeat"
        assert {"event", "level", "timestamp"} <= line.keys()


def test_a_task_publishing_inside_a_request_or_task_context_sends_its_request_id():
    import structlog
    from celery import signals

    structlog.contextvars.bind_contextvars(request_id="outer-task-req")
    try:
        headers: dict = {"task": "core.heartbeat"}
        signals.before_task_publish.send(sender="core.heartbeat", body=(), headers=headers)
    finally:
        structlog.contextvars.clear_contextvars()
    outside: dict = {}
    signals.before_task_publish.send(sender="core.heartbeat", body=(), headers=outside)

    assert headers["request_id"] == "outer-task-req"
    assert "request_id" not in outside
