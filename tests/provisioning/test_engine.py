"""The engine's rules, with fake steps: what each answer of a step records and sends, and that an
attempt which no longer owns its run records nothing (no worker: phase_execute in this process)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError
from django.utils import timezone

from apps.monitoring.models import Incident
from apps.provisioning import task_names
from apps.provisioning.choices import Phase, PhaseStatus, RunStatus
from apps.provisioning.limits import stall_bound
from apps.provisioning.models import ProvisioningRun
from apps.provisioning.services import run_cancel
from apps.provisioning.services.lease import this_process
from apps.provisioning.services.phase_results import Done, PhaseError, Wait
from apps.provisioning.services.trigger import provisioning_leases_reclaim, run_resume
from apps.servers.choices import Lifecycle
from tests.conftest import purge_queues
from tests.provisioning.engine_helpers import execute, provision_run, sent_tasks

# transaction=True: the tasks a transition sends go out when it commits, as in a worker.
pytestmark = pytest.mark.django_db(transaction=True)


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


def test_done_succeeds_the_phase_releases_the_run_and_sends_the_next_phase_with_the_same_token(run):
    assert execute(run, lambda ctx: Done()) == "done"

    run.refresh_from_db()
    assert (run.status, run.phase, run.lease_holder, run.lease_expires_at) == (
        RunStatus.RUNNING,
        Phase.REINSTALL,
        "",
        None,
    )
    access = run.phases.get(phase=Phase.ACCESS)
    assert (access.status, access.attempts) == (PhaseStatus.SUCCEEDED, 1)
    assert [(t.name, t.kwargs) for t in sent_tasks()] == [(task_names.REINSTALL, {"run_id": run.pk, "token": 1})]
    assert run.stalled_after > timezone.now() + stall_bound(Phase.REINSTALL) - timedelta(seconds=5)
    run.server.refresh_from_db()
    assert run.server.lifecycle == Lifecycle.PROVISIONING


def test_wait_sends_the_same_phase_after_the_wait_and_counts_no_new_attempt(run):
    assert execute(run, lambda ctx: Wait(30, "the provider is busy")) == "waiting"
    assert execute(run, lambda ctx: Wait(30, "still busy")) == "waiting"

    access = run.phases.get(phase=Phase.ACCESS)
    assert (access.status, access.attempts) == (PhaseStatus.WAITING, 1)
    sent = sent_tasks()
    assert [t.name for t in sent] == [task_names.ACCESS, task_names.ACCESS]
    assert sent[-1].eta > timezone.now() + timedelta(seconds=25)
    run.refresh_from_db()
    assert run.lease_holder == ""
    assert run.stalled_after > timezone.now() + timedelta(seconds=30) + stall_bound(Phase.ACCESS) - timedelta(seconds=5)


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (PhaseError("the provider answered 503", retryable=True), "the provider answered 503"),
        (SoftTimeLimitExceeded(), "timed out: the phase went past its time limit"),
        (OperationalError("server closed the connection unexpectedly"), "the database connection was lost"),
        (RuntimeError("a bug"), "internal error (RuntimeError)"),
    ],
)
def test_a_failure_trying_again_can_fix_is_retried_with_backoff_until_the_attempts_run_out(
    run, settings, failure, error
):
    def step(ctx):
        raise failure

    assert execute(run, step) == "retrying"
    access = run.phases.get(phase=Phase.ACCESS)
    assert (access.status, access.error) == (PhaseStatus.RETRYING, error)
    (retry,) = sent_tasks()
    assert retry.name == task_names.ACCESS
    assert retry.eta > timezone.now() + timedelta(seconds=8)  # PROVISIONING_RETRY_BACKOFF_SECONDS

    settings.PROVISIONING_PHASE_MAX_ATTEMPTS = 2
    assert execute(run, step) == "failed"
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error == f"Reset access: {error}"
    assert sent_tasks() == []
    run.server.refresh_from_db()
    assert run.server.lifecycle == Lifecycle.FAILED
    assert Incident.objects.filter(server=run.server, kind="provisioning_failed", resolved_at__isnull=True).exists()


def test_a_failure_trying_again_cannot_fix_fails_the_run_at_once(run):
    def step(ctx):
        raise PhaseError("the server does not offer that OS", retryable=False)

    assert execute(run, step) == "failed"
    run.refresh_from_db()
    assert (run.status, run.error, run.lease_holder) == (
        RunStatus.FAILED,
        "Reset access: the server does not offer that OS",
        "",
    )
    assert run.phases.get(phase=Phase.ACCESS).status == PhaseStatus.FAILED


def test_a_task_with_an_older_token_or_for_another_phase_does_nothing(run):
    calls = []
    assert execute(run, lambda ctx: calls.append(1) or Done(), token=run.token - 1) == "stale"
    assert execute(run, lambda ctx: calls.append(1) or Done(), phase=Phase.REINSTALL) == "stale"
    assert calls == []
    run.refresh_from_db()
    assert (run.status, run.phase) == (RunStatus.QUEUED, Phase.ACCESS)


def test_a_second_delivery_while_a_live_process_holds_the_run_does_nothing(run):
    ProvisioningRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING,
        lease_holder="other-host:4242:77",
        lease_expires_at=timezone.now() + timedelta(seconds=30),
    )
    calls = []

    assert execute(run, lambda ctx: calls.append(1) or Done()) == "stale"
    assert calls == []


def test_the_lease_of_a_process_of_this_machine_that_ended_is_taken_at_once(run):
    me = this_process()
    ended = f"{me.host}:{me.pid}:{(me.start or 0) + 1}"  # this pid, but not this process: it ended
    ProvisioningRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, lease_holder=ended, lease_expires_at=timezone.now() + timedelta(seconds=30)
    )

    assert execute(run, lambda ctx: Done()) == "done"


def test_an_attempt_superseded_while_its_step_ran_records_nothing_and_sends_nothing(run):
    def step(ctx):
        ProvisioningRun.objects.filter(pk=ctx.run.pk).update(stalled_after=timezone.now() - timedelta(seconds=1))
        assert run_resume(run=ProvisioningRun.objects.get(pk=ctx.run.pk))  # taken over meanwhile
        ctx.record_fact(detail={"written": "by the old attempt"})
        return Done()

    assert execute(run, step) == "superseded"

    run.refresh_from_db()
    assert (run.token, run.phase) == (2, Phase.ACCESS)
    access = run.phases.get(phase=Phase.ACCESS)
    assert access.detail == {}
    assert access.status == PhaseStatus.RUNNING  # as the old attempt found it: the new one takes it from here
    assert [(t.name, t.kwargs["token"]) for t in sent_tasks()] == [(task_names.ACCESS, 2)]  # the resume's only


def test_an_effect_is_refused_to_an_attempt_whose_run_was_canceled_and_its_intent_is_not_recorded(run):
    effects = []

    def step(ctx):
        run_cancel(run=ProvisioningRun.objects.get(pk=ctx.run.pk))
        ctx.effect_begin(intent_at=timezone.now())
        effects.append("POST /server/1/resetpassword")
        return Done()

    assert execute(run, step) == "superseded"

    assert effects == []
    assert run.phases.get(phase=Phase.ACCESS).intent_at is None
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELED


def test_an_effect_is_refused_to_an_attempt_whose_lease_ran_out_even_before_anyone_took_over(run):
    effects = []

    def step(ctx):
        ProvisioningRun.objects.filter(pk=ctx.run.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
        ctx.effect_begin(intent_at=timezone.now())
        effects.append("POST")
        return Done()

    assert execute(run, step) == "superseded"
    assert effects == []


def test_the_reclaim_resumes_runs_whose_lease_ran_out_and_leaves_live_ones(run):
    live = provision_run(provider_id="2")
    sent_tasks()
    now = timezone.now()
    ProvisioningRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, lease_holder="gone-host:1:1", lease_expires_at=now - timedelta(seconds=1)
    )
    ProvisioningRun.objects.filter(pk=live.pk).update(
        status=RunStatus.RUNNING, lease_holder="other-host:1:1", lease_expires_at=now + timedelta(seconds=30)
    )

    assert provisioning_leases_reclaim() == 1
    assert provisioning_leases_reclaim() == 0

    run.refresh_from_db()
    live.refresh_from_db()
    assert (run.token, run.lease_holder) == (2, "")
    assert live.token == 1
    assert [(t.name, t.kwargs) for t in sent_tasks()] == [(task_names.ACCESS, {"run_id": run.pk, "token": 2})]


def test_a_step_longer_than_the_lease_keeps_it_and_a_cancel_meanwhile_is_seen(settings):
    settings.PROVISIONING_LEASE_SECONDS = 6  # renewed every second
    run = provision_run()
    seen = {}

    def step(ctx):
        first = ProvisioningRun.objects.get(pk=ctx.run.pk).lease_expires_at
        time.sleep(2.5)
        seen["renewed"] = ProvisioningRun.objects.get(pk=ctx.run.pk).lease_expires_at > first
        run_cancel(run=ProvisioningRun.objects.get(pk=ctx.run.pk))
        deadline = time.monotonic() + 5
        while not ctx.lost and time.monotonic() < deadline:
            time.sleep(0.1)
        seen["lost"] = ctx.lost
        return Done()

    assert execute(run, step) == "superseded"
    assert seen == {"renewed": True, "lost": True}
