"""Reads of the servers domain."""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.lookups import Exact

from apps.core.exceptions import ValidationError
from apps.core.fields import without_secrets
from apps.servers.choices import Lifecycle
from apps.servers.models import ProviderAccount, Server, SshKey
from apps.servers.validators import label_value_problem, selector_key_problem

# The fields of a server selector (a job's target, resolved at launch).
SELECTOR_FIELDS = ("labels", "lifecycle", "provider_account")


def provider_account_list() -> QuerySet[ProviderAccount]:
    return without_secrets(ProviderAccount.objects.order_by("name"))


def server_list() -> QuerySet[Server]:
    return without_secrets(Server.objects.select_related("provider_account").order_by("hostname", "id"))


def ssh_key_list() -> QuerySet[SshKey]:
    return without_secrets(SshKey.objects.order_by("name"))


def server_label_q(key: str, value: str | None = None) -> Q:
    """Servers whose label `key` is `value` (any value when None), an operator's label or else
    the provider's: an operator label shadows a provider label with the same key.

    `key` must have passed `selector_key_problem`. The key goes into the query as a parameter of
    an explicit key transform, never into a lookup name, so no key can read as a lookup
    (`labels__contains`) or a path (`a__b`); equality of the text value works the same on SQLite
    and PostgreSQL (`__contains` on JSON does not exist on SQLite).
    """
    if selector_key_problem(key):
        raise ValueError(f"not a label key: {key!r}")
    operator_has = Q(labels__has_key=key)
    if value is None:
        return operator_has | Q(provider_labels__has_key=key)
    operator_is = Q(Exact(KeyTextTransform(key, "labels"), value))
    provider_is = Q(Exact(KeyTextTransform(key, "provider_labels"), value))
    return operator_is | (~operator_has & provider_is)


def label_selector_errors(selector: object) -> dict[str, list[str]]:
    """What is wrong with `selector` (`{"labels": {key: value}, "lifecycle": [...],
    "provider_account": id}`, every field optional), as field errors; empty when it is valid.

    For the services that store a selector (a job template's target) and for servers_select.
    A selector naming nothing is valid: it selects every server that is not removed.
    """
    if not isinstance(selector, Mapping):
        return {"non_field_errors": ["a selector is an object with labels, lifecycle and provider_account"]}
    errors: dict[str, list[str]] = {
        str(name): [f"not a selector field; a selector takes {', '.join(SELECTOR_FIELDS)}"]
        for name in selector
        if name not in SELECTOR_FIELDS
    }
    labels = selector.get("labels")
    if labels is not None:
        if not isinstance(labels, Mapping):
            errors["labels"] = ["an object of key: value strings"]
        else:
            problems = [selector_key_problem(key) or label_value_problem(key, value) for key, value in labels.items()]
            if any(problems):
                errors["labels"] = [problem for problem in problems if problem]
    lifecycle = selector.get("lifecycle")
    if lifecycle is not None:
        if not isinstance(lifecycle, list | tuple) or not all(isinstance(state, str) for state in lifecycle):
            errors["lifecycle"] = [f"a list of lifecycle states: {', '.join(Lifecycle.values)}"]
        elif unknown := [state for state in lifecycle if state not in Lifecycle.values]:
            errors["lifecycle"] = [
                f"{state!r:.80} is not a lifecycle state; use {', '.join(Lifecycle.values)}" for state in unknown
            ]
    account = selector.get("provider_account")
    if account is not None:
        if isinstance(account, bool) or not isinstance(account, int):
            errors["provider_account"] = ["a provider account's id (an integer)"]
        elif not ProviderAccount.objects.filter(pk=account).exists():
            errors["provider_account"] = [f"no provider account has the id {account}"]
    return errors


def servers_select(
    *,
    labels: dict[str, str] | None = None,
    lifecycle: list[str] | None = None,
    provider_account: int | None = None,
    ids: list[int] | None = None,
) -> QuerySet[Server]:
    """The servers a selector names, resolved now: every label matches (see server_label_q), the
    lifecycle is one of `lifecycle`, the account is `provider_account`, the id one of `ids`.
    Removed servers are left out unless `lifecycle` names `removed`. None (or an empty
    `lifecycle`) leaves that criterion out; an empty `ids` selects nothing.

    Raises ValidationError with field errors (label_selector_errors) when the selector is not
    valid, before any query is built from it.
    """
    selector = {
        name: value
        for name, value in (("labels", labels), ("lifecycle", lifecycle), ("provider_account", provider_account))
        if value is not None
    }
    errors = label_selector_errors(selector)
    if ids is not None and not all(isinstance(pk, int) and not isinstance(pk, bool) for pk in ids):
        errors["ids"] = ["a list of server ids (integers)"]
    if errors:
        raise ValidationError(errors)
    servers = server_list()
    # No lifecycle named: every state but removed (a removed server is gone from the provider).
    servers = servers.filter(lifecycle__in=lifecycle) if lifecycle else servers.exclude(lifecycle=Lifecycle.REMOVED)
    if provider_account is not None:
        servers = servers.filter(provider_account_id=provider_account)
    if ids is not None:
        servers = servers.filter(pk__in=ids)
    for key, value in sorted((labels or {}).items()):
        servers = servers.filter(server_label_q(key, value))
    return servers
