"""Helpers of the database, slow-provider and full-disk fault tests.

Connections are killed only in the test's own database (pg_stat_activity filtered on
current_database(), never the test's own backend); figures go to VAR_DIR/faults/<name>.json.
"""

from __future__ import annotations

import errno
import json
import re
import subprocess
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connection


def require_postgresql() -> None:
    assert connection.vendor == "postgresql", "these faults need PostgreSQL: run them in the services pass"


def other_backends() -> list[int]:
    """The pids of every other backend connected to the test database (workers, web, lock holders)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def terminate_backends(pids: list[int] | None = None) -> int:
    """pg_terminate_backend every other backend of the test database (or only `pids`, still
    filtered on the test database); returns how many were killed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND (%s::int[] IS NULL OR pid = ANY(%s::int[]))",
            [pids, pids],
        )
        return cursor.fetchone()[0]


def backends_waiting_on_a_lock(*, excluding: int) -> list[tuple[int, str]]:
    """(pid, query) of the test database's backends blocked on a lock, but `excluding`'s."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, query FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND pid <> %s AND wait_event_type = 'Lock'",
            [excluding],
        )
        return cursor.fetchall()


def separate_connection() -> psycopg.Connection:
    """A plain psycopg connection to the test database, outside Django (e.g. to hold a row lock)."""
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        connect_timeout=10,
    )


def retries_logged(worker_output: str, task_name: str) -> int:
    """How many times the worker logged a retry of `task_name` ("Task <name>[<id>] retry: ...")."""
    return len(re.findall(rf"Task {re.escape(task_name)}\[[^\]]+\] retry:", worker_output))


def record_figures(name: str, figures: dict) -> Path:
    """Print the test's figures and write them to VAR_DIR/faults/<name>.json (quoted in docs/reliability.md)."""
    path = Path(settings.VAR_DIR) / "faults" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    print(f"\nfigures {name}: {json.dumps(figures, sort_keys=True)}")
    return path


def mounted(path: Path) -> bool:
    target = str(path.resolve())
    with open("/proc/mounts") as mounts:
        return any(line.split()[1] == target for line in mounts)


def mount_tmpfs(path: Path, *, size: str, read_only: bool = False) -> None:
    """A small tmpfs at `path` (a full disk or a read-only one that even root cannot write)."""
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size},mode=0755" + (",ro" if read_only else "")
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], check=True, timeout=30)


def unmount(path: Path) -> None:
    """Unmount `path` (lazily if a process still has a file open there)."""
    if mounted(path):
        result = subprocess.run(["umount", str(path)], check=False, timeout=30, capture_output=True)
        if result.returncode != 0:
            subprocess.run(["umount", "-l", str(path)], check=True, timeout=30)


def fill(directory: Path) -> int:
    """Write into `directory` until its filesystem is full; returns the bytes written."""
    written = 0
    chunk = b"\0" * 4096
    with open(directory / "filler", "wb", buffering=0) as filler:
        try:
            while True:
                written += filler.write(chunk)
        except OSError as error:
            if error.errno != errno.ENOSPC:  # anything but a full disk is the test's own failure
                raise
    return written
