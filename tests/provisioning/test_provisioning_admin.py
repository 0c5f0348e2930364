"""The provisioning admin: run pages (phases, stats, escaped live output), retry and cancel, and
the server admin's provision and run-a-playbook pages in front of the services."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.integrations.providers.time4vps import circuit_reset
from apps.provisioning.choices import PHASES_BY_KIND, Phase, PhaseStatus, RunKind, RunStatus
from apps.provisioning.models import ProvisioningEvent, ProvisioningPhase, ProvisioningRun
from apps.servers.choices import Connection, Lifecycle
from apps.servers.models import Server
from tests.conftest import purge_queues
from tests.roles import user_with_role
from tests.servers.factories import provider_account

pytestmark = pytest.mark.django_db

RUNS = "/admin/provisioning/provisioningrun/"
SERVERS = "/admin/servers/server/"


@pytest.fixture
def operator(client):
    user = get_user_model().objects.create_superuser(username="operator", password="x" * 16)
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def make_server():
    """A ready server reached over SSH at an address that is not this machine."""

    def make(account=None, *, provider_id: str = "1", **fields) -> Server:
        values = {
            "provider_account": account or provider_account(),
            "provider_id": provider_id,
            "hostname": "web1",
            "ip": "192.0.2.10",
            "lifecycle": Lifecycle.READY,
            "connection": Connection.SSH,
            "ssh_host": "192.0.2.10",
        }
        values.update(fields)
        return Server.objects.create(**values)

    return make


@pytest.fixture
def provider_server(fake_provider, make_server, settings):
    """A ready server of an account on the fake provider, which offers it three OS templates."""
    settings.PROVISIONING_DEFAULT_PLAYBOOK = "baseline.yml"
    account = provider_account(
        base_url=fake_provider.base_url, username=fake_provider.username, password=fake_provider.password
    )
    yield make_server(account, provider_id=str(fake_provider.FIRST_SERVER_ID))
    circuit_reset(account.circuit_key)


def make_run(server: Server, *, status: str = RunStatus.RUNNING, **fields) -> ProvisioningRun:
    """A playbook run in its Ansible phase, with the phase row a real run has."""
    now = timezone.now()
    values = {"kind": RunKind.PLAYBOOK, "playbook": "baseline.yml", "phase": Phase.ANSIBLE, "started_at": now}
    values.update(fields)
    run = ProvisioningRun.objects.create(server=server, status=status, **values)
    phase_status = PhaseStatus.RUNNING if status in (RunStatus.QUEUED, RunStatus.RUNNING) else status
    ProvisioningPhase.objects.create(
        run=run, phase=Phase.ANSIBLE, position=0, status=phase_status, attempts=1, started_at=now
    )
    return run


def add_events(run: ProvisioningRun, *stdouts: str, attempt: int = 1) -> None:
    start = run.events.count()
    ProvisioningEvent.objects.bulk_create(
        ProvisioningEvent(
            run=run, seq=start + n, attempt=attempt, event="runner_on_ok", stdout=text, created_at=timezone.now()
        )
        for n, text in enumerate(stdouts, start=1)
    )


def test_the_run_list_renders(operator, make_server):
    make_run(make_server(), status=RunStatus.SUCCEEDED)

    page = operator.get(RUNS)

    assert page.status_code == 200
    assert b"web1" in page.content


def test_the_run_list_finds_runs_by_server_address(operator, make_server):
    make_run(make_server(), status=RunStatus.SUCCEEDED)

    found = operator.get(RUNS, {"q": "192.0.2.10"})
    missed = operator.get(RUNS, {"q": "198.51.100.99"})

    assert found.context["cl"].result_count == 1
    assert missed.context["cl"].result_count == 0


def test_a_run_page_shows_phases_stats_and_escaped_output(operator, make_server):
    run = make_run(
        make_server(),
        status=RunStatus.FAILED,
        error="the playbook failed",
        stats={"192.0.2.10": {"ok": 7, "changed": 3, "failed": 1, "unreachable": 0, "skipped": 2}},
    )
    run.phases.update(error="<b>task</b> failed")
    add_events(run, "PLAY [all] ****", "<script>x</script>", "\x1b[0;32mok: [192.0.2.10]\x1b[0m")

    page = operator.get(f"{RUNS}{run.pk}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "<td>Ansible</td>" in html
    assert "&lt;b&gt;task&lt;/b&gt; failed" in html
    assert "<td>192.0.2.10</td><td>7</td><td>3</td><td>1</td><td>0</td><td>2</td>" in html
    assert "PLAY [all] ****\n&lt;script&gt;x&lt;/script&gt;\nok: [192.0.2.10]</pre>" in html
    assert "<script>x</script>" not in html
    assert 'http-equiv="refresh"' not in html


def test_a_run_page_shows_only_the_last_events_and_says_so(operator, make_server, monkeypatch):
    monkeypatch.setattr("apps.provisioning.admin.OUTPUT_EVENTS_SHOWN", 2)
    run = make_run(make_server(), status=RunStatus.SUCCEEDED)
    add_events(run, "first line", "second line")
    add_events(run, "third line", attempt=2)

    html = operator.get(f"{RUNS}{run.pk}/change/").content.decode()

    assert "Showing the last 2 of 3 events." in html
    assert "first line" not in html
    assert "second line\n--- attempt 2 ---\nthird line" in html


def test_a_running_run_page_follows_the_run_in_place(operator, make_server):
    run = make_run(make_server(), status=RunStatus.RUNNING)

    html = operator.get(f"{RUNS}{run.pk}/change/").content.decode()

    # No reload: console/live_output.js polls (tests/provisioning/test_run_live_output.py).
    assert "http-equiv" not in html
    assert 'data-finished="false"' in html


def test_canceling_a_running_run_from_its_page_cancels_it(operator, make_server):
    run = make_run(make_server(), status=RunStatus.RUNNING)

    response = operator.post(f"{RUNS}{run.pk}/cancel/", follow=True)

    run.refresh_from_db()
    assert run.status == RunStatus.CANCELED
    assert run.canceled_by == operator.user
    assert run.error == "canceled by operator"  # what run_cancel records
    assert run.phases.get().status == PhaseStatus.CANCELED
    assert response.redirect_chain[-1][0] == f"{RUNS}{run.pk}/change/"
    assert f"Run #{run.pk} canceled." in [str(message) for message in response.context["messages"]]


def test_retrying_a_failed_run_from_its_page_queues_it_again(operator, make_server, django_capture_on_commit_callbacks):
    run = make_run(make_server(), status=RunStatus.FAILED, error="the playbook failed")

    with django_capture_on_commit_callbacks() as callbacks:  # not executed: nothing reaches the broker
        response = operator.post(f"{RUNS}{run.pk}/retry/", follow=True)

    run.refresh_from_db()
    assert (run.status, run.error, run.token) == (RunStatus.QUEUED, "", 2)  # what run_retry does
    assert run.phases.get().status == PhaseStatus.RETRYING
    assert len(callbacks) == 1
    assert f"Run #{run.pk} queued again." in [str(message) for message in response.context["messages"]]


def test_opening_cancel_or_retry_asks_first_and_changes_nothing(operator, make_server):
    run = make_run(make_server(), status=RunStatus.RUNNING)

    cancel = operator.get(f"{RUNS}{run.pk}/cancel/")
    retry = operator.get(f"{RUNS}{run.pk}/retry/")

    assert cancel.status_code == retry.status_code == 200
    assert f'value="Yes, cancel run #{run.pk}"' in cancel.content.decode()
    assert "only a failed or canceled run can be retried" in retry.content.decode()
    assert operator.put(f"{RUNS}{run.pk}/cancel/").status_code == 405
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING


def make_provision_run(server: Server, *, phase: str, reinstall_asked: bool, status: str = RunStatus.RUNNING):
    """A provision run in `phase`; with `reinstall_asked`, its reinstall was requested (task #77 running)."""
    now = timezone.now()
    run = ProvisioningRun.objects.create(
        server=server,
        kind=RunKind.PROVISION,
        status=status,
        phase=phase,
        os_template="debian-12-x86_64",
        playbook="baseline.yml",
        lifecycle_before=Lifecycle.READY,
        started_at=now,
    )
    order = PHASES_BY_KIND[RunKind.PROVISION]
    for position, name in enumerate(order):
        before, current = position < order.index(phase), name == phase
        ProvisioningPhase.objects.create(
            run=run,
            phase=name,
            position=position,
            status=PhaseStatus.SUCCEEDED if before else PhaseStatus.WAITING if current else PhaseStatus.PENDING,
            **({"intent_at": now, "provider_task_id": 77} if name == Phase.REINSTALL and reinstall_asked else {}),
        )
    Server.objects.filter(pk=server.pk).update(lifecycle=Lifecycle.PENDING_SETUP)
    return run


def test_the_cancel_page_says_a_server_whose_reinstall_was_requested_may_be_wiped(operator, make_server):
    server = make_server()
    run = make_provision_run(server, phase=Phase.REINSTALL, reinstall_asked=True)

    html = operator.get(f"{RUNS}{run.pk}/cancel/").content.decode()

    assert "The reinstall was already requested: the server may be wiped, and it will be marked failed" in html
    assert "The provider&#x27;s reinstall task #77 has already started: it is left to finish." in html
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING

    operator.post(f"{RUNS}{run.pk}/cancel/")

    run.refresh_from_db()
    server.refresh_from_db()
    assert run.status == RunStatus.CANCELED
    assert server.lifecycle == Lifecycle.FAILED  # what the page said


def test_the_cancel_page_says_nothing_is_wiped_before_the_reinstall(operator, make_server):
    server = make_server()
    run = make_provision_run(server, phase=Phase.ACCESS, reinstall_asked=False)

    html = operator.get(f"{RUNS}{run.pk}/cancel/").content.decode()

    assert "The reinstall has not been requested: nothing is wiped, and the server goes back to ready." in html
    operator.post(f"{RUNS}{run.pk}/cancel/")
    server.refresh_from_db()
    assert server.lifecycle == Lifecycle.READY


def test_the_retry_page_says_a_reinstall_not_yet_requested_wipes_the_server(operator, make_server):
    run = make_provision_run(make_server(), phase=Phase.ACCESS, reinstall_asked=False, status=RunStatus.FAILED)

    html = operator.get(f"{RUNS}{run.pk}/retry/").content.decode()

    assert "The run starts again at its reset access phase" in html
    assert "The server is reinstalled with debian-12-x86_64: everything on it is wiped." in html
    assert f'value="Yes, retry run #{run.pk}"' in html
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED


def test_the_run_page_links_to_the_confirmation_pages(operator, make_server):
    running = make_run(make_server(), status=RunStatus.RUNNING)
    failed = make_run(make_server(hostname="web2", provider_id="2"), status=RunStatus.FAILED)

    assert (
        f'href="{RUNS}{running.pk}/cancel/" id="run-cancel"'
        in operator.get(f"{RUNS}{running.pk}/change/").content.decode()
    )
    assert (
        f'href="{RUNS}{failed.pk}/retry/" id="run-retry"' in operator.get(f"{RUNS}{failed.pk}/change/").content.decode()
    )


def test_canceling_a_finished_run_says_why_not(operator, make_server):
    run = make_run(make_server(), status=RunStatus.SUCCEEDED)

    response = operator.post(f"{RUNS}{run.pk}/cancel/", follow=True)

    messages = [str(message) for message in response.context["messages"]]
    assert any("only a queued or running run can be canceled" in message for message in messages), messages
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("status", "retry", "cancel"),
    [
        (RunStatus.FAILED, True, False),
        (RunStatus.CANCELED, True, False),
        (RunStatus.RUNNING, False, True),
        (RunStatus.QUEUED, False, True),
        (RunStatus.SUCCEEDED, False, False),
    ],
)
def test_retry_is_offered_for_failed_runs_and_cancel_for_active_ones(operator, make_server, status, retry, cancel):
    run = make_run(make_server(), status=status)

    html = operator.get(f"{RUNS}{run.pk}/change/").content.decode()

    assert ('id="run-retry"' in html) is retry
    assert ('id="run-cancel"' in html) is cancel


def test_the_run_page_is_read_only(operator, make_server):
    run = make_run(make_server(), status=RunStatus.FAILED, error="boom")

    html = operator.get(f"{RUNS}{run.pk}/change/").content.decode()
    operator.post(f"{RUNS}{run.pk}/change/", {"status": RunStatus.SUCCEEDED, "error": ""})

    assert 'name="status"' not in html
    assert 'name="_save"' not in html
    run.refresh_from_db()
    assert (run.status, run.error) == (RunStatus.FAILED, "boom")


def test_cancel_selected_asks_first_saying_what_each_run_would_do(operator, make_server):
    reinstalling = make_provision_run(make_server(), phase=Phase.REINSTALL, reinstall_asked=True)
    playbook = make_run(make_server(hostname="web2", provider_id="2"), status=RunStatus.RUNNING)

    response = operator.post(
        RUNS, {"action": "cancel_selected", "index": "0", "_selected_action": [reinstalling.pk, playbook.pk]}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Yes, cancel 2 run(s)"' in html
    assert "the server may be wiped" in html
    assert "The playbook is stopped within seconds" in html
    assert html.count('name="_selected_action"') == 2
    assert set(ProvisioningRun.objects.values_list("status", flat=True)) == {RunStatus.RUNNING}


def test_cancel_selected_cancels_the_active_runs_and_reports_the_rest(operator, make_server):
    running = make_run(make_server(), status=RunStatus.RUNNING)
    finished = make_run(make_server(hostname="web2", provider_id="2"), status=RunStatus.SUCCEEDED)

    # What the confirmation page's button sends.
    response = operator.post(
        RUNS,
        {"action": "cancel_selected", "_selected_action": [running.pk, finished.pk], "confirmed": "yes"},
        follow=True,
    )

    running.refresh_from_db()
    assert running.status == RunStatus.CANCELED
    messages = [str(message) for message in response.context["messages"]]
    assert f"Canceled 1 run(s): #{running.pk}." in messages
    assert any(message.startswith(f"Run #{finished.pk}:") for message in messages), messages


def test_a_server_page_lists_its_latest_runs_and_lifecycle_reason(operator, make_server):
    server = make_server(
        lifecycle=Lifecycle.FAILED, lifecycle_reason="ansible <failed> on web1", root_password="never-shown-root"
    )
    runs = [make_run(server, status=RunStatus.FAILED) for _ in range(6)]

    html = operator.get(f"{SERVERS}{server.pk}/change/").content.decode()

    assert "ansible &lt;failed&gt; on web1" in html
    assert "never-shown-root" not in html
    assert all(f'href="{RUNS}{run.pk}/change/"' in html for run in runs[1:])
    assert f'href="{RUNS}{runs[0].pk}/change/"' not in html
    assert f'href="{SERVERS}{server.pk}/provision/"' in html
    assert f'href="{SERVERS}{server.pk}/run-playbook/"' in html
    assert operator.get(RUNS, {"server__id__exact": server.pk}).context["cl"].result_count == 6


def test_the_provision_action_takes_exactly_one_server(operator, make_server):
    one = make_server()
    two = make_server(hostname="web2", provider_id="2")

    single = operator.post(SERVERS, {"action": "provision", "_selected_action": [one.pk]})
    several = operator.post(SERVERS, {"action": "provision", "_selected_action": [one.pk, two.pk]}, follow=True)

    assert single.status_code == 302
    assert single["Location"] == f"{SERVERS}{one.pk}/provision/"
    assert "Select exactly one server for this action." in [str(m) for m in several.context["messages"]]


def test_the_provision_page_shows_the_providers_error_when_it_cannot_be_reached(operator, make_server, settings):
    settings.PROVIDER_RETRY_ATTEMPTS = 1
    settings.PROVIDER_CONNECT_TIMEOUT_SECONDS = 0.5
    account = provider_account(base_url="http://127.0.0.1:9/api")
    server = make_server(account)
    try:
        page = operator.get(f"{SERVERS}{server.pk}/provision/")
    finally:
        circuit_reset(account.circuit_key)

    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="provider-error"' in html
    assert "could not read the server&#x27;s OS templates from the provider" in html
    assert 'id="provisioning-form"' not in html


def test_the_provision_page_offers_the_providers_templates_and_the_playbooks(operator, provider_server):
    html = operator.get(f"{SERVERS}{provider_server.pk}/provision/").content.decode()

    assert '<option value="debian-12-x86_64">Debian 12</option>' in html
    assert '<option value="baseline.yml" selected>baseline.yml</option>' in html
    assert 'name="confirm"' in html


def test_provisioning_without_the_checkbox_shows_the_confirmation_error_and_creates_no_run(operator, provider_server):
    response = operator.post(
        f"{SERVERS}{provider_server.pk}/provision/", {"os": "debian-12-x86_64", "playbook": "baseline.yml"}
    )

    assert response.status_code == 200
    assert "a reinstall wipes the server" in response.context["form"].errors["confirm"][0]
    assert not ProvisioningRun.objects.exists()
    provider_server.refresh_from_db()
    assert provider_server.lifecycle == Lifecycle.READY


def test_provisioning_from_the_admin_queues_a_run_and_opens_it(
    operator, provider_server, django_capture_on_commit_callbacks
):
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = operator.post(
                f"{SERVERS}{provider_server.pk}/provision/",
                {"os": "debian-12-x86_64", "playbook": "baseline.yml", "confirm": "on"},
            )
        run = ProvisioningRun.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"{RUNS}{run.pk}/change/"
        assert len(callbacks) == 1  # the run's first phase, sent to the broker
        run.refresh_from_db()
        assert (run.kind, run.status, run.os_template, run.playbook) == (
            RunKind.PROVISION,
            RunStatus.QUEUED,
            "debian-12-x86_64",
            "baseline.yml",
        )
        assert run.requested_by == operator.user
        provider_server.refresh_from_db()
        assert provider_server.lifecycle == Lifecycle.PENDING_SETUP
    finally:
        purge_queues()


def test_provisioning_a_server_with_an_active_run_says_so_and_stays(operator, provider_server):
    active = make_run(provider_server, status=RunStatus.RUNNING)

    response = operator.post(
        f"{SERVERS}{provider_server.pk}/provision/",
        {"os": "debian-12-x86_64", "playbook": "baseline.yml", "confirm": "on"},
    )

    assert response.status_code == 200
    messages = [str(message) for message in response.context["messages"]]
    assert any("already has an active provisioning run" in message for message in messages), messages
    assert ProvisioningRun.objects.get() == active


def test_running_a_playbook_from_the_admin_queues_a_playbook_run(
    operator, make_server, settings, django_capture_on_commit_callbacks
):
    server = make_server()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = operator.post(f"{SERVERS}{server.pk}/run-playbook/", {"playbook": "baseline.yml"})
        run = ProvisioningRun.objects.get()
        assert response["Location"] == f"{RUNS}{run.pk}/change/"
        assert (run.kind, run.status, run.phase) == (RunKind.PLAYBOOK, RunStatus.QUEUED, Phase.ANSIBLE)
    finally:
        purge_queues()


def test_running_a_playbook_on_a_server_that_is_not_ready_is_refused(operator, make_server):
    server = make_server(lifecycle=Lifecycle.DISCOVERED)

    response = operator.post(f"{SERVERS}{server.pk}/run-playbook/", {"playbook": "baseline.yml"})

    assert response.status_code == 200
    assert any("playbooks run on ready servers" in str(message) for message in response.context["messages"])
    assert not ProvisioningRun.objects.exists()


def test_the_provisioning_pages_need_the_provisioning_permission(client, make_server):
    client.force_login(user_with_role("viewer"))
    server = make_server()
    run = make_run(server, status=RunStatus.RUNNING)

    assert client.get(f"{SERVERS}{server.pk}/provision/").status_code == 403
    assert client.post(f"{SERVERS}{server.pk}/run-playbook/", {"playbook": "baseline.yml"}).status_code == 403
    assert client.post(f"{RUNS}{run.pk}/cancel/").status_code == 403
    assert 'id="run-cancel"' not in client.get(f"{RUNS}{run.pk}/change/").content.decode()
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
