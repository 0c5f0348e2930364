"""Exit non-zero, saying which, when the PostgreSQL or Redis of the services pass cannot be reached.

Run before that pass so an unreachable service fails CI loudly instead of skipping anything.
"""

import os
import sys

import psycopg
import redis


def main() -> int:
    failures = []
    database_url = os.environ["DATABASE_URL"]
    maintenance_url = database_url.rsplit("/", 1)[0] + "/postgres"
    try:
        psycopg.connect(maintenance_url, connect_timeout=5).close()
    except psycopg.Error as error:
        failures.append(f"PostgreSQL at {maintenance_url}: {error}")
    for name in ("CELERY_BROKER_URL", "CACHE_URL"):
        try:
            redis.Redis.from_url(os.environ[name], socket_connect_timeout=5).ping()
        except redis.RedisError as error:
            failures.append(f"Redis ({name}={os.environ[name]}): {error}")
    for failure in failures:
        print(f"unreachable: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
