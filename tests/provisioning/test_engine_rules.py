"""More of the engine's rules, with fake steps and no worker: how a run ends, what an attempt that
lost its run while recording an outcome leaves behind (nothing), and what a broker that refuses a
phase's task does to the run. test_engine.py has the answers of a step one by one."""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerConnectionError

from apps.core import queueing
from apps.core.exceptions import ServiceUnavailableError
from apps.monitoring.models import Incident
from apps.provisioning import task_names
from apps.provisioning.choices import PHASES_BY_KIND, Phase, PhaseStatus, RunKind, RunStatus
from apps.provisioning.models import ProvisioningRun
from apps.provisioning.services import run_cancel, run_retry
from apps.provisioning.services.engine import MAX_ERROR_LENGTH
from apps.provisioning.services.phase_results import Done, PhaseError, Wait
from apps.provisioning.services.requests import run_create
from apps.provisioning.services.trigger import provisioning_leases_reclaim, run_resume
from apps.servers.choices import Lifecycle
from apps.servers.models import Server
from tests.conftest import purge_queues
from tests.provisioning.engine_helpers import execute, provision_run, sent_tasks
from tests.servers.factories import provider_account

# transaction=True: the tasks a transition sends go out when it commits, as in a worker.
pytestmark = pytest.mark.django_db(transaction=True)

NOT_QUEUED = "could not queue the run: broker unavailable (OperationalError)"


@pytest.fixture(autouse=True)
def clean_broker(settings):
    settings.ANSIBLE_PLAYBOOK_DIR = settings.BASE_DIR / "platform" / "ansible"
    settings.PROVISIONING_RETRY_BACKOFF_SECONDS = 10
    purge_queues()
    yield
    purge_queues()


@pytest.fixture
def run():
    run = provision_run()
    assert [task.name for task in sent_tasks()] == [task_names.ACCESS]
    return run


@contextmanager
def broker_down():
    """The broker refuses every message (a Redis that is down), at the one place runs are sent
    (apps/core/queueing.py, which phase tasks go through)."""
    refused = BrokerConnectionError("[Errno 111] Connection refused")
    with mock.patch.object(queueing, "current_app") as app:
        app.send_task.side_effect = refused
        yield


def open_provisioning_incidents(server: Server) -> int:
    return Incident.objects.filter(server=server, kind="provisioning_failed", resolved_at__isnull=True).count()


def fails(message: str, *, retryable: bool):
    def step(ctx):
        raise PhaseError(message, retryable=retryable)

    return step


# --- How a run ends ---------------------------------------------------------------------------


def test_a_run_whose_every_step_is_done_passes_each_phase_in_order_and_ends_with_a_ready_server(run):
    phases = PHASES_BY_KIND[RunKind.PROVISION]
    for phase, following in itertools.pairwise(phases):
        assert execute(run, lambda ctx: Done(), phase=phase) == "done"
        assert [(t.name, t.kwargs["token"]) for t in sent_tasks()] == [(task_names.PHASE_TASKS[following], 1)]

    assert execute(run, lambda ctx: Done(), phase=Phase.FINALIZE) == "succeeded"

    run.refresh_from_db()
    assert (run.status, run.phase, run.error, run.lease_holder, run.stalled_after) == (
        RunStatus.SUCCEEDED,
        Phase.FINALIZE,
        "",
        "",
        None,
    )
    assert run.finished_at is not None
    assert set(run.phases.values_list("status", flat=True)) == {PhaseStatus.SUCCEEDED}
    assert sent_tasks() == []
    run.server.refresh_from_db()
    assert (run.server.lifecycle, run.server.lifecycle_reason) == (Lifecycle.READY, "")


def test_a_retried_run_that_succeeds_resolves_the_incident_its_failure_opened(run):
    assert execute(run, fails("the provider refused", retryable=False)) == "failed"
    assert open_provisioning_incidents(run.server) == 1

    run = run_retry(run=ProvisioningRun.objects.get(pk=run.pk))
    assert [(t.name, t.kwargs["token"]) for t in sent_tasks()] == [(task_names.ACCESS, 2)]
    for phase in PHASES_BY_KIND[RunKind.PROVISION]:
        execute(run, lambda ctx: Done(), phase=phase)

    run.refresh_from_db()
    assert (run.status, run.error) == (RunStatus.SUCCEEDED, "")
    assert open_provisioning_incidents(run.server) == 0
    run.server.refresh_from_db()
    assert run.server.lifecycle == Lifecycle.READY


def playbook_run() -> ProvisioningRun:
    server = Server.objects.create(
        provider_account=provider_account(),
        provider_id="7",
        hostname="db1",
        ssh_host="192.0.2.7",
        lifecycle=Lifecycle.READY,
    )
    run = run_create(server=server, kind=RunKind.PLAYBOOK, os_template="", playbook="ok.yml", user=None)
    assert [t.name for t in sent_tasks()] == [task_names.ANSIBLE]
    return run


def test_a_playbook_run_that_succeeds_leaves_the_server_ready():
    run = playbook_run()

    assert execute(run, lambda ctx: Done(), phase=Phase.ANSIBLE) == "succeeded"

    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    run.server.refresh_from_db()
    assert run.server.lifecycle == Lifecycle.READY


def test_a_playbook_run_that_fails_keeps_the_server_ready_and_says_why():
    run = playbook_run()

    assert execute(run, fails("task 'install' failed on db1", retryable=False), phase=Phase.ANSIBLE) == "failed"

    run.refresh_from_db()
    assert (run.status, run.error) == (RunStatus.FAILED, "Ansible: task 'install' failed on db1")
    run.server.refresh_from_db()
    assert run.server.lifecycle == Lifecycle.READY
    assert run.server.lifecycle_reason == f"provisioning run #{run.pk} failed: Ansible: task 'install' failed on db1"
    assert open_provisioning_incidents(run.server) == 1


# --- Retries and errors -------------------------------------------------------------------------


def test_each_retry_waits_twice_as_long_as_the_one_before_and_the_last_attempt_fails_the_run(run, settings):
    settings.PROVISIONING_PHASE_MAX_ATTEMPTS = 3
    step = fails("the provider answered 503", retryable=True)

    assert execute(run, step) == "retrying"
    (first,) = sent_tasks()
    assert execute(run, step) == "retrying"
    (second,) = sent_tasks()
    assert execute(run, step) == "failed"

    now = timezone.now()
    assert now + timedelta(seconds=5) < first.eta <= now + timedelta(seconds=10)  # 10 s backoff
    assert now + timedelta(seconds=15) < second.eta <= now + timedelta(seconds=20)  # then 20 s
    access = run.phases.get(phase=Phase.ACCESS)
    assert (access.attempts, access.status, access.error) == (3, PhaseStatus.FAILED, "the provider answered 503")
    assert sent_tasks() == []


def test_a_wait_between_retries_is_not_an_attempt_of_its_own(run):
    assert execute(run, fails("the provider answered 503", retryable=True)) == "retrying"
    assert execute(run, lambda ctx: Wait(5, "the provider is busy")) == "waiting"
    assert execute(run, lambda ctx: Wait(5, "still busy")) == "waiting"

    access = run.phases.get(phase=Phase.ACCESS)
    assert (access.attempts, access.status) == (2, PhaseStatus.WAITING)


def test_a_step_still_running_when_the_soft_time_limit_fires_is_retried(run):
    """The soft limit arrives as SIGUSR1 in the middle of the step, as billiard sends it to a pool process."""

    def soft_limit(signum, frame):
        raise SoftTimeLimitExceeded()

    def step(ctx):
        time.sleep(10)
        return Done()

    previous = signal.signal(signal.SIGUSR1, soft_limit)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGUSR1))
    timer.start()
    try:
        assert execute(run, step) == "retrying"
    finally:
        timer.cancel()
        signal.signal(signal.SIGUSR1, previous)

    access = run.phases.get(phase=Phase.ACCESS)
    assert (access.status, access.error) == (PhaseStatus.RETRYING, "timed out: the phase went past its time limit")
    assert [t.name for t in sent_tasks()] == [task_names.ACCESS]
    run.refresh_from_db()
    assert run.lease_holder == ""


@pytest.mark.parametrize(
    "lost", [InterfaceError("connection already closed"), OperationalError("could not receive data from server")]
)
def test_a_connection_error_behind_another_error_counts_as_a_lost_connection(run, lost):
    def step(ctx):
        raise RuntimeError("the step's own wrapper") from lost

    assert execute(run, step) == "retrying"
    assert run.phases.get(phase=Phase.ACCESS).error == "the database connection was lost"


def test_an_error_message_longer_than_the_limit_is_cut(run):
    assert execute(run, fails("x" * (MAX_ERROR_LENGTH + 500), retryable=False)) == "failed"

    run.refresh_from_db()
    assert run.error == "Reset access: " + "x" * MAX_ERROR_LENGTH
    assert run.phases.get(phase=Phase.ACCESS).error == "x" * MAX_ERROR_LENGTH


def test_a_task_of_a_run_that_is_gone_or_canceled_runs_no_step(run):
    calls = []
    assert execute(ProvisioningRun(pk=run.pk + 1000, token=1), lambda ctx: calls.append(1) or Done()) == "missing"
    run_cancel(run=run)
    run.refresh_from_db()
    assert execute(run, lambda ctx: calls.append(1) or Done()) == "stale"
    assert calls == []


# --- An attempt that lost its run while it was recording what happened ---------------------------


def take_over(ctx) -> None:
    """Another attempt takes the run over (the trigger resumed it: token 2)."""
    ProvisioningRun.objects.filter(pk=ctx.run.pk).update(stalled_after=timezone.now() - timedelta(seconds=1))
    assert run_resume(run=ProvisioningRun.objects.get(pk=ctx.run.pk))


@pytest.mark.parametrize(
    "outcome",
    [
        pytest.param(lambda: Wait(30, "polling"), id="wait"),
        pytest.param(lambda: Done(), id="done"),
        pytest.param(PhaseError("the provider answered 503", retryable=True), id="retryable-error"),
        pytest.param(PhaseError("the provider refused", retryable=False), id="final-error"),
        pytest.param(SoftTimeLimitExceeded(), id="time-out"),
        pytest.param(OperationalError("server closed the connection unexpectedly"), id="lost-connection"),
        pytest.param(RuntimeError("a bug"), id="crash"),
    ],
)
def test_an_attempt_taken_over_before_it_records_its_outcome_records_nothing(run, outcome):
    def step(ctx):
        take_over(ctx)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome()

    assert execute(run, step) == "superseded"

    run.refresh_from_db()
    assert (run.token, run.status, run.phase, run.error) == (2, RunStatus.RUNNING, Phase.ACCESS, "")
    access = run.phases.get(phase=Phase.ACCESS)
    assert (access.status, access.error) == (PhaseStatus.RUNNING, "")
    assert [(t.name, t.kwargs["token"]) for t in sent_tasks()] == [(task_names.ACCESS, 2)]  # the resume's only
    assert open_provisioning_incidents(run.server) == 0


def test_a_last_phase_done_after_a_cancel_does_not_make_the_server_ready(run):
    ProvisioningRun.objects.filter(pk=run.pk).update(phase=Phase.FINALIZE)

    def step(ctx):
        run_cancel(run=ProvisioningRun.objects.get(pk=ctx.run.pk))
        return Done()

    assert execute(run, step, phase=Phase.FINALIZE) == "superseded"

    run.refresh_from_db()
    assert run.status == RunStatus.CANCELED
    assert run.error.startswith("canceled by")
    run.server.refresh_from_db()
    assert run.server.lifecycle == Lifecycle.DISCOVERED  # where it was before the run, not ready


# --- A broker that refuses a phase's task --------------------------------------------------------


def test_a_request_the_broker_refuses_fails_the_run_at_once_and_gives_the_server_back():
    with broker_down(), pytest.raises(ServiceUnavailableError, match="broker is unavailable"):
        provision_run()

    run = ProvisioningRun.objects.get()
    assert (run.status, run.error) == (
        RunStatus.FAILED,
        "could not queue the run: broker unavailable (OperationalError)",
    )
    run.server.refresh_from_db()
    assert run.server.lifecycle == Lifecycle.DISCOVERED
    assert sent_tasks() == []

    retried = run_retry(run=run)  # the broker is back: the same run goes again
    assert retried.status == RunStatus.QUEUED
    assert [(t.name, t.kwargs["token"]) for t in sent_tasks()] == [(task_names.ACCESS, 2)]


def test_a_next_phase_the_broker_refuses_keeps_what_the_phase_did_and_is_resumed_once_it_stalls(run):
    with broker_down():
        assert execute(run, lambda ctx: Done()) == "not_sent"

    run.refresh_from_db()
    assert (run.status, run.phase, run.lease_holder) == (RunStatus.RUNNING, Phase.REINSTALL, "")
    assert run.phases.get(phase=Phase.ACCESS).status == PhaseStatus.SUCCEEDED
    assert sent_tasks() == []

    ProvisioningRun.objects.filter(pk=run.pk).update(stalled_after=timezone.now() - timedelta(seconds=1))
    assert run_resume(run=ProvisioningRun.objects.get(pk=run.pk))
    assert [(t.name, t.kwargs["token"]) for t in sent_tasks()] == [(task_names.REINSTALL, 2)]


def test_a_retry_the_broker_refuses_is_recorded_and_left_to_the_stall_detection(run):
    with broker_down():
        assert execute(run, fails("the provider answered 503", retryable=True)) == "not_sent"

    run.refresh_from_db()
    assert (run.status, run.lease_holder) == (RunStatus.RUNNING, "")
    access = run.phases.get(phase=Phase.ACCESS)
    assert (access.status, access.error) == (PhaseStatus.RETRYING, "the provider answered 503")
    assert run.stalled_after is not None
    assert sent_tasks() == []


def test_a_reclaim_the_broker_refuses_is_tried_again_once_the_run_stalls(run):
    ProvisioningRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, lease_holder="gone-host:1:1", lease_expires_at=timezone.now() - timedelta(seconds=1)
    )

    with broker_down():
        assert provisioning_leases_reclaim() == 0

    run.refresh_from_db()
    assert (run.status, run.token, run.lease_holder) == (RunStatus.RUNNING, 2, "")
    assert run.stalled_after > timezone.now()
    assert sent_tasks() == []
    ProvisioningRun.objects.filter(pk=run.pk).update(stalled_after=timezone.now() - timedelta(seconds=1))
    assert run_resume(run=ProvisioningRun.objects.get(pk=run.pk))
    assert [(t.name, t.kwargs["token"]) for t in sent_tasks()] == [(task_names.ACCESS, 3)]


def test_a_resume_of_a_queued_run_the_broker_refuses_fails_the_run(run):
    ProvisioningRun.objects.filter(pk=run.pk).update(stalled_after=timezone.now() - timedelta(seconds=1))

    with broker_down():
        assert not run_resume(run=ProvisioningRun.objects.get(pk=run.pk))

    run.refresh_from_db()
    assert (run.status, run.error) == (
        RunStatus.FAILED,
        "could not queue the run: broker unavailable (OperationalError)",
    )
    run.server.refresh_from_db()
    assert run.server.lifecycle == Lifecycle.DISCOVERED
