"""Provisioning tasks (queue `provisioning`): one task per phase, plus the trigger and cleanup.

Each phase task is thin: `phase_execute` reads the run's recorded state first, so a redelivered
message (acks_late, reject on worker lost) or a resumed run continues where it stood.
"""

from apps.core.db_connections import RETRY_ON_LOST_CONNECTION
from apps.provisioning import services, task_names
from apps.provisioning.choices import Phase
from apps.provisioning.limits import phase_time_limits
from apps.provisioning.phases import access, ansible, finalize, reinstall, wait_for_ssh
from tasks.celery_app import app


def _limits(phase: Phase) -> dict[str, int]:
    """The phase's time limits (apps/provisioning/limits.py: the stall bound is derived from them)."""
    soft, hard = phase_time_limits(phase)
    return {"soft_time_limit": soft, "time_limit": hard}


# A database connection lost outside a phase's step (while the run's state is recorded) ends the
# task: it runs again on a fresh connection, and the recorded state says where it stood.
@app.task(name=task_names.ACCESS, **_limits(Phase.ACCESS), **RETRY_ON_LOST_CONNECTION)
def access_phase(*, run_id: int, token: int) -> str:
    return services.phase_execute(run_id=run_id, phase=Phase.ACCESS, token=token, step=access.step)


@app.task(name=task_names.REINSTALL, **_limits(Phase.REINSTALL), **RETRY_ON_LOST_CONNECTION)
def reinstall_phase(*, run_id: int, token: int) -> str:
    return services.phase_execute(run_id=run_id, phase=Phase.REINSTALL, token=token, step=reinstall.step)


@app.task(name=task_names.WAIT_FOR_SSH, **_limits(Phase.WAIT_FOR_SSH), **RETRY_ON_LOST_CONNECTION)
def wait_for_ssh_phase(*, run_id: int, token: int) -> str:
    return services.phase_execute(run_id=run_id, phase=Phase.WAIT_FOR_SSH, token=token, step=wait_for_ssh.step)


# The Ansible phase's job time-out ends the playbook first; the task's own limits come after it.
@app.task(name=task_names.ANSIBLE, **_limits(Phase.ANSIBLE), **RETRY_ON_LOST_CONNECTION)
def ansible_phase(*, run_id: int, token: int) -> str:
    return services.phase_execute(run_id=run_id, phase=Phase.ANSIBLE, token=token, step=ansible.step)


@app.task(name=task_names.FINALIZE, **_limits(Phase.FINALIZE), **RETRY_ON_LOST_CONNECTION)
def finalize_phase(*, run_id: int, token: int) -> str:
    return services.phase_execute(run_id=run_id, phase=Phase.FINALIZE, token=token, step=finalize.step)


@app.task(name=task_names.TRIGGER, soft_time_limit=240, time_limit=300, ignore_result=True)
def provisioner_trigger() -> dict[str, int]:
    """At worker start and every 5 minutes: start asked-for runs, resume stalled ones."""
    return services.provisioner_trigger()


@app.task(name=task_names.RECLAIM, soft_time_limit=20, time_limit=30, ignore_result=True)
def reclaim_leases() -> int:
    """Every 10 seconds: resume the runs whose worker is known gone (lease ran out, process ended)."""
    return services.provisioning_leases_reclaim()


@app.task(name=task_names.CLEANUP, soft_time_limit=540, time_limit=600, ignore_result=True)
def cleanup_runs() -> int:
    return services.provisioning_runs_cleanup()
