from django.db import models

from apps.core.fields import EncryptedTextField


class SecretHolder(models.Model):
    label = models.CharField(max_length=100)
    secret = EncryptedTextField(null=True, blank=True)

    def __str__(self) -> str:
        return self.label
