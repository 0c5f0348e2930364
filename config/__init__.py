# Load the Celery application with Django so that web processes publish through the same
# configured app (routes, serializers, broker options) that workers and beat use.
from tasks import app as celery_app

__all__ = ("celery_app",)
