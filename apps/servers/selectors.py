"""Reads of the servers domain."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from apps.core.choices import SyncKind
from apps.core.models import SyncRun
from apps.servers.models import ProviderAccount, Server, SshKey


def provider_account_list() -> QuerySet[ProviderAccount]:
    return ProviderAccount.objects.order_by("name")


def server_list() -> QuerySet[Server]:
    return Server.objects.select_related("provider_account").order_by("hostname", "id")


def server_sync_run_list() -> QuerySet[SyncRun]:
    return SyncRun.objects.filter(
        kind=SyncKind.SERVER_SYNC, account_type=ContentType.objects.get_for_model(ProviderAccount)
    ).select_related("triggered_by")


def ssh_key_list() -> QuerySet[SshKey]:
    return SshKey.objects.order_by("name")
