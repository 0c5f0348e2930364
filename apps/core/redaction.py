"""Which keys name secrets, and the marker their values are replaced with: one rule for the log
output (config/logging.py) and the audit trail (apps/audit/scrub.py).

Importable while the settings are still being read (the logging configuration is built there).
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "[redacted]"
# Keys whose values are secrets wherever they appear in a log event, at any depth.
SECRET_KEY_PATTERN = re.compile(
    r"(pass(word|wd|phrase)?|secret|token|api[_-]?key|private[_-]?key|ssh[_-]?key|authorization|"
    r"cookie|credential|fernet|encryption[_-]?keys?)",
    re.IGNORECASE,
)


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: REDACTED if isinstance(key, str) and SECRET_KEY_PATTERN.search(key) else _redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(_redact(item) for item in value)
    return value


def redact_secrets(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: replace the value of every secret-looking key with a marker."""
    return _redact(event_dict)
