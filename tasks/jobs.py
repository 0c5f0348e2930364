"""Jobs tasks (queue `provisioning`, where Ansible runs): a job, a scheduled launch, the reclaim.

Each is thin: `job_execute` reads the job's recorded state first, so a redelivered message (acks
late, reject on worker lost) does nothing twice; a scheduled launch is keyed by its task id.
"""

from django.conf import settings

from apps.core.db_connections import RETRY_ON_LOST_CONNECTION
from apps.jobs import services, task_names
from tasks.celery_app import app

# A job's own time-out (at most JOBS_MAX_TIMEOUT_SECONDS) ends its playbook first.
JOB_TIME_LIMIT = settings.CELERY_MAX_TASK_TIME_LIMIT


@app.task(
    name=task_names.RUN, soft_time_limit=JOB_TIME_LIMIT - 60, time_limit=JOB_TIME_LIMIT, **RETRY_ON_LOST_CONNECTION
)
def run_job(*, job_id: int, token: int) -> str:
    return services.job_execute(job_id=job_id, token=token)


@app.task(bind=True, name=task_names.LAUNCH_SCHEDULED, soft_time_limit=50, time_limit=60, **RETRY_ON_LOST_CONNECTION)
def launch_scheduled(self, *, schedule_id: int) -> str:
    return services.scheduled_launch(schedule_id=schedule_id, dispatch_key=self.request.id)


@app.task(name=task_names.RECLAIM, soft_time_limit=20, time_limit=30, ignore_result=True)
def reclaim_jobs() -> dict[str, int]:
    return services.jobs_reclaim()


@app.task(name=task_names.CLEANUP, soft_time_limit=540, time_limit=600, ignore_result=True)
def cleanup_jobs() -> int:
    return services.jobs_cleanup()
