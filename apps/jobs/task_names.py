"""Stable names of the jobs tasks (routed to the `provisioning` queue, where Ansible runs, by the `jobs.*` route)."""

RUN = "jobs.run"  # one job: one ansible-playbook over its whole inventory
LAUNCH_SCHEDULED = "jobs.launch_scheduled"  # sent by beat for an operator's schedule
RECLAIM = "jobs.reclaim"  # beat, every 10 seconds: jobs whose worker died, jobs the broker lost
CLEANUP = "jobs.cleanup"  # beat, daily
