"""Each worker records itself in the database (apps/scheduling's Worker): the admin's Workers
page and GET /api/workers/ read those rows, not the workers.

A bootstep of the worker (not of its consumer, which restarts with each broker connection):
it writes a heartbeat at start and every WORKER_HEARTBEAT_SECONDS on the worker's own timer,
the one Celery's event heartbeat uses, and marks the worker stopped on a clean shutdown. With
the Redis broker that timer runs in the worker's event loop, so a heartbeat also says the loop
is alive: a worker frozen, or stuck reconnecting to the broker, stops beating and is shown
offline after WORKER_OFFLINE_AFTER_SECONDS, as is one killed outright.

A heartbeat the database does not take (it is down, or slow) is logged and the next one tries
again; it never stops the worker or delays its start.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import structlog
from celery import bootsteps
from celery.worker import state

log = structlog.get_logger(__name__)


class WorkerPresence(bootsteps.StartStopStep):
    label = "Worker presence"
    # After the pool: it forks its processes when it starts, and a database connection being
    # used by the timer's thread at that moment (the filesystem broker's timer is a thread) is
    # copied into them half-used; with SQLite, tasks' writes then went unseen.
    requires = ("celery.worker.components:Timer", "celery.worker.components:Pool")

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.tref = None
        self.started_at: datetime | None = None

    def start(self, worker: Any) -> None:
        from django.conf import settings
        from django.utils import timezone

        self.started_at = timezone.now()
        # Written from the timer, not here: a database that is slow to answer never delays the start.
        worker.timer.call_after(0, self.beat, (worker,))
        self.tref = worker.timer.call_repeatedly(settings.WORKER_HEARTBEAT_SECONDS, self.beat, (worker,))

    def stop(self, worker: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
        if self.started_at is not None:
            from apps.scheduling import services

            self._write("worker_stop_not_recorded", services.worker_record_stopped, **self._identity(worker))

    def terminate(self, worker: Any) -> None:
        self.stop(worker)

    def beat(self, worker: Any) -> None:
        from apps.scheduling import services

        consuming = worker.app.amqp.queues.consume_from
        self._write(
            "worker_heartbeat_not_recorded",
            services.worker_record_heartbeat,
            **self._identity(worker),
            queues=list(consuming),
            concurrency=getattr(worker, "max_concurrency", None) or worker.concurrency,
            tasks_running=len(state.active_requests),
        )

    def _identity(self, worker: Any) -> dict[str, Any]:
        return {"hostname": worker.hostname, "pid": os.getpid(), "started_at": self.started_at}

    @staticmethod
    def _write(failure_event: str, write: Any, **kwargs: Any) -> None:
        from django.db import close_old_connections

        close_old_connections()
        try:
            write(**kwargs)
        except Exception:  # the database is unavailable: the next heartbeat tries again
            log.warning(failure_event, hostname=kwargs["hostname"], exc_info=True)
        finally:
            close_old_connections()
