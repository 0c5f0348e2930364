"""Personal API tokens in the admin: every staff user manages their own; admins see everyone's.

Adding a token shows its value once, on the page that answers the form: it is rendered
straight into that response, never put in a message, the session or a log.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from unfold.admin import ModelAdmin

from apps.access import (
    services,
    user_admin,  # noqa: F401  (registers the user pages)
)
from apps.access.models import ApiToken


class ApiTokenCreateForm(forms.ModelForm):
    expires_in_days = forms.IntegerField(min_value=1, help_text="Days until the token stops working.")

    class Meta:
        model = ApiToken
        fields = ["name"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Read when the form is built, not at import, so the limits follow the settings.
        self.fields["expires_in_days"] = forms.IntegerField(
            min_value=1,
            max_value=settings.API_TOKEN_MAX_TTL_DAYS,
            initial=settings.API_TOKEN_DEFAULT_TTL_DAYS,
            help_text=f"Days until the token stops working (at most {settings.API_TOKEN_MAX_TTL_DAYS}).",
        )


@admin.register(ApiToken)
class ApiTokenAdmin(ModelAdmin):
    list_display = ("name", "user", "token_key", "created", "expiry", "last_used_at")
    list_filter = ("name",)
    search_fields = ("name", "token_key", "user__username")
    readonly_fields = ("name", "user", "token_key", "created", "expiry", "last_used_at")
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        tokens = super().get_queryset(request).select_related("user")
        if request.user.has_perm("access.view_apitoken"):
            return tokens
        return tokens.filter(user=request.user)

    def get_form(self, request: HttpRequest, obj: ApiToken | None = None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenCreateForm
            kwargs["fields"] = ["name", "expires_in_days"]
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None):
        return ["name", "expires_in_days"] if obj is None else self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None):
        return () if obj is None else self.readonly_fields

    # Staff users without the access.* permissions still manage their own tokens.
    def _owns(self, request: HttpRequest, obj: ApiToken | None) -> bool:
        return request.user.is_active and request.user.is_staff and (obj is None or obj.user_id == request.user.pk)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._owns(request, None) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return self._owns(request, obj) or super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._owns(request, None)

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False  # a token is created and revoked, never edited

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return self._owns(request, obj) or super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: ApiToken, form: forms.ModelForm, change: bool) -> None:
        token, value = services.token_create(
            user=request.user, name=form.cleaned_data["name"], expires_in_days=form.cleaned_data["expires_in_days"]
        )
        # The admin goes on with `obj` (its log entry, the answer): make it the created row.
        obj.__dict__.update({key: val for key, val in token.__dict__.items() if key != "_state"})
        obj._state.adding = False
        # Kept on this request only, for response_add below.
        request._api_token_value = value

    def response_add(self, request: HttpRequest, obj: ApiToken, post_url_continue: str | None = None) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": "API token created",
            "opts": self.opts,
            "token": obj,
            "value": request._api_token_value,
        }
        return TemplateResponse(request, "admin/access/apitoken/created.html", context)

    def delete_model(self, request: HttpRequest, obj: ApiToken) -> None:
        services.token_revoke(token=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset.select_related("user"):
            services.token_revoke(token=token)
