"""Whether FIELD_ENCRYPTION_KEYS are Fernet keys: one rule for the production guard
(config/environment.py), the system check and the key rotation.

Plain functions over the values, importable while the settings are still being read.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable


def fernet_key_problem(key: str) -> str | None:
    """Return why `key` is not a Fernet key (32 url-safe base64 bytes), or None if it is."""
    try:
        raw = base64.urlsafe_b64decode(key.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return "is not url-safe base64"
    if len(raw) != 32:
        return f"decodes to {len(raw)} bytes, a Fernet key has 32"
    return None


def field_encryption_keys_problems(keys: Iterable[str]) -> list[str]:
    keys = list(keys)
    if not keys:
        return ["FIELD_ENCRYPTION_KEYS is missing: set one or more Fernet keys, newest first"]
    problems = []
    for position, key in enumerate(keys, start=1):
        problem = fernet_key_problem(key)
        if problem:
            problems.append(f"FIELD_ENCRYPTION_KEYS key #{position} {problem}")
    if len(set(keys)) != len(keys):
        problems.append("FIELD_ENCRYPTION_KEYS lists the same key twice")
    return problems
