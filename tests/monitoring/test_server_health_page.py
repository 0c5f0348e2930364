"""A server's page in the console: its health history (a chart of disk use per mount, memory and
load, and its latest checks, however many checks other servers have), "Check health now", the
buttons of the other parts, and the incident page's link to the check that opened it."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.choices import AuditAction
from apps.audit.models import AuditEvent
from apps.monitoring.choices import CheckOutcome, IncidentKind, Severity
from apps.monitoring.models import HealthCheck
from apps.servers.models import Server
from tests import factories
from tests.conftest import purge_queues
from tests.roles import user_with_role

pytestmark = pytest.mark.django_db


def figures(*, root: float, data: float | None = None, available_kb: int = 600, load: float = 0.5) -> dict:
    disk = {
        "/": {"total_kb": 1000, "used_kb": int(root * 10), "available_kb": 1000 - int(root * 10), "used_percent": root}
    }
    if data is not None:
        disk["/data"] = {"total_kb": 1000, "used_kb": 0, "available_kb": 1000, "used_percent": data}
    memory = {"total_kb": 1000, "available_kb": available_kb, "free_kb": 100, "swap_total_kb": 0, "swap_free_kb": 0}
    return {
        "disk": disk,
        "memory": memory,
        "load": {"one": load, "five": load, "fifteen": load, "running": 1, "total": 90},
    }


def page(client, server: Server) -> str:
    response = client.get(f"/admin/servers/server/{server.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def chart_of(page_html: str) -> dict:
    match = re.search(r'<div id="server-health-chart".*?data-value="([^"]*)"', page_html, re.S)
    assert match, "no health chart on the page"
    return json.loads(html.unescape(match.group(1)))


@pytest.fixture
def operator(client):
    client.force_login(user_with_role("operator"))
    return client


def test_the_chart_shows_this_servers_disk_memory_and_load_oldest_first(operator):
    server, other = factories.server(), factories.server()
    start = timezone.now() - timedelta(hours=1)
    for minute, root in enumerate([40.0, 45.0, 50.0]):
        factories.health_check(
            on=server,
            outcome=CheckOutcome.HEALTHY,
            checked_at=start + timedelta(minutes=2 * minute),
            figures=figures(root=root, data=10.0 + minute, available_kb=600 - 100 * minute, load=minute / 2),
        )
    factories.health_check(on=server, outcome=CheckOutcome.UNREACHABLE, checked_at=start + timedelta(minutes=6))
    # Another server checked far more often, and later: none of its figures reach this page.
    for minute in range(600):
        factories.health_check(
            on=other,
            outcome=CheckOutcome.HEALTHY,
            checked_at=start + timedelta(seconds=minute),
            figures=figures(root=99),
        )

    chart = chart_of(page(operator, server))

    series = {dataset["label"]: dataset["data"] for dataset in chart["datasets"]}
    assert series == {
        "disk / %": [40.0, 45.0, 50.0, None],  # the unreachable check read nothing: a gap, not a zero
        "disk /data %": [10.0, 11.0, 12.0, None],
        "memory used %": [40.0, 50.0, 60.0, None],
        "load (1 min)": [0.0, 0.5, 1.0, None],
    }
    assert len(chart["labels"]) == 4


def test_the_latest_checks_are_this_servers_newest_first_each_linked(operator):
    server, other = factories.server(), factories.server()
    now = timezone.now()
    mine = [
        factories.health_check(on=server, outcome=outcome, checked_at=now - timedelta(minutes=minutes))
        for minutes, outcome in [(30, CheckOutcome.HEALTHY), (10, CheckOutcome.DEGRADED)]
    ]
    for minute in range(600):
        factories.health_check(on=other, outcome=CheckOutcome.HEALTHY, checked_at=now - timedelta(seconds=minute))

    text = page(operator, server)

    table = text[text.index('id="server-recent-checks"') :]
    table = table[: table.index("</table>")]
    links = re.findall(r'href="/admin/monitoring/healthcheck/(\d+)/change/"', table)
    assert links == [str(mine[1].pk), str(mine[0].pk)]
    assert "Degraded" in table
    assert "Healthy" in table
    assert f"/admin/monitoring/healthcheck/?server__id__exact={server.pk}" in text


def test_a_server_never_checked_says_so(operator):
    text = page(operator, factories.server())

    assert "Not checked yet." in text
    assert 'id="server-health-chart"' not in text


def test_check_health_now_queues_a_check_of_this_server(operator):
    server = factories.server()
    text = page(operator, server)
    assert re.search(r'<form method="post" action="/admin/servers/server/\d+/check-health/"', text)
    assert 'id="check-health-now"' in text

    try:
        response = operator.post(f"/admin/servers/server/{server.pk}/check-health/", follow=True)
    finally:
        purge_queues()  # no worker here: the queued batch is not this test's to run

    assert "health check queued" in response.content.decode()
    assert response.redirect_chain[-1][0] == f"/admin/servers/server/{server.pk}/change/"
    queued = AuditEvent.objects.get(action=AuditAction.HEALTH_CHECK_QUEUE)
    assert (queued.actor_name, queued.detail["server_ids"], queued.detail["batches"]) == (
        "operator-user",
        [server.pk],
        1,
    )


def test_check_health_now_is_post_only_and_for_those_who_may(client):
    server = factories.server()
    client.force_login(user_with_role("viewer"))

    assert 'id="check-health-now"' not in page(client, server)
    assert client.post(f"/admin/servers/server/{server.pk}/check-health/").status_code == 403
    client.force_login(user_with_role("operator"))
    assert client.get(f"/admin/servers/server/{server.pk}/check-health/").status_code == 405


def test_the_server_page_offers_its_parts_buttons_by_role(client):
    server = factories.server()
    client.force_login(user_with_role("operator"))
    text = page(client, server)
    for element_id, path in [
        ("server-provision", "provision/"),
        ("server-run-playbook", "run-playbook/"),
        ("server-run-job", "run-job/"),
    ]:
        assert re.search(rf'href="/admin/servers/server/{server.pk}/{path}"[^>]*id="{element_id}"', text), element_id

    client.force_login(user_with_role("viewer"))
    text = page(client, server)
    assert not any(f'id="{element_id}"' in text for element_id in ("server-provision", "server-run-job"))


def test_disk_mounts_are_edited_one_per_line(client):
    server = factories.server(disk_mounts=["/srv"])
    client.force_login(user_with_role("admin"))
    text = page(client, server)
    assert re.search(r'<textarea[^>]*name="disk_mounts"[^>]*>\s*/srv</textarea>', text)

    form = {"labels": "", "disk_mounts": "/srv\n /var/lib/docker \n\n/srv", "ssh_port": 22, "ssh_user": "root"}
    response = client.post(f"/admin/servers/server/{server.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    server.refresh_from_db()
    assert server.disk_mounts == ["/srv", "/var/lib/docker"]

    response = client.post(f"/admin/servers/server/{server.pk}/change/", {**form, "disk_mounts": "srv"})
    assert response.status_code == 200
    assert "A mount point is an absolute path: srv" in response.content.decode()


def test_the_incident_page_links_the_check_that_opened_it(client):
    server = factories.server()
    opened = timezone.now() - timedelta(minutes=10)
    check = factories.health_check(on=server, outcome=CheckOutcome.DEGRADED, checked_at=opened)
    later = factories.health_check(on=server, outcome=CheckOutcome.DEGRADED, checked_at=opened + timedelta(minutes=2))
    incident = factories.incident(
        on=server, kind=IncidentKind.DISK_WARNING, severity=Severity.WARNING, opened_at=opened
    )
    client.force_login(user_with_role("viewer"))

    text = client.get(f"/admin/monitoring/incident/{incident.pk}/change/").content.decode()
    assert f'href="/admin/monitoring/healthcheck/{check.pk}/change/" id="incident-check-opened"' in text
    assert "incident-check-last-seen" not in text  # seen once: one link

    type(incident).objects.filter(pk=incident.pk).update(last_seen_at=later.checked_at)
    text = client.get(f"/admin/monitoring/incident/{incident.pk}/change/").content.decode()
    assert f'href="/admin/monitoring/healthcheck/{later.pk}/change/" id="incident-check-last-seen"' in text

    HealthCheck.objects.all().delete()  # retention removed them
    text = client.get(f"/admin/monitoring/incident/{incident.pk}/change/").content.decode()
    assert "retention removed its check" in text
