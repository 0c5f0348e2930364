"""GET /metrics: Prometheus text format, for a scraper that passes apps/observability/access.py."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

from apps.core.networks import parse_networks
from apps.observability.access import Decision, metrics_access
from apps.observability.collectors import PlatformCollector


class _ThisProcess:
    """The process-global registry (django-prometheus' metrics) as one collector of another registry."""

    def collect(self):
        return REGISTRY.collect()


def metrics_registry() -> CollectorRegistry:
    """A registry for one scrape: the request and database metrics, and the platform's gauges."""
    registry = CollectorRegistry()
    if settings.PROMETHEUS_MULTIPROC_DIR:
        # Several gunicorn workers: sum what every worker wrote to the shared directory.
        MultiProcessCollector(registry, path=settings.PROMETHEUS_MULTIPROC_DIR)
    else:
        registry.register(_ThisProcess())
    registry.register(PlatformCollector())
    return registry


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    decision = metrics_access(
        authorization=request.headers.get("Authorization", ""),
        remote_addr=request.META.get("REMOTE_ADDR", ""),
        token=settings.METRICS_TOKEN,
        networks=parse_networks(settings.METRICS_ALLOWED_NETWORKS),
        production=settings.IS_PRODUCTION,
    )
    if decision is Decision.UNAUTHORIZED:
        response = HttpResponse("A valid bearer token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if decision is Decision.FORBIDDEN:
        return HttpResponse("Metrics are not available to this address.\n", status=403, content_type="text/plain")
    return HttpResponse(generate_latest(metrics_registry()), content_type=CONTENT_TYPE_LATEST)
