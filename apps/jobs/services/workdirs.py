"""The directories a job works in (VAR_DIR/jobs/job-N-*: its source, ansible-runner's private
data directory), removed when it ends, and what a killed worker left removed later."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import structlog
from django.conf import settings

log = structlog.get_logger(__name__)
DIR_NAME = re.compile(r"^job-(\d+)-")


def jobs_work_root() -> Path:
    return Path(settings.VAR_DIR) / "jobs"


def job_work_dir_prefix(job_id: int) -> str:
    return f"job-{job_id}-"


def _dirs_by_job() -> dict[int, list[Path]]:
    found: dict[int, list[Path]] = {}
    root = jobs_work_root()
    if root.is_dir():
        for path in root.iterdir():
            match = DIR_NAME.match(path.name)
            if match and path.is_dir():
                found.setdefault(int(match.group(1)), []).append(path)
    return found


def _remove(paths: list[Path], *, job_id: int) -> int:
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)
    if paths:
        log.warning("job_leftover_dirs_removed", job_id=job_id, count=len(paths))
    return len(paths)


def job_dirs_remove(*, job_id: int) -> int:
    return _remove(_dirs_by_job().get(job_id, []), job_id=job_id)


def leftover_job_dirs_remove(*, keep_job_ids: set[int]) -> int:
    return sum(_remove(paths, job_id=job_id) for job_id, paths in _dirs_by_job().items() if job_id not in keep_job_ids)
