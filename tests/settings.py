"""Settings for the test suite: the platform's settings, plus a test-only app.

The environment still decides everything else (SQLite and the filesystem broker by default;
PostgreSQL and Redis in CI's second pass), exactly as it does for the platform itself.
"""

import os
from pathlib import Path

os.environ.setdefault("ENVIRONMENT", "test")
# The suite's SQLite file and filesystem broker live apart from a developer's `make run` data.
# Set in os.environ (not only here) so the worker and beat processes the tests start inherit it.
os.environ.setdefault("VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test"))

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
