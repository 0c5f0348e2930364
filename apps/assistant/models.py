"""No data of its own: the assistant keeps nothing (its tool calls are in the audit trail).

`Question` has no table; it is the admin's entry for the Ask page (apps/assistant/admin.py).
"""

from django.db import models


class Question(models.Model):
    class Meta:
        managed = False
        # Who may ask is decided by the tools the caller's role allows, not by permissions of its own.
        default_permissions = ()
        verbose_name = "question for the assistant"
        verbose_name_plural = "Ask the assistant"

    def __str__(self) -> str:
        return "question for the assistant"
