"""A run's page follows the run in place: it polls the events cursor and the run's status answer
(console/live_output.js), and offers the whole output as a download. The script itself runs in
the browser tests; here, what it is given: the page's addresses, the answers and who gets them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.provisioning.choices import PhaseStatus, RunStatus
from apps.provisioning.models import ProvisioningRun
from apps.servers.choices import Connection, Lifecycle
from apps.servers.models import Server
from tests.provisioning.test_provisioning_admin import RUNS, add_events, make_run
from tests.roles import user_with_role
from tests.servers.factories import provider_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(client):
    client.force_login(user_with_role("viewer", "vera"))
    return client


@pytest.fixture
def server():
    return Server.objects.create(
        provider_account=provider_account(),
        provider_id="1",
        hostname="web1",
        ip="192.0.2.10",
        lifecycle=Lifecycle.READY,
        connection=Connection.SSH,
        ssh_host="192.0.2.10",
    )


def finish(run: ProvisioningRun, *, status: str = RunStatus.SUCCEEDED, took: timedelta) -> None:
    """The run and its phase ended `took` after they started."""
    ended = timezone.now()
    ProvisioningRun.objects.filter(pk=run.pk).update(status=status, started_at=ended - took, finished_at=ended)
    run.phases.update(status=status, started_at=ended - took, finished_at=ended)


def test_a_running_run_page_has_no_reload_and_gives_the_script_what_it_polls(viewer, server):
    run = make_run(server, status=RunStatus.RUNNING)
    add_events(run, "PLAY [all] ****")

    html = viewer.get(f"{RUNS}{run.pk}/change/").content.decode()

    assert "http-equiv" not in html
    assert '<script src="/static/console/live_output.js" defer></script>' in html
    assert 'href="/static/console/live_output.css"' in html
    assert 'id="run-output"' in html
    assert f'data-events-url="/api/provisioning-runs/{run.pk}/events/"' in html
    assert f'data-status-url="{RUNS}{run.pk}/live/"' in html
    assert 'data-after="0"' in html
    assert 'data-finished="false"' in html
    assert 'data-poll-ms="1000"' in html
    for element in ('id="run-status"', 'id="run-phases"', 'id="output-search"'):
        assert element in html
    assert f'<a href="{RUNS}{run.pk}/log/" id="output-download" download>Download log</a>' in html


def test_the_events_cursor_answers_the_admins_session(viewer, server):
    run = make_run(server, status=RunStatus.RUNNING)
    add_events(run, "PLAY [all] ****", "TASK [ping] ****", "ok: [192.0.2.10]")

    page = viewer.get(f"/api/provisioning-runs/{run.pk}/events/", {"after": 1})

    assert page.status_code == 200
    body = page.json()
    assert [event["stdout"] for event in body["events"]] == ["TASK [ping] ****", "ok: [192.0.2.10]"]
    assert (body["next_after"], body["finished"]) == (3, False)
    assert viewer.get(f"/api/provisioning-runs/{run.pk}/events/", {"after": 3}).json()["events"] == []


def test_the_status_answer_follows_the_run_until_it_says_finished(viewer, server):
    run = make_run(server, status=RunStatus.RUNNING)
    run.phases.update(error="<b>first</b> attempt timed out")

    running = viewer.get(f"{RUNS}{run.pk}/live/")

    assert running.status_code == 200
    assert "no-store" in running["Cache-Control"]  # a poll never reads an old answer
    body = running.json()
    assert (body["status"], body["status_label"], body["finished"]) == ("running", "Running", False)
    assert body["elapsed_seconds"] is not None
    assert "Running" in body["fragments"]["run-status"]
    assert "following the run" in body["fragments"]["run-status"]
    phases = body["fragments"]["run-phases"]
    assert "<td>Ansible</td>" in phases
    assert '<time class="console-time" datetime="' in phases
    assert "&lt;b&gt;first&lt;/b&gt; attempt timed out" in phases
    assert "<b>first</b>" not in phases

    finish(run, took=timedelta(minutes=2, seconds=5))
    ProvisioningRun.objects.filter(pk=run.pk).update(stats={"192.0.2.10": {"ok": 4, "changed": 1}})

    done = viewer.get(f"{RUNS}{run.pk}/live/").json()

    assert (done["status"], done["finished"], done["elapsed_seconds"], done["elapsed"]) == (
        "succeeded",
        True,
        125,
        "2 min 5 s",
    )
    assert "finished" in done["fragments"]["run-status"]
    assert "took" in done["fragments"]["run-status"]
    assert "<td>2 min 5 s</td>" in done["fragments"]["run-phases"]  # the phase's duration
    assert "<td>Succeeded</td>" in done["fragments"]["run-phases"]
    assert "<td>192.0.2.10</td><td>4</td><td>1</td>" in done["fragments"]["run-stats"]


def test_a_finished_run_page_says_so_and_shows_its_durations(viewer, server):
    run = make_run(server, status=RunStatus.RUNNING)
    finish(run, status=RunStatus.FAILED, took=timedelta(seconds=42))

    html = viewer.get(f"{RUNS}{run.pk}/change/").content.decode()

    assert 'data-finished="true"' in html
    assert 'took <span class="console-elapsed">42 s</span>' in html
    assert "· finished" in html


def test_the_download_holds_every_line_even_those_the_page_leaves_out(viewer, server, monkeypatch):
    monkeypatch.setattr("apps.provisioning.admin.OUTPUT_EVENTS_SHOWN", 2)
    run = make_run(server, status=RunStatus.SUCCEEDED)
    add_events(run, "first line", "\x1b[0;32msecond line\x1b[0m")
    add_events(run, "third line\r\n", attempt=2)

    page = viewer.get(f"{RUNS}{run.pk}/change/").content.decode()
    download = viewer.get(f"{RUNS}{run.pk}/log/")

    assert "first line" not in page
    assert 'data-after="1"' in page  # the script continues after what the page shows
    assert download.status_code == 200
    assert download["Content-Type"] == "text/plain; charset=utf-8"
    assert download["Content-Disposition"] == f'attachment; filename="provisioning-run-{run.pk}.log"'
    text = b"".join(download.streaming_content).decode()
    assert text == "first line\nsecond line\n--- attempt 2 ---\nthird line\n"


def test_viewers_read_the_live_answers_and_others_are_turned_away(client, server):
    run = make_run(server, status=RunStatus.RUNNING)
    add_events(run, "PLAY [all] ****")
    addresses = [f"{RUNS}{run.pk}/live/", f"{RUNS}{run.pk}/log/"]

    for address in addresses:
        anonymous = client.get(address)
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/admin/login/")
    assert client.get(f"/api/provisioning-runs/{run.pk}/events/").status_code in (401, 403)

    client.force_login(get_user_model().objects.create_user(username="staff", is_staff=True))
    for address in addresses:
        assert client.get(address).status_code == 403
    assert client.get(f"/api/provisioning-runs/{run.pk}/events/").status_code == 403

    client.force_login(user_with_role("viewer", "vera"))
    for address in addresses:
        assert client.get(address).status_code == 200
    assert client.get(f"/api/provisioning-runs/{run.pk}/events/").status_code == 200
    assert client.get(f"{RUNS}{run.pk + 1}/live/").status_code == 404


def test_a_phase_still_running_shows_how_long_it_has_run(viewer, server):
    run = make_run(server, status=RunStatus.RUNNING)
    run.phases.update(status=PhaseStatus.RUNNING, started_at=timezone.now() - timedelta(hours=1, minutes=1))

    phases = viewer.get(f"{RUNS}{run.pk}/live/").json()["fragments"]["run-phases"]

    assert "1 h 1 min" in phases
