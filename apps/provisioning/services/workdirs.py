"""The directories an Ansible attempt works in, and removing what a killed attempt left.

An attempt of run N works in `VAR_DIR/provisioning/run-N-*` (its work directory) and
ansible-runner's private data directory `VAR_DIR/provisioning/ansible-N-*` (the inventory, the
playbook's artifacts). Both are removed when the attempt ends; an attempt killed with its worker
leaves them, and the next attempt of the run (after stopping the orphaned playbook) or the trigger
(for runs that ended) removes them.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import structlog
from django.conf import settings

log = structlog.get_logger(__name__)

WORK_DIR_PREFIX = "run"
PRIVATE_DIR_PREFIX = "ansible"
DIR_NAME = re.compile(rf"^(?:{WORK_DIR_PREFIX}|{PRIVATE_DIR_PREFIX})-(\d+)-")


def work_root() -> Path:
    return Path(settings.VAR_DIR) / "provisioning"


def work_dir_prefix(run_id: int) -> str:
    return f"{WORK_DIR_PREFIX}-{run_id}-"


def private_dir_prefix(run_id: int) -> str:
    return f"{PRIVATE_DIR_PREFIX}-{run_id}-"


def _dirs_by_run() -> dict[int, list[Path]]:
    found: dict[int, list[Path]] = {}
    root = work_root()
    if not root.is_dir():
        return found
    for path in root.iterdir():
        match = DIR_NAME.match(path.name)
        if match and path.is_dir():
            found.setdefault(int(match.group(1)), []).append(path)
    return found


def _remove(paths: list[Path], *, run_id: int) -> int:
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)
    if paths:
        log.warning("provisioning_leftover_dirs_removed", run_id=run_id, count=len(paths))
    return len(paths)


def run_dirs_remove(*, run_id: int) -> int:
    """Remove what earlier attempts of `run_id` left here; call once no attempt of it runs here."""
    return _remove(_dirs_by_run().get(run_id, []), run_id=run_id)


def leftover_dirs_remove(*, keep_run_ids: set[int]) -> int:
    """Remove the directories of every run not in `keep_run_ids` (the runs that may be working)."""
    return sum(_remove(paths, run_id=run_id) for run_id, paths in _dirs_by_run().items() if run_id not in keep_run_ids)
