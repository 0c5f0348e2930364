"""A job's ansible-playbook: recorded when it starts, stopped when the job is canceled or taken over."""

from apps.jobs.models import Job
from apps.provisioning.services.ansible_processes import recorded_process_save, recorded_process_stop


def job_process_record(*, job_id: int, pgid: int) -> None:
    recorded_process_save(Job.objects.filter(pk=job_id), pgid=pgid)


def job_process_stop(*, job_id: int) -> bool:
    return recorded_process_stop(Job.objects.filter(pk=job_id), job_id=job_id)
