"""Which playbooks a run may use: files of ANSIBLE_PLAYBOOK_DIR, and for the platform's own
machine (a `local` server, or an address of this machine) only those on the allowlist."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

from apps.core.exceptions import ValidationError
from apps.provisioning.services.targets import runs_on_this_machine
from apps.servers.choices import Connection
from apps.servers.models import Server

PLAYBOOK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*\.ya?ml$")


def playbook_dir() -> Path:
    return Path(settings.ANSIBLE_PLAYBOOK_DIR).resolve()


def playbooks_available() -> list[str]:
    """The playbooks a run can name: the top-level .yml/.yaml files of the playbook directory."""
    directory = playbook_dir()
    if not directory.is_dir():
        return []
    return sorted(path.name for path in directory.iterdir() if path.is_file() and PLAYBOOK_NAME.match(path.name))


def playbook_default(server: Server) -> str:
    if server.connection == Connection.LOCAL:
        return settings.PROVISIONING_LOCAL_PLAYBOOK
    return settings.PROVISIONING_DEFAULT_PLAYBOOK


def playbook_check(*, server: Server, playbook: str) -> str:
    """The playbook's name when `server` may run it; else ValidationError on the `playbook` field."""
    if not isinstance(playbook, str) or not PLAYBOOK_NAME.match(playbook):
        raise ValidationError({"playbook": ["name a playbook file (e.g. baseline.yml) of the playbook directory"]})
    path = playbook_dir() / playbook
    if not path.is_file():
        available = ", ".join(playbooks_available()) or "none"
        raise ValidationError({"playbook": [f"no playbook {playbook!r}; available: {available}"]})
    allowed = list(settings.PROVISIONING_LOCAL_PLAYBOOK_ALLOWLIST)
    if playbook not in allowed and runs_on_this_machine(server):
        raise ValidationError(
            {
                "playbook": [
                    f"{server} is the platform's own machine (a local connection or one of its addresses): "
                    f"only {', '.join(allowed) or 'no playbook'} may run there, never {playbook!r}"
                ]
            }
        )
    return playbook
