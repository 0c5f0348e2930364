import pytest
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from apps.core.schedules import declared_periodic_tasks
from apps.core.services import periodic_tasks_register

pytestmark = pytest.mark.django_db


def test_every_declared_periodic_task_expires_before_its_next_run():
    for spec in declared_periodic_tasks():
        assert spec.expires < spec.period, spec.name


def test_registering_creates_each_declared_task_with_its_schedule_and_expiry(settings):
    settings.TIME_ZONE = "Europe/Vilnius"
    periodic_tasks_register()

    for spec in declared_periodic_tasks():
        row = PeriodicTask.objects.get(name=spec.name)
        assert row.task == spec.task
        assert row.enabled
        if spec.every is not None:
            assert row.interval.every == spec.every.total_seconds()
            assert row.interval.period == IntervalSchedule.SECONDS
        else:
            assert (row.crontab.hour, row.crontab.minute) == (str(spec.daily_at.hour), str(spec.daily_at.minute))
            assert str(row.crontab.timezone) == "Europe/Vilnius"
        assert row.expire_seconds == spec.expires.total_seconds()


def test_registering_twice_creates_nothing_new(capsys):
    call_command("register_periodic_tasks")
    rows_before = PeriodicTask.objects.count()
    schedules_before = IntervalSchedule.objects.count()

    call_command("register_periodic_tasks")

    assert PeriodicTask.objects.count() == rows_before
    assert IntervalSchedule.objects.count() == schedules_before
    assert f"0 created, {len(declared_periodic_tasks())} unchanged" in capsys.readouterr().out


def test_registering_again_keeps_an_operators_interval_and_enabled_flag():
    periodic_tasks_register()
    hourly, _ = IntervalSchedule.objects.get_or_create(every=3600, period=IntervalSchedule.SECONDS)
    row = PeriodicTask.objects.get(name="heartbeat")
    row.interval = hourly
    row.enabled = False
    row.save()

    result = periodic_tasks_register()

    row.refresh_from_db()
    assert row.interval == hourly
    assert row.enabled is False
    assert "heartbeat" in result.unchanged


def test_registering_recreates_a_task_an_operator_deleted():
    periodic_tasks_register()
    PeriodicTask.objects.filter(name="heartbeat").delete()

    result = periodic_tasks_register()

    assert result.created == ["heartbeat"]
    assert PeriodicTask.objects.filter(name="heartbeat").exists()


def test_every_app_declares_its_periodic_tasks_and_core_collects_them_once_each():
    names = [spec.name for spec in declared_periodic_tasks()]

    assert len(names) == len(set(names))
    assert {
        "heartbeat",
        "cleanup_task_results",
        "server_sync",
        "github_sync",
        "docs_index",
        "health_checker",
        "cleanup_health_checks",
        "incident_reminders",
        "provisioner_trigger",
        "provisioning_lease_reclaim",
        "cleanup_provisioning_runs",
        "jobs_reclaim",
        "cleanup_jobs",
        "cleanup_audit_events",
        "cleanup_workers",
    } == set(names)
