"""Filters of the core collections: sync runs of every kind."""

from __future__ import annotations

import django_filters
from django import forms

from apps.core.choices import SYNC_KIND_ACCOUNT_TYPE, SyncAccountType, SyncKind, SyncStatus, Trigger
from apps.core.models import SyncRun


def _account_type_q(value: str) -> dict[str, str]:
    app_label, model = value.split(".", 1)
    return {"account_type__app_label": app_label, "account_type__model": model}


class SyncRunFilterForm(forms.Form):
    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("account") is None or cleaned.get("account_type"):
            return cleaned
        # An account id means nothing without its type: a provider account and a GitHub account
        # may share it. One kind (or several of one type) names the type too.
        types = {SYNC_KIND_ACCOUNT_TYPE[kind] for kind in cleaned.get("kind") or []}
        if len(types) != 1:
            choices = " or ".join(SyncAccountType.values)
            self.add_error("account", f"name the account's type as well: account_type={choices} (or a kind)")
        return cleaned


class SyncRunFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=SyncKind.choices)
    status = django_filters.MultipleChoiceFilter(choices=SyncStatus.choices)
    trigger = django_filters.ChoiceFilter(choices=Trigger.choices)
    account_type = django_filters.ChoiceFilter(
        choices=SyncAccountType.choices, method="filter_account_type", help_text="The type of account synced."
    )
    account = django_filters.NumberFilter(
        method="filter_account", help_text="The account's id; with `account_type`, or a `kind` that names the type."
    )
    provider_account = django_filters.NumberFilter(
        method="filter_provider_account", help_text="Runs of this provider account (server syncs)."
    )

    class Meta:
        model = SyncRun
        fields = ["kind", "status", "trigger", "account_type", "account", "provider_account"]
        form = SyncRunFilterForm

    def filter_account_type(self, queryset, name, value):
        return queryset.filter(**_account_type_q(value))

    def filter_account(self, queryset, name, value):
        account_type = self.form.cleaned_data.get("account_type")
        if not account_type:
            kinds = self.form.cleaned_data.get("kind") or []
            account_type = SYNC_KIND_ACCOUNT_TYPE[kinds[0]]
        return queryset.filter(account_id=value, **_account_type_q(account_type))

    def filter_provider_account(self, queryset, name, value):
        return queryset.filter(account_id=value, **_account_type_q(SyncAccountType.PROVIDER_ACCOUNT))
