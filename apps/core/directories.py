"""The folders the embedded default writes to, created when a process starts rather than when
the settings are read: VAR_DIR (the SQLite database) and the filesystem broker's folders.

Every process (web, worker, beat, a management command, the tests) runs Django's setup before
it opens the database or the broker, and the core app calls this from its ready().
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def runtime_directories() -> list[Path]:
    """VAR_DIR, and the filesystem broker's message and control folders when that broker is used."""
    folders = [Path(settings.VAR_DIR)]
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if options.get(key):
            folders.append(Path(options[key]))
    return folders


def runtime_directories_create() -> None:
    for folder in runtime_directories():
        folder.mkdir(parents=True, exist_ok=True)
