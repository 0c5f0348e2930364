"""The API's JSON parser: DRF's, with a bound on how deeply a body may nest.

Python's decoder recurses once per level, so a body of a thousand `[` raised RecursionError
(a 500, to anonymous callers too); and a body just shallow enough to decode could still
exhaust the stack later, in a serializer or the audit trail's scrubbing of arguments. No
input of the platform nests more than a few levels.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DrfJSONParser


def _too_deep_message() -> str:
    return f"JSON parse error - the body nests deeper than {settings.API_MAX_JSON_DEPTH} levels."


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether `value` nests lists and objects more than `limit` levels deep (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(DrfJSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_too_deep_message()) from None
        if json_depth_exceeds(data, settings.API_MAX_JSON_DEPTH):
            raise ParseError(_too_deep_message())
        return data
