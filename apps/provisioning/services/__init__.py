"""Writes of the provisioning domain. Views, admin actions and tasks call these, nothing else."""

from apps.provisioning.services.engine import phase_execute
from apps.provisioning.services.playbooks import playbook_default, playbooks_available
from apps.provisioning.services.requests import (
    playbook_run_request,
    provision_request,
    run_cancel,
    run_retry,
    server_os_templates,
)
from apps.provisioning.services.trigger import (
    provisioner_trigger,
    provisioning_leases_reclaim,
    provisioning_runs_cleanup,
    run_resume,
)

__all__ = [
    "phase_execute",
    "playbook_default",
    "playbook_run_request",
    "playbooks_available",
    "provision_request",
    "provisioner_trigger",
    "provisioning_leases_reclaim",
    "provisioning_runs_cleanup",
    "run_cancel",
    "run_resume",
    "run_retry",
    "server_os_templates",
]
