"""The one environment every settings module reads: the `env` object, the profile, the paths.

`.env` (or ENV_FILE) is read here, once, before any value is.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from config import environment

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
ENV_FILE = Path(env.str("ENV_FILE", default=str(BASE_DIR / ".env")))
if ENV_FILE.is_file():
    environ.Env.read_env(ENV_FILE)

ENVIRONMENT = env.str("ENVIRONMENT", default="development")
if ENVIRONMENT not in environment.ENVIRONMENTS:
    raise ImproperlyConfigured(f"ENVIRONMENT is '{ENVIRONMENT}': use one of {', '.join(environment.ENVIRONMENTS)}")
IS_PRODUCTION = ENVIRONMENT == "production"
# Reading the settings creates nothing: the platform's processes create VAR_DIR and the broker's
# folders when they start (apps/core/directories.py).
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
