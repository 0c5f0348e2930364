"""Crontab schedules across daylight saving time changes, and TIME_ZONE shared by admin and beat.

Europe/Vilnius: on 2026-03-29 the clocks go from 03:00 to 04:00 (03:xx never happens), on
2026-10-25 from 04:00 back to 03:00 (03:xx happens twice). Beat's decisions are walked with a
fake clock through django-celery-beat's own entry (ModelEntry: is_due, then next() as beat's
reserve does, saved and read back from the row as a new leader would), every 10 s of the day
(beat itself looks at least every 5 s, and never between two of its own decisions). No process
starts and the system clock is left alone, so this runs in both passes.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from django_celery_beat.schedulers import ModelEntry
from django_celery_beat.tzcrontab import TzAwareCrontab

from apps.core.schedules import PeriodicTaskSpec, declared_periodic_tasks
from apps.core.services import periodic_tasks_register

pytestmark = pytest.mark.django_db

VILNIUS = ZoneInfo("Europe/Vilnius")
SPRING_FORWARD = date(2026, 3, 29)  # 03:00 -> 04:00
FALL_BACK = date(2026, 10, 25)  # 04:00 -> 03:00
STEP = timedelta(seconds=10)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=VILNIUS)


class FakeClock:
    """Stands in for the clock beat's entry and crontab read (their `now`)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def walk(periodic_task: PeriodicTask, start: datetime, end: datetime) -> list[datetime]:
    """Every run beat decides for `periodic_task` between `start` and `end`, in local time."""
    # The clock moves in UTC: adding to a local time would add wall-clock time, which is the
    # very thing that jumps on these days.
    clock = FakeClock(start.astimezone(UTC))
    runs: list[datetime] = []
    with (
        mock.patch.object(ModelEntry, "_default_now", clock.now),
        mock.patch.object(TzAwareCrontab, "nowfunc", clock.now),
    ):
        entry = ModelEntry(PeriodicTask.objects.get(pk=periodic_task.pk))
        while clock.at < end:
            if entry.is_due().is_due:
                runs.append(clock.at.astimezone(VILNIUS))
                next(entry).save()
                entry = ModelEntry(PeriodicTask.objects.get(pk=periodic_task.pk))
            clock.at += STEP
    return runs


def crontab_task(name: str, *, minute: str, hour: str, last_run_at: datetime) -> PeriodicTask:
    crontab, _ = CrontabSchedule.objects.get_or_create(minute=minute, hour=hour, timezone="Europe/Vilnius")
    return PeriodicTask.objects.create(name=name, task="core.heartbeat", crontab=crontab, last_run_at=last_run_at)


def runs_per_local_day(runs: list[datetime]) -> dict[date, int]:
    return dict(Counter(run.date() for run in runs))


@pytest.mark.parametrize("day", [SPRING_FORWARD, FALL_BACK], ids=["spring-forward", "fall-back"])
def test_a_daily_crontab_inside_the_changed_hour_runs_once_that_day(day):
    start = local_midnight(day - timedelta(days=1))
    task = crontab_task("daily-0330", minute="30", hour="3", last_run_at=start)

    runs = walk(task, start, local_midnight(day + timedelta(days=2)))

    assert runs_per_local_day(runs) == {day - timedelta(days=1): 1, day: 1, day + timedelta(days=1): 1}, runs


def test_on_the_spring_day_03_30_does_not_exist_and_runs_at_04_30_once():
    start = local_midnight(SPRING_FORWARD)
    task = crontab_task("daily-0330", minute="30", hour="3", last_run_at=start)

    runs = walk(task, start, local_midnight(SPRING_FORWARD + timedelta(days=1)))

    # 03:30 at the winter offset is 01:30 UTC, which the clocks call 04:30 that day.
    assert [run.isoformat() for run in runs] == ["2026-03-29T04:30:00+03:00"]


def test_on_the_autumn_day_03_30_runs_at_its_first_occurrence_only():
    start = local_midnight(FALL_BACK)
    task = crontab_task("daily-0330", minute="30", hour="3", last_run_at=start)

    runs = walk(task, start, local_midnight(FALL_BACK + timedelta(days=1)))

    assert [run.isoformat() for run in runs] == ["2026-10-25T03:30:00+03:00"]


@pytest.mark.parametrize(("day", "wall_clock_hours"), [(SPRING_FORWARD, 23), (FALL_BACK, 24)])
def test_an_hourly_crontab_runs_once_per_wall_clock_hour_across_the_change(day, wall_clock_hours):
    start = local_midnight(day)
    task = crontab_task("hourly-30", minute="30", hour="*", last_run_at=start)

    runs = walk(task, start, local_midnight(day + timedelta(days=1)))

    wall_clock = Counter(run.strftime("%H:%M") for run in runs)
    assert [slot for slot, count in wall_clock.items() if count > 1] == []  # no hour twice
    assert len(runs) == wall_clock_hours  # 03:30 does not exist in spring; in autumn it runs once
    gaps = [later - earlier for earlier, later in pairwise(runs)]
    assert min(gaps) >= timedelta(hours=1)  # never doubled
    assert max(gaps) <= timedelta(hours=2)  # the one repeated wall-clock hour is all that is left out


def test_every_platform_crontab_runs_once_a_day_through_both_changes(settings):
    settings.TIME_ZONE = "Europe/Vilnius"
    periodic_tasks_register()
    daily = [spec.name for spec in declared_periodic_tasks() if spec.daily_at is not None]
    assert daily, "the platform's daily housekeeping runs on crontabs"

    for day in (SPRING_FORWARD, FALL_BACK):
        start = local_midnight(day)
        PeriodicTask.objects.filter(name__in=daily).update(last_run_at=start)
        for name in daily:
            runs = walk(PeriodicTask.objects.get(name=name), start, local_midnight(day + timedelta(days=1)))
            assert runs_per_local_day(runs) == {day: 1}, (name, runs)


# --- One zone for the admin and beat -------------------------------------------------------
DAILY = PeriodicTaskSpec(
    name="daily_housekeeping", task="core.heartbeat", daily_at=time(3, 30), expires=timedelta(hours=1), description=""
)


def test_a_platform_crontab_is_in_time_zone_and_the_admin_shows_that_zone(settings, admin_client):
    settings.TIME_ZONE = "Europe/Vilnius"
    periodic_tasks_register(specs=(DAILY,))

    crontab = PeriodicTask.objects.get(name=DAILY.name).crontab
    assert (crontab.hour, crontab.minute, str(crontab.timezone)) == ("3", "30", "Europe/Vilnius")
    page = admin_client.get("/admin/django_celery_beat/periodictask/")
    assert page.status_code == 200
    assert "30 3 * * * (m/h/dM/MY/d) Europe/Vilnius" in page.content.decode()


def test_changing_time_zone_moves_the_crontabs_keeps_their_times_and_forgets_the_last_run(settings):
    settings.TIME_ZONE = "Europe/Vilnius"
    periodic_tasks_register(specs=(DAILY,))
    row = PeriodicTask.objects.get(name=DAILY.name)
    # An operator moved it to 02:10 in the admin; beat ran it last night.
    row.crontab = CrontabSchedule.objects.create(minute="10", hour="2", timezone="Europe/Vilnius")
    row.last_run_at = datetime(2026, 5, 1, 2, 10, tzinfo=VILNIUS)
    row.save()

    settings.TIME_ZONE = "America/New_York"
    result = periodic_tasks_register(specs=(DAILY,))

    row.refresh_from_db()
    assert result.rezoned == [DAILY.name]
    assert (row.crontab.hour, row.crontab.minute, str(row.crontab.timezone)) == ("2", "10", "America/New_York")
    assert row.last_run_at is None
    assert periodic_tasks_register(specs=(DAILY,)).unchanged == [DAILY.name]  # idempotent again
