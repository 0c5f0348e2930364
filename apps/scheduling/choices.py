from django.db import models


class WorkerStatus(models.TextChoices):
    """Whether a worker can take tasks now, as its last heartbeat says (apps/scheduling/selectors.py)."""

    ONLINE = "online", "Online"
    OFFLINE = "offline", "Offline"
