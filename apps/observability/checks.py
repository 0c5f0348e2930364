"""System checks of the metrics settings, in every environment."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

from apps.core.networks import parse_networks


@register()
def metrics_networks_check(**_) -> list[Error]:
    try:
        parse_networks(settings.METRICS_ALLOWED_NETWORKS)
    except ValueError as error:
        return [
            Error(
                f"METRICS_ALLOWED_NETWORKS: {error}",
                hint="List CIDR networks or addresses, comma separated, e.g. 10.0.0.0/8,192.0.2.7",
                id="observability.E001",
            )
        ]
    return []
