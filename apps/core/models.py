from django.db import models


class Heartbeat(models.Model):
    """One row: when beat last sent the heartbeat task, and when a worker last ran it.

    The gap between the two says whether the scheduling path (beat -> broker -> worker) is
    alive; /health/ready and the admin show both.
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    beat_sent_at = models.DateTimeField(null=True, blank=True)
    worker_ran_at = models.DateTimeField(null=True, blank=True)
    worker_hostname = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="core_heartbeat_singleton")]

    def __str__(self) -> str:
        return "Scheduler heartbeat"
