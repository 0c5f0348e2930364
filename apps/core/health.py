"""Liveness and readiness endpoints for load balancers, compose and orchestrators."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.core import selectors


@never_cache
@require_GET
def live(request: HttpRequest) -> JsonResponse:
    """The process is up and answering; checks nothing else."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    """200 when the database and broker answer and every migration is applied; 503 otherwise.

    The heartbeat is reported but does not decide readiness: a web process can serve while
    workers are down, and the body says so.
    """
    checks = selectors.readiness_report()
    ok = all(check.ok for check in checks.values())
    body = {
        "status": "ok" if ok else "unavailable",
        "checks": {name: {"ok": check.ok, "detail": check.detail} for name, check in checks.items()},
        "heartbeat": selectors.heartbeat_status().as_dict(),
    }
    return JsonResponse(body, status=200 if ok else 503)
