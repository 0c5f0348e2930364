"""The provisioning time bounds: every phase's stall bound outlasts its task's hard limit, and the
system check refuses settings that would break the relations (apps/provisioning/limits.py)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from apps.provisioning.checks import check_provisioning_time_bounds
from apps.provisioning.choices import Phase
from apps.provisioning.limits import phase_time_limits, stall_bound
from tasks import app


@pytest.mark.parametrize("phase", Phase.values)
def test_each_phase_task_has_the_derived_limits_and_a_stall_bound_longer_than_its_hard_limit(phase):
    soft, hard = phase_time_limits(phase)
    app.loader.import_default_modules()
    task = app.tasks[f"provisioning.{phase}"]

    assert (task.soft_time_limit, task.time_limit) == (soft, hard)
    assert soft < hard
    assert stall_bound(phase).total_seconds() > hard


def test_the_default_settings_pass_the_check():
    assert check_provisioning_time_bounds() == []


@pytest.mark.parametrize(
    ("setting", "value", "check_id"),
    [
        ("PROVISIONING_PHASE_TIME_LIMIT", 10, "provisioning.E001"),
        ("PROVISIONING_PHASE_TIME_LIMIT", 7200, "provisioning.E001"),
        ("PROVISIONING_STALL_MARGIN_SECONDS", 0, "provisioning.E002"),
        ("PROVISIONING_LEASE_SECONDS", 2, "provisioning.E003"),
        ("PROVISIONING_LEASE_SECONDS", 5000, "provisioning.E003"),
    ],
)
def test_settings_that_break_the_bounds_are_refused_at_startup(settings, setting, value, check_id):
    setattr(settings, setting, value)

    assert check_id in [error.id for error in check_provisioning_time_bounds()]
    with pytest.raises(SystemCheckError, match=check_id):
        call_command("check")


def test_the_retired_stall_setting_is_refused_rather_than_silently_ignored(monkeypatch):
    monkeypatch.setenv("PROVISIONING_STALL_SECONDS", "300")

    assert [error.id for error in check_provisioning_time_bounds()] == ["provisioning.E004"]
