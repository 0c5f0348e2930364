"""Production has no sandbox: the app is not installed, its URLs answer 404, its command does not
exist, and migrate creates none of its tables.

A real `manage.py` under production settings, in a subprocess: the values of
tests/core/test_production_settings.py, with one change, the database, a SQLite file of its own
(production refuses SQLite, so a settings module on top swaps the engine after the guard ran).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.apps import apps

from tests.conftest import REPO_ROOT
from tests.core.test_production_settings import VALID_PRODUCTION_ENV

SANDBOX_PATHS = ("/sandbox/api/server", "/sandbox/github/api/v3/rate_limit")

SQLITE_SETTINGS = """\
from config.settings import *  # noqa: F403

DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": {name!r}}}}}
"""

PROBE = f"""
import json
from django.conf import settings
from django.core.management import call_command, get_commands
from django.db import connection
from django.test import Client

call_command("migrate", verbosity=0, interactive=False)
client = Client(HTTP_HOST="fleet.example.com")
print(json.dumps({{
    "installed": "apps.sandbox" in settings.INSTALLED_APPS,
    "production": settings.IS_PRODUCTION,
    "statuses": [client.get(path, secure=True).status_code for path in {SANDBOX_PATHS!r}],
    "command": "register_sandbox_account" in get_commands(),
    "tables": connection.introspection.table_names(),
}}))
"""


def production_probe(tmp_path: Path) -> dict:
    (tmp_path / "production_on_sqlite.py").write_text(SQLITE_SETTINGS.format(name=str(tmp_path / "db.sqlite3")))
    env = {key: value for key, value in os.environ.items() if key not in VALID_PRODUCTION_ENV}
    env.update(
        VALID_PRODUCTION_ENV,
        ENV_FILE="/nonexistent",
        VAR_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="production_on_sqlite",
        PYTHONPATH=os.pathsep.join([str(tmp_path), str(REPO_ROOT)]),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", PROBE],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_installs_serves_and_migrates_no_sandbox(tmp_path):
    # The suite's own settings have the sandbox, with tables named sandbox_*: what production must lack.
    sandbox_tables = {model._meta.db_table for model in apps.get_app_config("sandbox").get_models()}
    assert sandbox_tables
    assert all(table.startswith("sandbox_") for table in sandbox_tables)

    probe = production_probe(tmp_path)

    assert probe["production"] is True
    assert probe["installed"] is False
    assert probe["statuses"] == [404, 404]
    assert probe["command"] is False
    # migrate ran (the other apps' tables are there) and created none of the sandbox's.
    assert "servers_provideraccount" in probe["tables"]
    assert [table for table in probe["tables"] if table.startswith("sandbox_")] == []
