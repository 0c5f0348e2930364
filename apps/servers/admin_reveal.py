"""Break-glass in the server admin: "Reveal root password", asking for a reason, audited.

Mixed into the servers' ModelAdmin. The page and the button are for holders of
servers.reveal_root_password only (apps/servers/services/root_password.py decides); anyone else
gets 403 and a denied row in the audit trail. The password is shown once, on a page that must
not be cached, and never goes into a message, a log line or the audit row.
"""

from __future__ import annotations

from django import forms
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers

from apps.core.admin_composition import ServerTool, with_tool
from apps.core.exceptions import ValidationError
from apps.servers.services.root_password import (
    MAX_REASON_LENGTH,
    MIN_REASON_LENGTH,
    root_password_reveal,
    root_password_reveal_allowed,
    root_password_reveal_authorize,
)

TEMPLATE = "admin/servers/server/reveal_root_password.html"


class RevealReasonForm(forms.Form):
    reason = forms.CharField(
        min_length=MIN_REASON_LENGTH,
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Why you need the root password. Recorded in the audit trail with your name.",
    )


class RootPasswordRevealViews:
    """The reveal page, its URL, and whether the change page shows the button."""

    def get_urls(self):
        opts = self.model._meta
        reveal = path(
            "<path:object_id>/reveal-root-password/",
            self.admin_site.admin_view(self.reveal_root_password_view),
            name=f"{opts.app_label}_{opts.model_name}_reveal_root_password",
        )
        return [reveal, *super().get_urls()]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        if root_password_reveal_allowed(user=request.user):
            opts = self.model._meta
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_reveal_root_password", args=[unquote(object_id)])
            extra_context = with_tool(extra_context, ServerTool("Reveal root password…", url, "reveal-root-password"))
        return super().change_view(request, object_id, form_url, extra_context)

    def reveal_root_password_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        server = self.get_object(request, object_id)
        if server is None:
            raise Http404(f"No server with id {object_id!r}.")
        root_password_reveal_authorize(server=server, user=request.user)  # 403, recorded, for anyone else
        form = RevealReasonForm(request.POST if request.method == "POST" else None)
        revealed = None
        if form.is_valid():
            try:
                revealed = root_password_reveal(server=server, user=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                for problem in (error.field_errors or {}).get("reason", [str(error)]):
                    form.add_error("reason", problem)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": server,
            "server": server,
            "title": f"Reveal the root password of {server}",
            "form": form,
            "revealed": revealed is not None,
            "root_password": revealed or "",
        }
        response = TemplateResponse(request, TEMPLATE, context)
        # The password must not stay in a browser's or a proxy's cache.
        add_never_cache_headers(response)
        return response
