"""Reading compose.yaml as an operator would run it, without Docker: helpers of the deployment tests.

compose.yaml is read with PyYAML (anchors and merge keys resolved) and its `${VAR}` references
are interpolated the way Compose does, with a made-up operator environment; the result is held
to the same production rules that config/settings/production.py enforces at start.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
COMPOSE_FILE = ROOT / "compose.yaml"

INFRASTRUCTURE_SERVICES = ("postgres", "redis-broker", "redis-cache")
PLATFORM_SERVICES = ("migrate", "web", "mcp", "worker", "beat", "flower")
LONG_RUNNING_SERVICES = ("postgres", "redis-broker", "redis-cache", "web", "mcp", "worker", "beat", "flower")
SERVICES_AFTER_MIGRATE = ("web", "mcp", "worker", "beat")
# What config/settings/production.py refuses to start production without (config/environment.py).
PRODUCTION_VARIABLES = (
    "ENVIRONMENT",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CACHE_URL",
    "FIELD_ENCRYPTION_KEYS",
)
# Never given a value in the file: each reference must be `${NAME:?message}`.
SECRET_VARIABLES = (
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEYS",
    "POSTGRES_PASSWORD",
    "BOOTSTRAP_ADMIN_PASSWORD",
    "FLOWER_BASIC_AUTH",
)
# What compose must refuse to start without.
REQUIRED_OPERATOR_VARIABLES = (*SECRET_VARIABLES, "ALLOWED_HOSTS")


def operator_environment() -> dict[str, str]:
    """A valid production environment, as an operator's .env would give it."""
    return {
        "SECRET_KEY": secrets.token_urlsafe(64),
        "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "ALLOWED_HOSTS": "platform.example.com,.example.org",
        "POSTGRES_PASSWORD": secrets.token_hex(24),
        "BOOTSTRAP_ADMIN_PASSWORD": secrets.token_urlsafe(24),
        "FLOWER_BASIC_AUTH": f"ops:{secrets.token_urlsafe(16)}",
    }


# --- Compose interpolation ----------------------------------------------------------------
_REFERENCE = re.compile(
    r"\$\$"
    r"|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<operator>:?[-?])(?P<argument>[^}]*))?\}"
    r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)


class MissingVariableError(Exception):
    pass


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`, `${VAR?err}`."""

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        operator = match.group("operator")
        value = env.get(name)
        if operator in (":-", "-"):
            use_default = value is None or (operator == ":-" and value == "")
            return match.group("argument") if use_default else value
        if operator in (":?", "?"):
            if value is None or (operator == ":?" and value == ""):
                raise MissingVariableError(f"{name}: {match.group('argument')}")
            return value
        return value or ""

    return _REFERENCE.sub(replace, text)


def interpolate_tree(node, env: dict[str, str]):
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [interpolate_tree(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolate_tree(value, env) for key, value in node.items()}
    return node


def secret_references_with_a_default(text: str) -> list[str]:
    """Every reference to a secret variable that is not `${NAME:?message}`."""
    problems = []
    for match in _REFERENCE.finditer(text):
        name = match.group("name") or match.group("bare")
        if name in SECRET_VARIABLES and match.group("operator") != ":?":
            problems.append(match.group(0))
    return problems


# --- Reading services -----------------------------------------------------------------------------
def environment_of(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def command_words(service: dict) -> list[str]:
    command = service.get("command")
    if command is None:
        return []
    words = shlex.split(command) if isinstance(command, str) else [str(word) for word in command]
    if len(words) == 3 and words[0] in ("sh", "bash", "/bin/sh", "/bin/bash") and words[1] == "-c":
        words = shlex.split(words[2])
    return words


def option_value(words: list[str], *names: str) -> str | None:
    for index, word in enumerate(words):
        for name in names:
            if word == name and index + 1 < len(words):
                return words[index + 1]
            if word.startswith(f"{name}="):
                return word.split("=", 1)[1]
    return None


def runs(words: list[str], *program: str) -> bool:
    """`words` starts with `program` (a program with its arguments, e.g. celery -A tasks beat)."""
    return words[: len(program)] == list(program)


def healthcheck_text(service: dict) -> str:
    test = (service.get("healthcheck") or {}).get("test")
    return " ".join(test) if isinstance(test, list) else str(test or "")
