from django.db import models


class RunKind(models.TextChoices):
    PROVISION = "provision", "Provision (reinstall and configure)"
    PLAYBOOK = "playbook", "Playbook only"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


ACTIVE_RUN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
FINISHED_RUN_STATUSES = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELED)


class Phase(models.TextChoices):
    ACCESS = "access", "Reset access"
    REINSTALL = "reinstall", "Reinstall"
    WAIT_FOR_SSH = "wait_for_ssh", "Wait for SSH"
    ANSIBLE = "ansible", "Ansible"
    FINALIZE = "finalize", "Finalize"


PHASES_BY_KIND = {
    RunKind.PROVISION: (Phase.ACCESS, Phase.REINSTALL, Phase.WAIT_FOR_SSH, Phase.ANSIBLE, Phase.FINALIZE),
    RunKind.PLAYBOOK: (Phase.ANSIBLE,),
}


class PhaseStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    # Between two polls of the same attempt.
    WAITING = "waiting", "Waiting"
    # Before another attempt, after a failure that trying again can fix.
    RETRYING = "retrying", "Retrying"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


class RunRootPassword(models.TextChoices):
    """What a run did to the server's stored root password."""

    UNCHANGED = "unchanged", "Not changed by this run"
    STORED = "stored", "Stored: the password the provider handed out"
    # The reinstall replaced it without the provider saying the new one (a recovered attempt found
    # the reinstall only in the provider's task history): finalize resets it before `ready`.
    UNKNOWN = "unknown", "Unknown: replaced by the reinstall; reset before the server is ready"
