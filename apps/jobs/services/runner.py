"""Running a job: one ansible-playbook over the job's whole inventory, `forks` hosts at a time.

The job task calls `job_execute(job_id=..., token=...)`, which
- does nothing for a stale task (another token: the job was canceled or sent again; or a job that
  is not queued any more: a redelivered message);
- takes the job (running, held by this process under a lease a thread renews, as a provisioning
  phase is held: apps/provisioning/services/lease.py);
- builds the job's directory under VAR_DIR/jobs: the source (the platform's playbook directory,
  or the project's tree at the job's commit, fetched through the GitHub client), the inventory
  from the servers as they are now (a host that can no longer be reached safely is skipped with
  the reason);
- runs the playbook, storing its events as they arrive; the playbook stops within seconds of a
  cancel (the lease renewal finds the job is no longer this attempt's);
- records each host's result from the playbook's recap (an unreachable host with what ansible
  said when it could not reach it), and the job's end, fenced by the token.
A job whose worker dies is failed by the reclaim (services/reclaim.py), never run a second time
by itself: a playbook half run is the operator's to relaunch.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import structlog
from django.conf import settings

from apps.core.db_connections import broken_connections_close
from apps.core.exceptions import PlatformError
from apps.core.failures import FailureKind, failure_classify
from apps.integrations.ansible import PlaybookResult, run_playbook
from apps.jobs.choices import HostStatus, JobStatus
from apps.jobs.models import Job, JobEvent, JobHost
from apps.jobs.services import transitions
from apps.jobs.services.outcomes import job_ended
from apps.jobs.services.processes import job_process_record, job_process_stop
from apps.jobs.services.targets import Plan, hosts_plan
from apps.jobs.services.workdirs import job_dirs_remove, job_work_dir_prefix, jobs_work_root
from apps.projects.services.sources import collections_missing, project_tree_fetch
from apps.provisioning.services.events import EventRecorder
from apps.provisioning.services.lease import LeaseKeeper, holder_gone_here, this_process
from apps.provisioning.services.phase_results import Superseded
from apps.provisioning.services.playbooks import playbook_dir
from apps.servers.models import Server

log = structlog.get_logger(__name__)
MAX_ERROR_LENGTH = 4000


class JobFailed(PlatformError):
    """The job cannot go on; the message says why (shown on the job)."""


def job_execute(*, job_id: int, token: int) -> str:
    """Run one job task; returns what happened (for the task's result and the logs)."""
    job = Job.objects.select_related("project__account").filter(pk=job_id).first()
    if job is None:
        return "missing"
    if job.token != token or job.status != JobStatus.QUEUED:
        log.info("job_task_stale", job_id=job_id, token=token, job_token=job.token, status=job.status)
        return "stale"
    holder = str(this_process())
    gone = job.lease_holder if job.lease_holder and holder_gone_here(job.lease_holder) else ""
    if not transitions.job_claim(job=job, token=token, holder=holder, gone=gone):
        return "stale"
    log.info("job_started", job_id=job_id, token=token)
    try:
        with LeaseKeeper(lambda: transitions.lease_renew(job_id=job_id, token=token, holder=holder)) as lease:
            status = _run(job, token, lease)
    except Superseded:
        log.info("job_superseded", job_id=job_id)
        return "superseded"
    job_ended(job_id)
    return status


def _run(job: Job, token: int, lease: LeaseKeeper) -> str:
    try:
        return _run_playbook(job, token, lease)
    except Superseded:
        raise
    except Exception as error:
        # PlatformError: a source that cannot be fetched, a host list gone: their messages are shown.
        failure = failure_classify(error, expected=(PlatformError,))
        if failure.kind is FailureKind.TIMED_OUT:
            message = "timed out: the job went past its task's time limit"
        elif failure.kind is FailureKind.CONNECTION_LOST:
            broken_connections_close()  # record the end on a fresh connection
            message = "the database connection was lost while the job ran"
        elif failure.kind is FailureKind.EXPECTED:
            message = failure.detail
        else:
            log.exception("job_crashed", job_id=job.pk)
            message = f"internal error ({failure.detail})"
        with transitions.owned(job.pk, token):
            transitions.job_end(job_id=job.pk, status=JobStatus.FAILED, error=message[:MAX_ERROR_LENGTH])
        return JobStatus.FAILED


def _run_playbook(job: Job, token: int, lease: LeaseKeeper) -> str:
    job_process_stop(job_id=job.pk)  # an earlier attempt's, if one still runs here
    job_dirs_remove(job_id=job.pk)
    root = jobs_work_root()
    root.mkdir(parents=True, exist_ok=True)
    recorder = EventRecorder(model=JobEvent, owner={"job_id": job.pk}, guard=lambda: transitions.owned(job.pk, token))
    unreachable: dict[str, str] = {}

    def on_event(event_data: dict) -> None:
        _note_unreachable(event_data, unreachable)
        recorder.add(event_data)

    with recorder.writing():
        try:
            with tempfile.TemporaryDirectory(prefix=job_work_dir_prefix(job.pk), dir=root) as work_dir:
                source = _source(job, Path(work_dir))
                plan = _plan(job, work_dir)
                with transitions.owned(job.pk, token):
                    pass  # the playbook acts on the servers: only while this attempt still holds the job
                result = run_playbook(
                    playbook_dir=source,
                    playbook=job.playbook,
                    inventory=plan.inventory(),
                    extravars={**_vars(job), "platform_job_id": job.pk, "platform_work_dir": work_dir},
                    config_file=Path(settings.ANSIBLE_CONFIG_FILE),
                    work_root=root,
                    private_dir_prefix=job_work_dir_prefix(job.pk) + "ansible-",
                    timeout=job.timeout_seconds,
                    forks=job.forks,
                    cancel_callback=lambda: lease.lost,  # about every second
                    event_handler=on_event,
                    on_process=lambda pgid: job_process_record(job_id=job.pk, pgid=pgid),
                    ssh_key=plan.key.private_key if plan.key else None,
                    known_hosts=plan.known_hosts() or None,
                    envvars={"ANSIBLE_COLLECTIONS_PATH": str(source / "collections")} if job.project_id else None,
                )
        except OSError as error:
            raise JobFailed(f"cannot prepare the job's directory: {error.strerror or error}") from None
    if lease.lost or result.status == "canceled":
        raise Superseded
    return _record(job, token, result, recorder, unreachable)


def _vars(job: Job) -> dict:
    secret = Job.objects.filter(pk=job.pk).values_list("secret_vars", flat=True).first()
    return {**job.extra_vars, **(json.loads(secret) if secret else {})}


def _source(job: Job, work_dir: Path) -> Path:
    if job.project_id is None:
        return playbook_dir()
    destination = work_dir / "src"
    destination.mkdir()
    project_tree_fetch(project=job.project, commit=job.commit, dest=destination)
    missing = collections_missing(destination)
    if missing:
        raise JobFailed(missing)
    if not (destination / job.playbook).is_file():
        raise JobFailed(f"no playbook {job.playbook!r} in {job.project.full_name} at {job.commit[:12]}")
    return destination


def _plan(job: Job, work_dir: str) -> Plan:
    """The inventory from the servers as they are now; hosts that can no longer run are skipped."""
    rows = {row.server_id: row for row in job.hosts.filter(status=HostStatus.PENDING).exclude(server=None)}
    servers = list(Server.objects.filter(pk__in=rows).select_related("ssh_key").order_by("pk"))
    plan = hosts_plan(
        servers,
        project_full_name=job.project.full_name if job.project_id else None,
        playbook=job.playbook,
        work_dir=work_dir,
    )
    for host in plan.hosts:
        host.alias = rows[host.server.pk].alias
        if host.reason:
            JobHost.objects.filter(pk=rows[host.server.pk].pk).update(status=HostStatus.SKIPPED, reason=host.reason)
    if not plan.runnable:
        raise JobFailed(f"no host of the job can run it now: {plan.skipped_summary() or 'none left'}")
    return plan


def host_status(stats: dict[str, int]) -> HostStatus:
    if stats.get("unreachable"):
        return HostStatus.UNREACHABLE
    if stats.get("failed"):
        return HostStatus.FAILED
    if stats.get("changed"):
        return HostStatus.CHANGED
    if stats.get("ok") or stats.get("rescued") or stats.get("ignored"):
        return HostStatus.OK
    return HostStatus.SKIPPED


def _note_unreachable(event_data: dict, reasons: dict[str, str]) -> None:
    """Keep what ansible said about each host it could not reach: that host's `reason` on the job
    (the job's error names only the last failure)."""
    if event_data.get("event") != "runner_on_unreachable":
        return
    data = event_data.get("event_data") or {}
    result = data.get("res") if isinstance(data.get("res"), dict) else {}
    lines = str(result.get("msg") or "").strip().splitlines()
    reason = f"unreachable at task {str(data.get('task') or '')!r}" + (f": {lines[0][:500]}" if lines else "")
    reasons[str(data.get("host") or "")] = reason


def _record(job: Job, token: int, result: PlaybookResult, recorder: EventRecorder, unreachable: dict[str, str]) -> str:
    hosts = list(job.hosts.filter(status=HostStatus.PENDING))
    for host in hosts:
        stats = result.stats.get(host.alias)
        if stats is None:
            if result.stats:  # the recap came and does not name it: no play of the playbook targets it
                host.status, host.reason = HostStatus.SKIPPED, "no play of the playbook targets this host"
            continue
        host.status = host_status(stats)
        if host.status == HostStatus.UNREACHABLE:
            host.reason = unreachable.get(host.alias) or "ansible could not reach the host"
        for name in ("ok", "changed", "failed", "unreachable", "skipped", "rescued", "ignored"):
            setattr(host, name, stats.get(name, 0))
    if result.status == "successful":
        status, error = JobStatus.SUCCEEDED, ""
    elif result.status == "timeout":
        status, error = JobStatus.FAILED, f"the playbook ran past the job's time-out of {job.timeout_seconds}s"
    else:
        status, error = JobStatus.FAILED, _failure(hosts, result, recorder)
    with transitions.owned(job.pk, token):
        JobHost.objects.bulk_update(
            hosts, ["status", "reason", "ok", "changed", "failed", "unreachable", "skipped", "rescued", "ignored"]
        )
        transitions.job_end(job_id=job.pk, status=status, error=error[:MAX_ERROR_LENGTH])
    return status


def _failure(hosts: list[JobHost], result: PlaybookResult, recorder: EventRecorder) -> str:
    failed = [host.alias for host in hosts if host.status == HostStatus.FAILED]
    unreachable = [host.alias for host in hosts if host.status == HostStatus.UNREACHABLE]
    parts = []
    if failed:
        parts.append(f"failed on {len(failed)} host(s): {', '.join(failed[:10])}")
    if unreachable:
        parts.append(f"unreachable: {', '.join(unreachable[:10])}")
    if recorder.last_failure:
        parts.append(f"last failure: {recorder.last_failure}")
    return "; ".join(parts) or f"ansible-playbook exited with status {result.rc}"
