"""Guards the PostgreSQL/Redis pass: it must really run on PostgreSQL and Redis."""

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def test_the_services_pass_runs_on_postgresql():
    assert connection.vendor == "postgresql"


def test_the_services_pass_uses_redis_as_broker_and_a_separate_redis_database_as_cache():
    assert settings.BROKER_SCHEME == "redis"
    assert redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=5).ping()
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert settings.CACHES["default"]["LOCATION"] != settings.CELERY_BROKER_URL
    cache.set("services-pass-probe", "ok", 30)
    assert cache.get("services-pass-probe") == "ok"
