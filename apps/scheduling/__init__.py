"""What operators do with the schedule and see of the workers that run it: list the periodic
tasks and run one now (audited), and list the Celery workers seen, in the admin and the API.

The schedule itself is declared by each app's schedules.py and registered by apps/core; the
permission `core.run_periodic_task` stays on core's model. It sits above apps/audit, which a
"run now" writes to, so apps/core need not import audit (docs/adr/0008-sync-runs-home.md).
Workers record themselves in its Worker model (tasks/worker_presence.py calls its services).
"""
