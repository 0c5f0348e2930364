from django.db import models

from apps.core.fields import EncryptedTextField


class SecretHolder(models.Model):
    label = models.CharField(max_length=100)
    secret = EncryptedTextField(null=True, blank=True)

    def __str__(self) -> str:
        return self.label


class TaskExecution(models.Model):
    """One row per key the fault tests' counting task was given; `executions` counts its runs."""

    key = models.CharField(max_length=100, unique=True)
    executions = models.PositiveIntegerField(default=0)
    first_run_at = models.DateTimeField(auto_now_add=True)
    last_run_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.executions} run(s)"
