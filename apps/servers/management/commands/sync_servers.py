from django.core.management.base import BaseCommand, CommandError

from apps.core.choices import SyncStatus
from apps.servers.models import ProviderAccount
from apps.servers.services import server_sync_now


class Command(BaseCommand):
    help = "Sync servers from the provider now, in this process (no worker needed)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--account", help="the account's name (default: every enabled account)")

    def handle(self, *args, account: str | None = None, **options) -> None:
        accounts = ProviderAccount.objects.filter(enabled=True)
        if account:
            accounts = ProviderAccount.objects.filter(name=account)
            if not accounts.exists():
                raise CommandError(f"no provider account named '{account}'")
        failed = 0
        for provider_account in accounts:
            run = server_sync_now(account=provider_account)
            if run.status == SyncStatus.SUCCEEDED:
                self.stdout.write(
                    f"{provider_account}: {run.created} created, {run.updated} updated, "
                    f"{run.removed} removed, {run.unchanged} unchanged (run #{run.pk})"
                )
            else:
                failed += 1
                self.stderr.write(f"{provider_account}: failed: {run.error} (run #{run.pk})")
        if failed:
            raise CommandError(f"{failed} account(s) failed to sync")
