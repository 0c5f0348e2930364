"""Launching, relaunching and canceling jobs: what an operator (or a schedule) asks for.

A launch checks everything before anything is queued — the vars against the survey, the source
(the ref resolves, the playbook exists at that commit), the target (it names servers, and at
least one can run the job) — and answers a field error otherwise; then the job and its hosts are
created and its one task queued after the commit.
"""

from __future__ import annotations

import json
from typing import Any

import structlog
from django.db import transaction
from django.utils import timezone

from apps.audit.choices import AuditAction
from apps.audit.services import audit_record, audit_refusals
from apps.core.exceptions import ConflictError, ValidationError
from apps.jobs.choices import ACTIVE_JOB_STATUSES, HOSTS_TO_RELAUNCH, HostStatus, LaunchedBy, RelaunchHosts
from apps.jobs.models import Job, JobHost, JobSchedule, JobTemplate
from apps.jobs.services import transitions
from apps.jobs.services.processes import job_process_stop
from apps.jobs.services.sources import source_resolve
from apps.jobs.services.targets import Plan, hosts_plan, target_servers
from apps.jobs.services.variables import JobVars, job_vars
from apps.servers.models import Server

log = structlog.get_logger(__name__)


def _user(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _conflict_if_running(template: JobTemplate) -> None:
    if template.allow_concurrent:
        return
    active = Job.objects.filter(template=template, status__in=ACTIVE_JOB_STATUSES).values_list("pk", flat=True).first()
    if active is not None:
        raise ConflictError(
            f"job #{active} of {template.name} is still running, and the template does not allow concurrent jobs",
            extra={"active_job_id": active},
        )


def _limited(servers: list[Server], limit: Any) -> list[Server]:
    if limit in (None, []):
        return servers
    if not isinstance(limit, list) or not all(isinstance(i, int) for i in limit):
        raise ValidationError({"limit": ["a list of server ids of the template's target"]})
    outside = sorted(set(limit) - {server.pk for server in servers})
    if outside:
        raise ValidationError({"limit": [f"not in the template's target: {', '.join(map(str, outside))}"]})
    wanted = set(limit)
    return [server for server in servers if server.pk in wanted]


def _given(servers: list[Server]) -> list[Server]:
    """`servers` as target_servers returns a target's: fresh rows with their keys, in id order."""
    ids = [server.pk for server in servers]
    return list(Server.objects.filter(pk__in=ids).select_related("ssh_key").order_by("pk"))


def _plan(servers: list[Server], *, project, playbook: str) -> Plan:
    if not servers:
        raise ValidationError({"target": ["the target names no server (the selector matches none)"]})
    plan = hosts_plan(servers, project_full_name=project.full_name if project else None, playbook=playbook)
    if not plan.runnable:
        raise ValidationError({"target": [f"no server of the target can run this job: {plan.skipped_summary()}"]})
    return plan


def _create(
    *,
    template: JobTemplate,
    plan: Plan,
    variables: JobVars,
    commit: str,
    ref: str,
    launched_by: LaunchedBy,
    user,
    schedule: JobSchedule | None = None,
    relaunch_of: Job | None = None,
    dispatch_key: str | None = None,
) -> Job:
    # A relaunch runs what the job it repeats ran (playbook, source, forks, time-out), not what
    # the template says now.
    ran = relaunch_of or template
    with transaction.atomic():
        job = Job.objects.create(
            template=template,
            name=template.name,
            project=ran.project,
            ref=ref,
            commit=commit,
            playbook=ran.playbook,
            extra_vars=variables.public,
            secret_vars=variables.secret_json,
            forks=ran.forks,
            timeout_seconds=ran.timeout_seconds,
            notify_on=template.notify_on,
            launched_by=launched_by,
            launched_by_user=_user(user),
            schedule=schedule,
            relaunch_of=relaunch_of,
            dispatch_key=dispatch_key,
            stalled_after=timezone.now() + transitions.queued_stall_bound(),
        )
        JobHost.objects.bulk_create(
            JobHost(
                job=job,
                server=host.server,
                name=str(host.server)[:255],
                alias=host.alias,
                status=HostStatus.SKIPPED if host.reason else HostStatus.PENDING,
                reason=host.reason,
            )
            for host in plan.hosts
        )
        transitions.job_send(job_id=job.pk, token=job.token)
    log.info("job_launched", job_id=job.pk, template_id=template.pk, hosts=len(plan.runnable), launched_by=launched_by)
    return job


def _audit(job: Job, *, action: AuditAction, user) -> None:
    audit_record(
        action=action,
        actor=_user(user),
        target=job,
        detail={
            "template_id": job.template_id,
            "playbook": job.playbook,
            "commit": job.commit,
            "launched_by": job.launched_by,
            "status": job.status,
            # Names only: the values of secret vars are never recorded.
            "extra_vars": sorted(job.extra_vars),
        },
    )


def job_launch(
    *,
    template: JobTemplate,
    extra_vars: Any = None,
    limit: Any = None,
    servers: list[Server] | None = None,
    user=None,
    launched_by: LaunchedBy = LaunchedBy.USER,
    schedule: JobSchedule | None = None,
    dispatch_key: str | None = None,
) -> Job:
    """Launch `template` (with launch-time `extra_vars`, on the `limit` subset of its target).
    `servers`, when given, replaces the template's target (the admin's "run a job here" on one
    server); it does not combine with `limit`.
    Raises ValidationError (400), ConflictError (409) or ServiceUnavailableError (503)."""
    asked = {"template_id": template.pk, "limit": limit if isinstance(limit, list) else None}
    if servers is not None:
        asked["servers"] = [server.pk for server in servers]
    with audit_refusals(action=AuditAction.JOB_LAUNCH, actor=_user(user), target=template, detail=asked):
        if servers is not None and limit not in (None, []):
            raise ValidationError({"limit": ["a launch on given servers takes no limit"]})
        variables = job_vars(defaults=template.extra_vars or {}, launch=extra_vars, survey=template.survey)
        _conflict_if_running(template)
        commit = source_resolve(project=template.project, ref=template.ref, playbook=template.playbook)
        servers = _limited(target_servers(template.target), limit) if servers is None else _given(servers)
        plan = _plan(servers, project=template.project, playbook=template.playbook)
        job = _create(
            template=template,
            plan=plan,
            variables=variables,
            commit=commit,
            ref=template.ref,
            launched_by=launched_by,
            user=user,
            schedule=schedule,
            dispatch_key=dispatch_key,
        )
    _audit(job, action=AuditAction.JOB_LAUNCH, user=user)
    return job


def job_relaunch(*, job: Job, hosts: str = RelaunchHosts.ALL, user=None) -> Job:
    """A new job of the same template, vars and commit, on all of `job`'s hosts or on those that
    failed, were unreachable or did not finish."""
    with audit_refusals(action=AuditAction.JOB_LAUNCH, actor=_user(user), target=job, detail={"relaunch_of": job.pk}):
        if hosts not in RelaunchHosts.values:
            raise ValidationError({"hosts": [f"one of {', '.join(RelaunchHosts.values)}"]})
        template = job.template
        if template is None:
            raise ConflictError(f"the template of job #{job.pk} was deleted: it cannot be relaunched")
        rows = job.hosts.exclude(server=None)
        if hosts == RelaunchHosts.FAILED:
            rows = rows.filter(status__in=HOSTS_TO_RELAUNCH)
        servers = list(Server.objects.filter(pk__in=rows.values("server_id")).select_related("ssh_key").order_by("pk"))
        if not servers:
            raise ValidationError({"hosts": [f"no host of job #{job.pk} failed, was unreachable or did not finish"]})
        _conflict_if_running(template)
        secret = Job.objects.filter(pk=job.pk).values_list("secret_vars", flat=True).first()
        variables = JobVars(public=dict(job.extra_vars), secret=_secret_vars(secret))
        plan = _plan(servers, project=job.project, playbook=job.playbook)
        relaunched = _create(
            template=template,
            plan=plan,
            variables=variables,
            commit=job.commit,
            ref=job.ref,
            launched_by=LaunchedBy.RELAUNCH,
            user=user,
            relaunch_of=job,
        )
    _audit(relaunched, action=AuditAction.JOB_LAUNCH, user=user)
    return relaunched


def _secret_vars(text: str | None) -> dict[str, Any]:
    return json.loads(text) if text else {}


def job_cancel(*, job: Job, user=None) -> Job:
    """Stop a queued or running job: its playbook stops within seconds; hosts it had not finished stay pending."""
    who = getattr(_user(user), "username", "") or "the platform"
    with audit_refusals(action=AuditAction.JOB_CANCEL, actor=_user(user), target=job):
        if not transitions.job_cancel_claim(job=job, user=_user(user), message=f"canceled by {who}"):
            job.refresh_from_db()
            raise ConflictError(f"job #{job.pk} is {job.status}: only a queued or running job can be canceled")
    job_process_stop(job_id=job.pk)  # here, at once; on another machine its own cancel check stops it
    job.refresh_from_db()
    _audit(job, action=AuditAction.JOB_CANCEL, user=user)
    log.info("job_canceled", job_id=job.pk, user_id=getattr(_user(user), "pk", None))
    return job
