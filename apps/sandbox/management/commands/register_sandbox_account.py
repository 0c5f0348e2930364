"""`make run`'s sandbox accounts. A command of the sandbox app, so it exists only where the app is
installed (never in production); the accounts themselves are written by the owning apps' services."""

from django.core.management.base import BaseCommand

from apps.core.choices import Trigger
from apps.projects.services import github_sync_queue, sandbox_github_account_ensure
from apps.servers.services import sandbox_account_ensure, server_sync_queue


class Command(BaseCommand):
    help = "Register the development sandbox accounts (provider and GitHub) once and queue their syncs."

    def handle(self, *args, **options) -> None:
        account = sandbox_account_ensure()
        if account is None:
            self.stdout.write("no sandbox outside development: nothing to do")
            return
        # Queued now, so the sandbox's servers and projects show up seconds after the start, not
        # at the first scheduled runs minutes later. The sandboxes are served by web: `make run`
        # runs this once web answers (platform/dev/run.py). A GitHub sync that finds new
        # repositories queues their docs indexing itself.
        run = server_sync_queue(account=account, trigger=Trigger.OPERATOR)
        self.stdout.write(f"sandbox provider account: '{account.name}' at {account.base_url} (sync run #{run.pk})")
        github = sandbox_github_account_ensure()
        sync = github_sync_queue(account=github, trigger=Trigger.OPERATOR)
        self.stdout.write(
            f"sandbox GitHub organization: '{github.organization}' at {github.base_url} (sync run #{sync.pk})"
        )
