from django.db import models


class Worker(models.Model):
    """A Celery worker process, as it last reported itself: one row per node name.

    The worker writes the row itself (tasks/worker_presence.py): when it starts, every
    WORKER_HEARTBEAT_SECONDS, and once more when it shuts down cleanly. Reading it costs one
    query and needs no answer from the worker or the broker, and a worker that went away stays
    listed, offline, with the time it was last heard from, until the retention removes it.
    Heartbeats are stamped with the database's clock, and compared with it, so workers on
    machines whose clocks differ are judged alike.
    """

    hostname = models.CharField(max_length=255, unique=True, help_text="Celery's node name (name@host).")
    pid = models.PositiveIntegerField(help_text="The worker's main process id on its machine.")
    queues = models.JSONField(default=list, help_text="The queues it consumes from.")
    concurrency = models.PositiveIntegerField(help_text="How many tasks it runs at once at most.")
    tasks_running = models.PositiveIntegerField(default=0, help_text="Tasks it was running at its last heartbeat.")
    started_at = models.DateTimeField(help_text="When this worker process started (its machine's clock).")
    last_heartbeat_at = models.DateTimeField(help_text="When it last reported itself (the database's clock).")
    stopped_at = models.DateTimeField(null=True, blank=True, help_text="When it shut down cleanly, if it did.")

    class Meta:
        ordering = ["hostname"]

    def __str__(self) -> str:
        return self.hostname
