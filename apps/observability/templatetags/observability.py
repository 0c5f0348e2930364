"""{% platform_dashboard %}: the admin index's dashboard (apps/core/templates/admin/index.html)."""

from typing import Any

from django import template

from apps.observability.dashboard import dashboard_for

register = template.Library()


@register.inclusion_tag("observability/dashboard.html", takes_context=True)
def platform_dashboard(context: template.Context) -> dict[str, Any]:
    return {"dashboard": dashboard_for(context["request"].user)}
