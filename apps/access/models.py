"""Personal API tokens: several named tokens per user, stored as digests (django-rest-knox).

The value is shown once, when the token is created; the database keeps only its SHA-512
digest and the first characters (token_key) that identify it.
"""

from django.db import models
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS


class ApiToken(AbstractAuthToken):
    # knox keys tokens by their digest; a plain id keeps digests out of URLs and the admin.
    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True, editable=False)
    name = models.CharField(max_length=100)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.token_key}…)"
