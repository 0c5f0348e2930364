"""SSH keys the platform logs in with."""

from __future__ import annotations

import structlog
from django.db import transaction

from apps.core.exceptions import ValidationError
from apps.integrations.ssh import InvalidKeyError, generate_ed25519, parse_private_key
from apps.servers.models import SshKey

log = structlog.get_logger(__name__)


@transaction.atomic
def ssh_key_create(*, name: str, private_key: str | None = None, is_default: bool = False) -> SshKey:
    """Store a pasted private key, or generate an ed25519 key when none is given."""
    try:
        material = parse_private_key(private_key) if private_key else generate_ed25519()
    except InvalidKeyError as error:
        raise ValidationError({"private_key": [str(error)]}) from None
    if is_default:
        SshKey.objects.filter(is_default=True).update(is_default=False)
    key = SshKey.objects.create(
        name=name,
        private_key=material.private_key,
        public_key=material.public_key,
        fingerprint=material.fingerprint,
        key_type=material.key_type,
        is_default=is_default,
    )
    log.info("ssh_key_created", ssh_key_id=key.pk, fingerprint=key.fingerprint, generated=not private_key)
    return key


@transaction.atomic
def ssh_key_make_default(*, key: SshKey) -> SshKey:
    SshKey.objects.filter(is_default=True).exclude(pk=key.pk).update(is_default=False)
    key.is_default = True
    key.save(update_fields=["is_default"])
    return key
