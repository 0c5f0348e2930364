"""Reads of the core domain: readiness of the platform's dependencies, heartbeat, sync runs."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from datetime import datetime

import kombu
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import QuerySet
from django.utils import timezone

from apps.core.encryption_services import undecryptable_columns, undecryptable_problem
from apps.core.models import Heartbeat, SyncRun

BROKER_CHECK_TIMEOUT_SECONDS = 3


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str


def _describe(error: BaseException) -> str:
    # Type and message only: driver messages name host and port, never the URL's password.
    return f"{type(error).__name__}: {str(error).strip()[:300]}"


def _database_check() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return Check(ok=False, detail=f"database unreachable: {_describe(error)}")
    return Check(ok=True, detail=connection.vendor)


def _migrations_check() -> Check:
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        return Check(ok=False, detail=f"migrations not checked: {_describe(error)}")
    if plan:
        names = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _ in plan)
        return Check(ok=False, detail=f"{len(plan)} unapplied: {names}")
    return Check(ok=True, detail="all applied")


def _encryption_check() -> Check:
    try:
        failing = undecryptable_columns()
    except DatabaseError as error:
        return Check(ok=False, detail=f"stored secrets not checked: {_describe(error)}")
    if failing:
        return Check(ok=False, detail=undecryptable_problem(failing))
    return Check(ok=True, detail="stored secrets decrypt")


def _broker_check() -> Check:
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    if settings.BROKER_SCHEME == "filesystem":
        folders = {options["data_folder_in"], options["data_folder_out"], options["control_folder"]}
        unusable = sorted(f for f in folders if not (os.path.isdir(f) and os.access(f, os.W_OK)))
        if unusable:
            return Check(ok=False, detail=f"broker folder missing or not writable: {', '.join(unusable)}")
        return Check(ok=True, detail="filesystem")
    try:
        with kombu.Connection(
            settings.CELERY_BROKER_URL,
            connect_timeout=BROKER_CHECK_TIMEOUT_SECONDS,
            transport_options=options,
        ) as broker:
            broker.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_CHECK_TIMEOUT_SECONDS
            )
            broker.default_channel  # noqa: B018  (opening a channel is what talks to the server)
    except Exception as error:
        return Check(ok=False, detail=f"broker unreachable: {_describe(error)}")
    return Check(ok=True, detail=settings.BROKER_SCHEME)


def readiness_report() -> dict[str, Check]:
    """Whether this process can serve: database and broker reachable, migrations applied, secrets readable."""
    database = _database_check()
    migrations = _migrations_check() if database.ok else Check(ok=False, detail="not checked: database unreachable")
    # The stored secrets are sampled only in tables that are all there.
    encryption = _encryption_check() if migrations.ok else Check(ok=False, detail="not checked: " + migrations.detail)
    return {"database": database, "broker": _broker_check(), "migrations": migrations, "encryption": encryption}


@dataclass(frozen=True)
class HeartbeatStatus:
    beat_sent_at: datetime | None
    worker_ran_at: datetime | None
    worker_hostname: str
    beat_stale: bool
    worker_stale: bool

    def as_dict(self) -> dict:
        data = asdict(self)
        for key in ("beat_sent_at", "worker_ran_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def heartbeat_status(*, now: datetime | None = None) -> HeartbeatStatus:
    now = now or timezone.now()
    try:
        heartbeat = Heartbeat.objects.filter(id=Heartbeat.SINGLETON_ID).first()
    except DatabaseError:
        heartbeat = None
    heartbeat = heartbeat or Heartbeat()
    stale_after = settings.HEARTBEAT_STALE_AFTER

    def stale(moment: datetime | None) -> bool:
        return moment is None or now - moment > stale_after

    return HeartbeatStatus(
        beat_sent_at=heartbeat.beat_sent_at,
        worker_ran_at=heartbeat.worker_ran_at,
        worker_hostname=heartbeat.worker_hostname,
        beat_stale=stale(heartbeat.beat_sent_at),
        worker_stale=stale(heartbeat.worker_ran_at),
    )


def sync_run_list() -> QuerySet[SyncRun]:
    """Every sync run (servers, GitHub, docs indexing), newest first."""
    return SyncRun.objects.select_related("account_type", "triggered_by").order_by("-created_at", "-id")
