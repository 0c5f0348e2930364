"""The platform's gauges on /metrics match the rows in the database."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.models import Heartbeat
from tests import factories
from tests.observability.metrics_helpers import value

pytestmark = pytest.mark.django_db


def scrape(client) -> str:
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200, response.content
    return response.content.decode()


def test_servers_are_counted_by_lifecycle_and_health(client):
    account = factories.provider_account()
    factories.server(account=account, lifecycle="ready", health_status="healthy")
    factories.server(account=account, lifecycle="ready", health_status="healthy")
    factories.server(account=account, lifecycle="ready", health_status="unreachable")
    factories.server(account=account, lifecycle="failed", health_status="unknown")

    page = scrape(client)

    assert value(page, "fleet_servers", lifecycle="ready", health_status="healthy") == 2
    assert value(page, "fleet_servers", lifecycle="ready", health_status="unreachable") == 1
    assert value(page, "fleet_servers", lifecycle="failed", health_status="unknown") == 1
    # Absent combinations read 0, so an alert on them sees a value.
    assert value(page, "fleet_servers", lifecycle="provisioning", health_status="degraded") == 0


def test_active_incidents_are_counted_and_resolved_ones_are_not(client):
    web = factories.server()
    db = factories.server()
    factories.incident(on=web, kind="unreachable", severity="critical")
    factories.incident(on=db, kind="unreachable", severity="critical", status="acknowledged")
    factories.incident(on=web, kind="disk_warning", severity="warning")
    factories.incident(on=db, kind="disk_warning", severity="warning", status="resolved")

    page = scrape(client)

    assert value(page, "fleet_incidents_active", severity="critical", kind="unreachable", status="open") == 1
    assert value(page, "fleet_incidents_active", severity="critical", kind="unreachable", status="acknowledged") == 1
    assert value(page, "fleet_incidents_active", severity="warning", kind="disk_warning", status="open") == 1
    assert value(page, "fleet_incidents_active", severity="warning", kind="disk_warning", status="resolved") is None


def test_sync_and_provisioning_runs_are_counted_by_kind_and_status(client):
    factories.sync_run(status="failed")
    factories.sync_run(status="succeeded")
    factories.sync_run(status="succeeded")
    factories.sync_run(status="succeeded", kind="github_sync")
    server = factories.server()
    factories.provisioning_run(on=server, status="failed")
    factories.provisioning_run(on=server, status="succeeded")

    page = scrape(client)

    assert value(page, "fleet_sync_runs", kind="server_sync", status="succeeded") == 2
    assert value(page, "fleet_sync_runs", kind="server_sync", status="failed") == 1
    assert value(page, "fleet_sync_runs", kind="github_sync", status="succeeded") == 1
    assert value(page, "fleet_provisioning_runs", kind="playbook", status="failed") == 1
    assert value(page, "fleet_provisioning_runs", kind="playbook", status="succeeded") == 1
    assert value(page, "fleet_provisioning_runs", kind="provision", status="failed") == 0


def test_task_durations_and_outcomes_cover_the_recent_window_only(client, settings):
    settings.METRICS_TASK_WINDOW_MINUTES = 60
    factories.task_result(task_name="servers.sync_account", status="SUCCESS", seconds=2)
    factories.task_result(task_name="servers.sync_account", status="SUCCESS", seconds=5)
    factories.task_result(task_name="servers.sync_account", status="FAILURE", seconds=11)
    factories.task_result(task_name="servers.sync_account", status="SUCCESS", seconds=300, done_ago=timedelta(hours=3))
    factories.task_result(task_name="core.heartbeat", status="SUCCESS", seconds=0.5)

    page = scrape(client)

    assert value(page, "fleet_task_recent_finished", task="servers.sync_account") == 3
    assert value(page, "fleet_task_recent_duration_seconds_sum", task="servers.sync_account") == pytest.approx(18)
    assert value(page, "fleet_task_recent_duration_seconds_max", task="servers.sync_account") == pytest.approx(11)
    assert value(page, "fleet_task_recent_duration_seconds_max", task="core.heartbeat") == pytest.approx(0.5)
    assert value(page, "fleet_task_recent_results", task="servers.sync_account", state="SUCCESS") == 2
    assert value(page, "fleet_task_recent_results", task="servers.sync_account", state="FAILURE") == 1
    assert value(page, "fleet_task_window_seconds") == 3600


def test_heartbeat_ages_are_exported_once_recorded(client):
    assert value(scrape(client), "fleet_heartbeat_age_seconds", component="beat") is None
    now = timezone.now()
    Heartbeat.objects.create(beat_sent_at=now - timedelta(seconds=40), worker_ran_at=now - timedelta(seconds=300))

    page = scrape(client)

    assert 40 <= value(page, "fleet_heartbeat_age_seconds", component="beat") < 60
    assert 300 <= value(page, "fleet_heartbeat_age_seconds", component="worker") < 320


def test_request_and_database_metrics_of_django_prometheus_are_exported(client):
    client.get("/health/live")

    page = scrape(client)

    assert (
        value(
            page,
            "django_http_requests_total_by_view_transport_method_total",
            view="health-live",
            transport="http",
            method="GET",
        )
        >= 1
    )
    assert any(line.startswith("django_db_execute_total{") for line in page.splitlines())


def test_a_scrape_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for _ in range(5):
        server = factories.server()
        factories.incident(on=server, kind="unreachable", severity="critical")
        factories.provisioning_run(on=server, status="failed")
        factories.task_result(task_name="core.heartbeat", status="SUCCESS", seconds=1)

    with django_assert_max_num_queries(8):
        scrape(client)
