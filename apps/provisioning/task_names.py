"""Stable names of the provisioning tasks (routed to the `provisioning` queue by the `provisioning.*` route)."""

from apps.provisioning.choices import Phase

ACCESS = "provisioning.access"
REINSTALL = "provisioning.reinstall"
WAIT_FOR_SSH = "provisioning.wait_for_ssh"
ANSIBLE = "provisioning.ansible"
FINALIZE = "provisioning.finalize"
TRIGGER = "provisioning.provisioner_trigger"  # beat, every 5 minutes, and at worker start
RECLAIM = "provisioning.reclaim_leases"  # beat, every 10 seconds
CLEANUP = "provisioning.cleanup_runs"  # beat, daily

PHASE_TASKS = {
    Phase.ACCESS: ACCESS,
    Phase.REINSTALL: REINSTALL,
    Phase.WAIT_FOR_SSH: WAIT_FOR_SSH,
    Phase.ANSIBLE: ANSIBLE,
    Phase.FINALIZE: FINALIZE,
}
