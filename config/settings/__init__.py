"""The platform's settings: every value comes from the environment (or .env), read once in `base`.

ENVIRONMENT selects the profile:
- development (default): SQLite and Celery's filesystem broker under var/, nothing external.
- test: as development, with what the test suite needs.
- production: PostgreSQL and Redis; refuses to start while any value is unsafe.
Each module holds one concern and imports what it uses from the modules before it; they are
composed here in that order, the production guard last. Every variable is described in
docs/configuration.md and listed in .env.example.
"""

# In the order the concerns build on each other; each module imports what it uses itself.
# isort: off
from config.settings.base import *  # noqa: F403
from config.settings.sandbox import *  # noqa: F403
from config.settings.web import *  # noqa: F403
from config.settings.data import *  # noqa: F403
from config.settings.api import *  # noqa: F403
from config.settings.celery import *  # noqa: F403
from config.settings.fleet import *  # noqa: F403
from config.settings.projects import *  # noqa: F403
from config.settings.assistant import *  # noqa: F403
from config.settings.operations import *  # noqa: F403
from config.settings.production import *  # noqa: F403
# isort: on
