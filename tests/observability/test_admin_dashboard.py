"""The admin index shows the fleet, open incidents, periodic tasks and the day's failures, to those
who may view them, with a fixed number of queries; task results are readable in the admin."""

import html
import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from apps.observability.dashboard import dashboard_for
from tests import factories
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db


def dashboard_of(client) -> str:
    response = client.get("/admin/")
    assert response.status_code == 200
    page = response.content.decode()
    start = page.index('<div id="platform-dashboard"')
    return page[start : page.index("<!-- /platform-dashboard -->", start)]


@pytest.fixture
def fleet():
    now = timezone.now()
    account = factories.provider_account()
    web = factories.server(account=account, lifecycle="ready", health_status="healthy")
    db = factories.server(account=account, lifecycle="ready", health_status="unreachable")
    factories.server(account=account, lifecycle="failed", health_status="unknown")
    factories.incident(on=db, kind="unreachable", severity="critical")
    factories.incident(on=web, kind="disk_warning", severity="warning", status="acknowledged")
    factories.incident(on=web, kind="docker_down", severity="critical", status="resolved")
    factories.sync_run(status="failed", finished_at=now - timedelta(hours=2), error="provider answered 503")
    factories.sync_run(status="failed", finished_at=now - timedelta(hours=30), error="old failure")
    factories.provisioning_run(on=db, status="failed", finished_at=now - timedelta(hours=1), error="ansible failed")
    every_minute = IntervalSchedule.objects.create(every=60, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="heartbeat", task="core.heartbeat", interval=every_minute)
    PeriodicTask.objects.create(name="server-sync", task="servers.sync_all", interval=every_minute)
    factories.task_result(
        task_name="core.heartbeat", status="SUCCESS", seconds=1, done_ago=timedelta(minutes=9), periodic="heartbeat"
    )
    latest = factories.task_result(
        task_name="core.heartbeat", status="FAILURE", seconds=1, done_ago=timedelta(minutes=2), periodic="heartbeat"
    )
    return {"latest_heartbeat": latest}


def test_an_admin_sees_servers_incidents_periodic_tasks_and_failures(admin_client, fleet):
    page = dashboard_of(admin_client)

    assert '<a href="/admin/servers/server/?lifecycle__exact=ready">Ready: 2</a>' in page
    assert '<a href="/admin/servers/server/?lifecycle__exact=failed">Failed: 1</a>' in page
    assert '<a href="/admin/servers/server/?health_status__exact=unreachable">Unreachable: 1</a>' in page
    # Open incidents apart from acknowledged ones, each count linking to its list.
    assert '<a href="/admin/monitoring/incident/?status__exact=open">Open incidents: 1</a>' in page
    assert (
        '<a href="/admin/monitoring/incident/?status__exact=open&amp;severity__exact=critical">Critical: 1</a>' in page
    )
    assert '<a href="/admin/monitoring/incident/?status__exact=acknowledged">Acknowledged: 1</a>' in page
    assert (
        '<a href="/admin/monitoring/incident/?status__exact=acknowledged&amp;severity__exact=warning">Warning: 1</a>'
        in page
    )
    assert "Unreachable on" in page
    assert "Disk usage high on" in page
    assert "Docker down" not in page
    # The heartbeat's last run is the failed one, linked to its task result.
    latest = fleet["latest_heartbeat"]
    assert f'<a href="/admin/django_celery_results/taskresult/{latest.pk}/change/">FAILURE</a>' in page
    assert latest.date_done.strftime("%Y-%m-%d %H:%M:%S") in page
    assert "server-sync" in page
    # Failures of the last 24 hours only.
    assert "Sync runs: 1</a>" in page
    assert "provider answered 503" in page
    assert "old failure" not in page
    assert "Provisioning runs: 1</a>" in page
    assert "ansible failed" in page
    assert "Task results: 1</a>" in page


def test_the_dashboard_links_lead_to_the_filtered_lists(admin_client, fleet):
    page = dashboard_of(admin_client)
    since = re.search(
        r'href="(/admin/provisioning/provisioningrun/\?status__exact=failed&amp;created_at__gte=[^"]+)"', page
    )
    assert since, "the day's failed runs link to their list"

    incidents = admin_client.get("/admin/monitoring/incident/?status__exact=open&severity__exact=critical")
    failed_runs = admin_client.get(html.unescape(since.group(1)))

    assert incidents.status_code == 200
    assert incidents.context["cl"].result_count == 1
    assert failed_runs.status_code == 200
    assert failed_runs.context["cl"].result_count == 1


def test_a_user_sees_only_the_blocks_of_models_they_may_view(client, fleet):
    user = get_user_model().objects.create_user(username="incidents-only", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_incident"))
    client.force_login(user)

    page = dashboard_of(client)

    assert "Open incidents: 1" in page
    assert "Servers by lifecycle" not in page
    assert "Provisioning runs in the last 24 hours" not in page
    assert "Periodic tasks" not in page
    assert "Failed in the last 24 hours" not in page


def test_a_viewer_sees_every_block(client, fleet):
    client.force_login(user_with_role("viewer"))

    page = dashboard_of(client)

    for block in (
        "Servers by lifecycle",
        "Open incidents: 1",
        "Provisioning runs: 1",
        "Jobs: 0",
        "Health checks per day",
        "Periodic tasks",
        "Sync runs: 1",
        "Task results: 1",
    ):
        assert block in page, block


def test_the_dashboard_costs_a_bounded_number_of_queries(admin_client, fleet, django_assert_max_num_queries):
    for number in range(10):
        server = factories.server(lifecycle="ready")
        factories.incident(on=server, kind="unreachable", severity="critical")
        factories.provisioning_run(on=server, status="failed", finished_at=timezone.now())
        factories.task_result(task_name="core.heartbeat", status="FAILURE", seconds=1, periodic="heartbeat")
        PeriodicTask.objects.create(
            name=f"extra-{number}", task="core.heartbeat", interval=IntervalSchedule.objects.first()
        )

    viewer = user_with_role("viewer")

    # Fifteen queries for the blocks (counts, the day's runs, two charts, periodic tasks,
    # failures), two for the viewer's permissions, whatever the number of rows.
    with django_assert_max_num_queries(17):
        dashboard = dashboard_for(viewer)
    assert len(dashboard["periodic_tasks"]) == 12
    with django_assert_max_num_queries(30):
        assert admin_client.get("/admin/").status_code == 200


def test_an_admin_reads_task_results_in_the_admin(admin_client):
    result = factories.task_result(task_name="servers.sync_account", status="FAILURE", seconds=3)

    changelist = admin_client.get("/admin/django_celery_results/taskresult/")
    detail = admin_client.get(f"/admin/django_celery_results/taskresult/{result.pk}/change/")

    assert changelist.status_code == 200
    assert result.task_id in changelist.content.decode()
    assert detail.status_code == 200
    assert "servers.sync_account" in detail.content.decode()


def chart_data(page: str, chart_id: str) -> dict:
    block = page[page.index(f'id="{chart_id}"') :]
    return json.loads(html.unescape(re.search(r'data-value="([^"]*)"', block).group(1)))


def test_the_charts_count_health_checks_and_runs_per_day(admin_client, fleet):
    server = factories.server(lifecycle="ready")
    now = timezone.now()
    for ago, outcome in ((timedelta(0), "healthy"), (timedelta(0), "unreachable"), (timedelta(days=3), "healthy")):
        factories.health_check(on=server, outcome=outcome, checked_at=now - ago)

    page = dashboard_of(admin_client)

    health = chart_data(page, "dashboard-health-chart")
    series = {dataset["label"]: dataset["data"] for dataset in health["datasets"]}
    assert len(health["labels"]) == 14
    assert series["Healthy"][-1] == 1
    assert series["Unreachable"][-1] == 1
    assert series["Healthy"][-4] == 1
    assert sum(series["Healthy"]) == 2
    runs = chart_data(page, "dashboard-runs-chart")
    assert {dataset["label"]: dataset["data"][-1] for dataset in runs["datasets"]}["Failed"] == 1


def test_each_periodic_task_shows_when_it_runs_next(admin_client, fleet):
    task = PeriodicTask.objects.get(name="heartbeat")
    PeriodicTask.objects.filter(pk=task.pk).update(last_run_at=timezone.now() - timedelta(seconds=20))
    PeriodicTask.objects.filter(name="server-sync").update(enabled=False)

    page = dashboard_of(admin_client)

    row = page[page.index(">heartbeat</a>") :].split("</tr>")[0]
    next_run = re.findall(r"<td>(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)</td>", row)[-1]
    expected = timezone.localtime(timezone.now() + timedelta(seconds=40))
    shown = timezone.make_aware(timezone.datetime.strptime(next_run, "%Y-%m-%d %H:%M:%S"))
    assert abs((shown - expected).total_seconds()) < 5
    disabled = page[page.index(">server-sync</a>") :].split("</tr>")[0]
    assert "(disabled)" in disabled
    assert disabled.rstrip().endswith("<td>-</td>")
