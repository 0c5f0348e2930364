"""Reads of the provisioning domain."""

from django.db.models import QuerySet

from apps.core.fields import without_secrets
from apps.provisioning.choices import ACTIVE_RUN_STATUSES, PHASES_BY_KIND, Phase, RunKind, RunStatus
from apps.provisioning.models import ProvisioningEvent, ProvisioningPhase, ProvisioningRun
from apps.servers.choices import Lifecycle
from apps.servers.models import Server


def provisioning_run_list() -> QuerySet[ProvisioningRun]:
    return without_secrets(
        ProvisioningRun.objects.select_related("server", "requested_by", "canceled_by").prefetch_related("phases")
    )


def provisioning_run_active(*, server: Server) -> ProvisioningRun | None:
    return ProvisioningRun.objects.filter(server=server, status__in=ACTIVE_RUN_STATUSES).first()


def provisioning_events_after(*, run: ProvisioningRun, after: int, limit: int) -> QuerySet[ProvisioningEvent]:
    return ProvisioningEvent.objects.filter(run=run, seq__gt=after).order_by("seq")[:limit]


def run_reinstall_requested(*, run: ProvisioningRun) -> bool:
    """Whether the run may have wiped the server: its reinstall was asked for (or about to be)."""
    return ProvisioningPhase.objects.filter(run=run, phase=Phase.REINSTALL, intent_at__isnull=False).exists()


def _in_flight_provider_task(run: ProvisioningRun) -> tuple[str, int] | None:
    """(phase label, task id) of a provider task the run asked for and has not seen complete."""
    phase = (
        ProvisioningPhase.objects.filter(
            run=run, provider_task_id__isnull=False, provider_task_completed_at__isnull=True
        )
        .only("phase", "provider_task_id")
        .first()
    )
    return (phase.get_phase_display().lower(), phase.provider_task_id) if phase else None


def run_cancel_consequences(*, run: ProvisioningRun) -> list[str]:
    """What canceling the run now would do, in the words the confirmation page shows."""
    if run.status not in ACTIVE_RUN_STATUSES:
        return [f"The run is {run.get_status_display().lower()}: only a queued or running run can be canceled."]
    lines = []
    if run.kind == RunKind.PROVISION:
        if run_reinstall_requested(run=run):
            lines.append(
                "The reinstall was already requested: the server may be wiped, and it will be marked failed "
                "(not configured) until it is provisioned again."
            )
        else:
            back_to = Lifecycle(run.lifecycle_before or Lifecycle.DISCOVERED).label.lower()
            lines.append(
                f"The reinstall has not been requested: nothing is wiped, and the server goes back to {back_to}."
            )
    in_flight = _in_flight_provider_task(run)
    if in_flight:
        lines.append(f"The provider's {in_flight[0]} task #{in_flight[1]} has already started: it is left to finish.")
    if run.phase == Phase.ANSIBLE and run.status == RunStatus.RUNNING:
        lines.append("The playbook is stopped within seconds; what it has changed on the server so far stays.")
    if run.kind == RunKind.PLAYBOOK:
        lines.append("The server keeps its lifecycle.")
    return lines


def run_retry_consequences(*, run: ProvisioningRun) -> list[str]:
    """What retrying the run now would do, in the words the confirmation page shows."""
    if run.status not in (RunStatus.FAILED, RunStatus.CANCELED):
        return [f"The run is {run.get_status_display().lower()}: only a failed or canceled run can be retried."]
    lines = [
        f"The run starts again at its {run.get_phase_display().lower()} phase, with a fresh set of attempts; "
        "the phases it finished are not run again."
    ]
    if run.kind == RunKind.PROVISION:
        phases = PHASES_BY_KIND[RunKind.PROVISION]
        before_reinstall = phases.index(Phase(run.phase)) <= phases.index(Phase.REINSTALL)
        if before_reinstall and not run_reinstall_requested(run=run):
            lines.append(f"The server is reinstalled with {run.os_template}: everything on it is wiped.")
        elif run.phase == Phase.REINSTALL:
            lines.append("The reinstall asked for earlier is followed, not asked for again.")
        lines.append("The server is marked pending setup until the run ends.")
    else:
        lines.append(f"{run.playbook} runs again from its first task on the server as it is.")
    return lines


def provisioning_events_tail(*, run: ProvisioningRun, limit: int) -> list[ProvisioningEvent]:
    """The run's last `limit` Ansible events, in order (the end of its output)."""
    return list(reversed(ProvisioningEvent.objects.filter(run=run).order_by("-seq")[:limit]))
