"""Reads of the servers domain."""

from django.db.models import QuerySet

from apps.core.fields import without_secrets
from apps.servers.models import ProviderAccount, Server, SshKey


def provider_account_list() -> QuerySet[ProviderAccount]:
    return without_secrets(ProviderAccount.objects.order_by("name"))


def server_list() -> QuerySet[Server]:
    return without_secrets(Server.objects.select_related("provider_account").order_by("hostname", "id"))


def ssh_key_list() -> QuerySet[SshKey]:
    return without_secrets(SshKey.objects.order_by("name"))
