"""Symmetric encryption of stored values with the keys in settings.FIELD_ENCRYPTION_KEYS.

The keys are Fernet keys, newest first: the first one encrypts, every one decrypts. That lets
a new key be put in front, the stored values re-encrypted (`manage.py rotate_encryption_keys`),
and the old key dropped afterwards. The keys are independent of SECRET_KEY on purpose, so
rotating one never makes the other's data unreadable.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from apps.core.exceptions import ConfigurationError


class DecryptionError(ConfigurationError):
    """A stored value cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS.

    Almost always a configuration problem (a key removed before its values were rotated),
    hence a ConfigurationError. The message names the value, never its contents.
    """


def _current_keys() -> tuple[str, ...]:
    return tuple(settings.FIELD_ENCRYPTION_KEYS)


# Keyed by the keys themselves, so a changed setting (tests, a reload) takes effect at once.
@lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...]) -> tuple[Fernet, MultiFernet]:
    if not keys:
        raise ConfigurationError("FIELD_ENCRYPTION_KEYS is missing: set one or more Fernet keys, newest first")
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            # `from None`: the underlying error could carry the key's bytes.
            raise ConfigurationError(f"FIELD_ENCRYPTION_KEYS key #{position} is not a valid Fernet key") from None
    return fernets[0], MultiFernet(fernets)


def _first_fernet() -> Fernet:
    return _fernets(_current_keys())[0]


def _multi_fernet() -> MultiFernet:
    return _fernets(_current_keys())[1]


def _undecryptable(what: str) -> DecryptionError:
    return DecryptionError(
        f"cannot decrypt {what}: it was not encrypted with any key in FIELD_ENCRYPTION_KEYS "
        "(a key removed before rotation, or a value stored without encryption)"
    )


def encrypt(text: str) -> str:
    """Encrypt `text` under the first key; returns the Fernet token as text."""
    return _multi_fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str, *, what: str = "a stored value") -> str:
    """Decrypt a token made by `encrypt` with any configured key.

    `what` names the value in the error message (e.g. "core.Thing.secret").
    """
    try:
        return _multi_fernet().decrypt(token).decode("utf-8")
    except (InvalidToken, TypeError, UnicodeDecodeError):
        raise _undecryptable(what) from None


def is_encrypted_with_current_key(token: str) -> bool:
    """Whether the first (encrypting) key decrypts `token`: rotation leaves such tokens alone."""
    try:
        _first_fernet().decrypt(token)
    except (InvalidToken, TypeError):
        return False
    return True


def rotate(token: str, *, what: str = "a stored value") -> str:
    """Re-encrypt `token` under the first key. Always produces a new token, even if it was current."""
    try:
        return _multi_fernet().rotate(token).decode("ascii")
    except (InvalidToken, TypeError):
        raise _undecryptable(what) from None
