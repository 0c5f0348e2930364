"""Logs are structured, carry the task's context, and never show a secret passed by key."""

import json
import os
import subprocess
import sys
from pathlib import Path

from apps.core.redaction import REDACTED, redact_secrets

REPO_ROOT = Path(__file__).resolve().parents[2]

LOG_SCRIPT = """
import django, logging, structlog
django.setup()
structlog.contextvars.bind_contextvars(task_name="servers.sync", task_id="t-1", server_id=7)
structlog.get_logger("apps.test").info(
    "account_checked", password="hunter2-secret", nested={"api_token": "tok-secret", "name": "ok"}
)
logging.getLogger("legacy").warning("stdlib line")
"""


def test_redaction_replaces_secret_values_at_any_depth():
    event = {
        "event": "x",
        "password": "p",
        "ssh_private_key": "k",
        "headers": {"Authorization": "Bearer t"},
        "items": [{"client_secret": "s", "label": "kept"}],
        "server_id": 3,
    }

    redacted = redact_secrets(None, "info", event)

    assert redacted["password"] == redacted["ssh_private_key"] == REDACTED
    assert redacted["headers"]["Authorization"] == REDACTED
    assert redacted["items"][0] == {"client_secret": REDACTED, "label": "kept"}
    assert redacted["server_id"] == 3


def test_a_production_log_line_is_json_with_context_and_without_secrets():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "LOG_FORMAT": "json"}
    result = subprocess.run(
        [sys.executable, "-c", LOG_SCRIPT], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert "hunter2-secret" not in result.stderr
    assert "tok-secret" not in result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    event = next(line for line in lines if line["event"] == "account_checked")
    assert event["task_name"] == "servers.sync"
    assert event["task_id"] == "t-1"
    assert event["server_id"] == 7
    assert event["password"] == REDACTED
    assert event["nested"] == {"api_token": REDACTED, "name": "ok"}
    assert any(line["event"] == "stdlib line" and line["level"] == "warning" for line in lines)
