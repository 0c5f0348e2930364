"""The sandbox provider (apps/sandbox): development and test only, never installed in production."""

from config.settings.base import IS_PRODUCTION, env

# --- Sandbox provider (development and test only) -----------------------------------------
# A provider that speaks the Time4VPS API, served by the platform itself under /sandbox/api/,
# so `make run` shows servers with no account anywhere. Never served in production.
SANDBOX_ENABLED = not IS_PRODUCTION
SANDBOX_SERVER_COUNT = env.int("SANDBOX_SERVER_COUNT", default=5)
SANDBOX_USERNAME = env.str("SANDBOX_USERNAME", default="sandbox@example.com")
SANDBOX_PASSWORD = env.str("SANDBOX_PASSWORD", default="sandbox-password")
SANDBOX_TASK_SECONDS = env.float("SANDBOX_TASK_SECONDS", default=5.0)
SANDBOX_GITHUB_ORGANIZATION = env.str("SANDBOX_GITHUB_ORGANIZATION", default="sandbox-org")
SANDBOX_GITHUB_REPO_COUNT = env.int("SANDBOX_GITHUB_REPO_COUNT", default=12)
SANDBOX_GITHUB_TOKEN = env.str("SANDBOX_GITHUB_TOKEN", default="sandbox-github-token")
SANDBOX_GITHUB_RATE_LIMIT = env.int("SANDBOX_GITHUB_RATE_LIMIT", default=5000)
SANDBOX_GITHUB_APP_ID = env.int("SANDBOX_GITHUB_APP_ID", default=1)
SANDBOX_GITHUB_BASE_URL = env.str(
    "SANDBOX_GITHUB_BASE_URL", default=f"http://127.0.0.1:{env.int('WEB_PORT', default=8000)}/sandbox/github/api/v3"
)
SANDBOX_BASE_URL = env.str(
    "SANDBOX_BASE_URL", default=f"http://127.0.0.1:{env.int('WEB_PORT', default=8000)}/sandbox/api"
)
