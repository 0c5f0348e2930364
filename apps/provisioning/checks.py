"""System checks of the provisioning time bounds (apps/provisioning/limits.py explains them)."""

import os

from django.conf import settings
from django.core.checks import Error, Tags, register

from apps.provisioning.limits import LEASE_RENEWALS, longest_phase_time_limit, phase_time_limits

MIN_LEASE_SECONDS = 6
MIN_STALL_MARGIN_SECONDS = 10
MIN_PHASE_TIME_LIMIT = 30


@register(Tags.compatibility)
def check_provisioning_time_bounds(app_configs=None, **kwargs):
    errors = []
    if settings.PROVISIONING_PHASE_TIME_LIMIT < MIN_PHASE_TIME_LIMIT:
        errors.append(
            Error(
                f"PROVISIONING_PHASE_TIME_LIMIT is {settings.PROVISIONING_PHASE_TIME_LIMIT} s: "
                f"at least {MIN_PHASE_TIME_LIMIT} s are needed for one provider request with its retries",
                id="provisioning.E001",
            )
        )
    if longest_phase_time_limit() > settings.CELERY_MAX_TASK_TIME_LIMIT:
        errors.append(
            Error(
                "PROVISIONING_PHASE_TIME_LIMIT exceeds CELERY_MAX_TASK_TIME_LIMIT",
                hint="No task may declare a hard limit above CELERY_MAX_TASK_TIME_LIMIT.",
                id="provisioning.E001",
            )
        )
    if settings.PROVISIONING_STALL_MARGIN_SECONDS < MIN_STALL_MARGIN_SECONDS:
        errors.append(
            Error(
                f"PROVISIONING_STALL_MARGIN_SECONDS must be at least {MIN_STALL_MARGIN_SECONDS}",
                hint="The stall bound of a phase is its hard time limit plus this margin: without a margin a "
                "run could be resumed while a live worker is still inside the phase.",
                id="provisioning.E002",
            )
        )
    lease = settings.PROVISIONING_LEASE_SECONDS
    shortest_stall = min(phase_time_limits(phase)[1] for phase in ("access", "ansible"))
    if lease < MIN_LEASE_SECONDS or lease >= shortest_stall + settings.PROVISIONING_STALL_MARGIN_SECONDS:
        errors.append(
            Error(
                f"PROVISIONING_LEASE_SECONDS is {lease}: use at least {MIN_LEASE_SECONDS} s "
                f"(it is renewed every {LEASE_RENEWALS}th of it) and less than a phase's stall bound",
                id="provisioning.E003",
            )
        )
    if "PROVISIONING_STALL_SECONDS" in os.environ:
        errors.append(
            Error(
                "PROVISIONING_STALL_SECONDS is no longer read",
                hint="The stall bound is each phase's hard time limit plus PROVISIONING_STALL_MARGIN_SECONDS, and a "
                "run whose worker died or froze is resumed once its lease (PROVISIONING_LEASE_SECONDS) runs out: "
                "remove the variable.",
                id="provisioning.E004",
            )
        )
    return errors
