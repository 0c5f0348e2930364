"""The views a run's or a job's admin page polls while it follows its object (apps/core/live_output.py
has what they answer): `<id>/live/` (status and HTML fragments) and `<id>/log/` (the whole output).

Mixed into a ModelAdmin, which says what is particular to it: `live_fragments` (element id ->
template), `live_fragments_context(obj)`, `live_log_name(obj)` and `live_log_lines(obj)`.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import path

from apps.core.live_output import live_status_response, log_download


class LiveOutputViews:
    live_fragments: dict[str, str] = {}

    def live_fragments_context(self, obj: models.Model) -> dict:
        raise NotImplementedError

    def live_log_name(self, obj: models.Model) -> str:
        raise NotImplementedError

    def live_log_lines(self, obj: models.Model) -> Iterator[str]:
        raise NotImplementedError

    def live_urls(self) -> list:
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}"
        return [
            path("<path:object_id>/live/", self.admin_site.admin_view(self.live_status_view), name=f"{name}_live"),
            path("<path:object_id>/log/", self.admin_site.admin_view(self.log_view), name=f"{name}_log"),
        ]

    def _readable(self, request: HttpRequest, object_id: str) -> models.Model:
        """The object, for whoever may open its page (the same check as the change view)."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"No {self.model._meta.verbose_name} with id {object_id!r}.")
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def live_status_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self._readable(request, object_id)
        context = self.live_fragments_context(obj)
        fragments = {element: render_to_string(name, context, request) for element, name in self.live_fragments.items()}
        return live_status_response(
            status=obj.status,
            status_label=obj.get_status_display(),
            finished=not obj.is_active,
            elapsed=context["elapsed_seconds"],
            fragments=fragments,
        )

    def log_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self._readable(request, object_id)
        return log_download(filename=self.live_log_name(obj), lines=self.live_log_lines(obj))
