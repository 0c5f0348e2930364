"""What operators do with the periodic tasks: list them and run one now (audited), in the admin
and the API.

An app without models (its admin must be discovered): the schedule itself is declared by each
app's schedules.py and registered by apps/core; the permission `core.run_periodic_task` stays
on core's model. It sits above apps/audit, which a "run now" writes to, so apps/core need not
import audit (docs/adr/0008-sync-runs-home.md).
"""
