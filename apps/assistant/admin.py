"""The admin's Ask page: a question, the model's answer, and every tool call it made on the way.

Registered as the admin of `Question` (a model without a table), so the page sits in the admin's
index and navigation. Who may open it: staff users whose role allows at least one tool; what the
assistant may do for them is exactly what their role allows through the MCP tools.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path
from unfold.admin import ModelAdmin

from apps.assistant.configuration import AssistantUnavailable, assistant_enabled, base_url, configuration_problems
from apps.assistant.models import Question
from apps.assistant.services import MAX_QUESTION_CHARS, assistant_ask
from apps.mcp_server.registry import tools_for


class AskForm(forms.Form):
    question = forms.CharField(
        max_length=MAX_QUESTION_CHARS,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 90, "placeholder": "e.g. which servers are low on disk?"}),
    )


def assistant_allowed(user) -> bool:
    return user.is_active and user.is_staff and bool(tools_for(user))


@admin.register(Question)
class AskAdmin(ModelAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return assistant_allowed(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return assistant_allowed(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self):
        # The one page, under the changelist's name: the admin's index links to it.
        return [path("", self.admin_site.admin_view(self.ask_view), name="assistant_question_changelist")]

    def ask_view(self, request: HttpRequest) -> TemplateResponse:
        if not assistant_allowed(request.user):
            raise PermissionDenied
        form = AskForm(request.POST if request.method == "POST" else None)
        answer = None
        problems = [problem for _, problem in configuration_problems()]
        if form.is_bound and form.is_valid() and assistant_enabled() and not problems:
            try:
                answer = assistant_ask(user=request.user, question=form.cleaned_data["question"])
            except AssistantUnavailable as error:
                problems = error.problems
        context = {
            **self.admin_site.each_context(request),
            "title": "Ask the assistant",
            "opts": self.model._meta,
            "form": form,
            "answer": answer,
            "enabled": assistant_enabled(),
            "problems": problems,
            "provider": settings.LLM_PROVIDER,
            "model": settings.LLM_MODEL,
            "base_url": base_url(),
            "tools": tools_for(request.user),
            "write_tools": settings.MCP_ALLOW_WRITE,
            "max_rounds": settings.ASSISTANT_MAX_TOOL_ROUNDS,
        }
        return TemplateResponse(request, "admin/assistant/ask.html", context)
