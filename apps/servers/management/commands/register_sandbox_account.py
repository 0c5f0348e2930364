from django.core.management.base import BaseCommand

from apps.core.choices import Trigger
from apps.servers.services import sandbox_account_ensure, server_sync_queue


class Command(BaseCommand):
    help = "Register the development sandbox accounts (provider and GitHub) once and queue their syncs."

    def handle(self, *args, **options) -> None:
        account = sandbox_account_ensure()
        if account is None:
            self.stdout.write("no sandbox outside development: nothing to do")
            return
        # Queued now, so the sandbox's servers show up as soon as the worker starts, not at the
        # first scheduled sync five minutes later.
        run = server_sync_queue(account=account, trigger=Trigger.OPERATOR)
        self.stdout.write(
            f"sandbox provider account: '{account.name}' at {account.base_url} (sync run #{run.pk} queued)"
        )
