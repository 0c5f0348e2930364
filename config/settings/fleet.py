"""The fleet's own work: provider APIs and server sync, health monitoring, provisioning, audit."""

from pathlib import Path

from config.settings.base import BASE_DIR, IS_PRODUCTION, env
from config.settings.data import CACHE_URL

# --- Provider APIs (apps/integrations/providers: Time4VPS, Hetzner Cloud, the sandbox) ------
# Every call has a connect and a read timeout; idempotent calls are retried with exponential
# backoff and jitter on connection errors and 5xx.
PROVIDER_CONNECT_TIMEOUT_SECONDS = env.float("PROVIDER_CONNECT_TIMEOUT_SECONDS", default=5.0)
PROVIDER_READ_TIMEOUT_SECONDS = env.float("PROVIDER_READ_TIMEOUT_SECONDS", default=30.0)
PROVIDER_RETRY_ATTEMPTS = env.int("PROVIDER_RETRY_ATTEMPTS", default=4)
PROVIDER_RETRY_MAX_WAIT_SECONDS = env.float("PROVIDER_RETRY_MAX_WAIT_SECONDS", default=10.0)
# After this many failed calls in a row the account's circuit opens, and calls fail at once
# until the reset time has passed; then one trial call decides.
PROVIDER_CIRCUIT_FAIL_MAX = env.int("PROVIDER_CIRCUIT_FAIL_MAX", default=5)
PROVIDER_CIRCUIT_RESET_SECONDS = env.int("PROVIDER_CIRCUIT_RESET_SECONDS", default=600)
# Circuit state is shared by every worker process through Redis when the cache is Redis;
# otherwise (development) each process keeps its own.
PROVIDER_CIRCUIT_REDIS_URL = env.str(
    "PROVIDER_CIRCUIT_REDIS_URL", default=CACHE_URL if CACHE_URL.startswith(("redis://", "rediss://")) else ""
)
# Production refuses provider URLs on loopback, private or link-local addresses unless allowed.
PROVIDER_ALLOW_PRIVATE_ADDRESSES = env.bool("PROVIDER_ALLOW_PRIVATE_ADDRESSES", default=not IS_PRODUCTION)
# Requests a sync leaves unspent of a provider's rate-limit budget (Hetzner's RateLimit-Remaining),
# so that provisioning can still act: a listing that would go below it stops before it starts.
PROVIDER_RATE_LIMIT_RESERVE = env.int("PROVIDER_RATE_LIMIT_RESERVE", default=10)
# Time limits of one account's sync (seconds); the sync lease outlives the hard limit.
SERVER_SYNC_SOFT_TIME_LIMIT = env.int("SERVER_SYNC_SOFT_TIME_LIMIT", default=540)
SERVER_SYNC_TIME_LIMIT = env.int("SERVER_SYNC_TIME_LIMIT", default=600)
# Server details fetched at once during a sync.
SERVER_SYNC_DETAIL_CONCURRENCY = env.int("SERVER_SYNC_DETAIL_CONCURRENCY", default=8)

# --- Health monitoring ---------------------------------------------------------------------
HEALTH_CONNECT_TIMEOUT_SECONDS = env.float("HEALTH_CONNECT_TIMEOUT_SECONDS", default=10.0)
HEALTH_COMMAND_TIMEOUT_SECONDS = env.float("HEALTH_COMMAND_TIMEOUT_SECONDS", default=15.0)
# Checks run at once by one worker process, and servers handed to one task.
HEALTH_CHECK_CONCURRENCY = env.int("HEALTH_CHECK_CONCURRENCY", default=16)
HEALTH_CHECK_BATCH_SIZE = env.int("HEALTH_CHECK_BATCH_SIZE", default=50)
DISK_WARNING_PERCENT = env.int("DISK_WARNING_PERCENT", default=80)
DISK_CRITICAL_PERCENT = env.int("DISK_CRITICAL_PERCENT", default=90)
# Memory in use, counted as not available (MemAvailable), that opens a warning, and a critical incident.
MEMORY_WARNING_PERCENT = env.int("MEMORY_WARNING_PERCENT", default=90)
MEMORY_CRITICAL_PERCENT = env.int("MEMORY_CRITICAL_PERCENT", default=95)
# Consecutive checks without a problem before its incident resolves itself (no flapping).
INCIDENT_RESOLVE_AFTER_CHECKS = env.int("INCIDENT_RESOLVE_AFTER_CHECKS", default=3)
HEALTH_CHECK_RETENTION_DAYS = env.int("HEALTH_CHECK_RETENTION_DAYS", default=30)
# An incident still open and unacknowledged is notified again after this many minutes.
INCIDENT_RENOTIFY_MINUTES = env.int("INCIDENT_RENOTIFY_MINUTES", default=60)
# Attempts of one notification (exponential backoff between them) before it counts as failed.
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=5)
NOTIFY_TIMEOUT_SECONDS = env.float("NOTIFY_TIMEOUT_SECONDS", default=10.0)
TELEGRAM_API_BASE = env.str("TELEGRAM_API_BASE", default="https://api.telegram.org")
# Outgoing e-mail (notifications): smtp://user:password@host:587/?tls=True; development prints it.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="fleet-platform@localhost")

# --- Provisioning ---------------------------------------------------------------------------
# Playbooks live here; a run names one by file name. Servers with the `local` connection and
# servers whose address is this machine may run only the playbooks on the allowlist.
ANSIBLE_PLAYBOOK_DIR = Path(env.str("ANSIBLE_PLAYBOOK_DIR", default=str(BASE_DIR / "platform" / "ansible")))
ANSIBLE_CONFIG_FILE = Path(
    env.str("ANSIBLE_CONFIG_FILE", default=str(BASE_DIR / "platform" / "ansible" / "ansible.cfg"))
)
PROVISIONING_DEFAULT_PLAYBOOK = env.str("PROVISIONING_DEFAULT_PLAYBOOK", default="baseline.yml")
PROVISIONING_LOCAL_PLAYBOOK = env.str("PROVISIONING_LOCAL_PLAYBOOK", default="sandbox.yml")
PROVISIONING_LOCAL_PLAYBOOK_ALLOWLIST = env.list("PROVISIONING_LOCAL_PLAYBOOK_ALLOWLIST", default=["sandbox.yml"])
# A phase that fails in a way trying again can fix is retried this many times in all, with
# exponential backoff from PROVISIONING_RETRY_BACKOFF_SECONDS.
PROVISIONING_PHASE_MAX_ATTEMPTS = env.int("PROVISIONING_PHASE_MAX_ATTEMPTS", default=3)
PROVISIONING_RETRY_BACKOFF_SECONDS = env.float("PROVISIONING_RETRY_BACKOFF_SECONDS", default=15.0)
# Provider tasks and SSH are polled by re-scheduled tasks (from the first to the longest wait),
# each wait bounded by an overall deadline.
PROVISIONING_POLL_FIRST_SECONDS = env.float("PROVISIONING_POLL_FIRST_SECONDS", default=5.0)
PROVISIONING_POLL_MAX_SECONDS = env.float("PROVISIONING_POLL_MAX_SECONDS", default=60.0)
PROVISIONING_ACCESS_DEADLINE_SECONDS = env.int("PROVISIONING_ACCESS_DEADLINE_SECONDS", default=900)
PROVISIONING_REINSTALL_DEADLINE_SECONDS = env.int("PROVISIONING_REINSTALL_DEADLINE_SECONDS", default=3600)
PROVISIONING_SSH_DEADLINE_SECONDS = env.int("PROVISIONING_SSH_DEADLINE_SECONDS", default=900)
PROVISIONING_SSH_CONNECT_TIMEOUT_SECONDS = env.float("PROVISIONING_SSH_CONNECT_TIMEOUT_SECONDS", default=10.0)
# The Ansible phase's job time-out; its task's time limits are derived from it.
PROVISIONING_ANSIBLE_TIMEOUT_SECONDS = env.int("PROVISIONING_ANSIBLE_TIMEOUT_SECONDS", default=1800)
# The hard time limit of the other phases' tasks (the soft one is a minute earlier).
PROVISIONING_PHASE_TIME_LIMIT = env.int("PROVISIONING_PHASE_TIME_LIMIT", default=300)
# A worker running a phase holds the run under a lease it renews every sixth of this; a run whose
# lease ran out (its worker died or froze) is resumed elsewhere within it plus 10 s.
PROVISIONING_LEASE_SECONDS = env.int("PROVISIONING_LEASE_SECONDS", default=30)
# The last resort for a run nobody holds (a task the broker lost): resumed once its phase has not
# started within that phase's hard time limit plus this margin (apps/provisioning/limits.py).
PROVISIONING_STALL_MARGIN_SECONDS = env.int("PROVISIONING_STALL_MARGIN_SECONDS", default=60)
PROVISIONING_RUN_RETENTION_DAYS = env.int("PROVISIONING_RUN_RETENTION_DAYS", default=90)

# --- Jobs (apps/jobs) ----------------------------------------------------------------------
# A job's worker holds it under the provisioning lease (PROVISIONING_LEASE_SECONDS): a job whose
# worker died is failed within a lease and one reclaim interval. A job still queued this long
# after it was sent (a message the broker lost) is sent again.
JOBS_QUEUED_STALL_SECONDS = env.int("JOBS_QUEUED_STALL_SECONDS", default=300)
# The longest time-out a template may set; the job task's hard limit is CELERY_MAX_TASK_TIME_LIMIT.
JOBS_MAX_TIMEOUT_SECONDS = env.int("JOBS_MAX_TIMEOUT_SECONDS", default=3300)
JOBS_RETENTION_DAYS = env.int("JOBS_RETENTION_DAYS", default=90)
# A scheduled launch that arrives this much later than its due time was missed (the platform was
# down): it is skipped and recorded, not made up.
JOBS_SCHEDULE_LATE_SECONDS = env.int("JOBS_SCHEDULE_LATE_SECONDS", default=120)
# A job whose source is a GitHub project gets that commit's tree written into its run directory
# (apps/projects/services/sources.py), one GitHub request per distinct file: a tree larger than
# this many bytes, or with more files than this, is refused before anything is downloaded.
JOBS_SOURCE_MAX_BYTES = env.int("JOBS_SOURCE_MAX_BYTES", default=50 * 1024 * 1024)
JOBS_SOURCE_MAX_FILES = env.int("JOBS_SOURCE_MAX_FILES", default=2000)

# --- Audit ---------------------------------------------------------------------------------
# Audit events older than this are deleted by the daily cleanup_audit_events task.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)
