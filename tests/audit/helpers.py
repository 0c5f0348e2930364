"""Reading the audit trail in tests: the rows of one action, and a row as the API would show it."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.forms.models import model_to_dict

from apps.audit.models import AuditEvent


def events(action: str, **filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("id"))


def whole_table() -> str:
    """Every stored audit row, every column, as one text: what a secret must never appear in."""
    rows = [model_to_dict(event) | {"occurred_at": event.occurred_at} for event in AuditEvent.objects.all()]
    return json.dumps(rows, cls=DjangoJSONEncoder)
