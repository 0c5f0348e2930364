from django.core.management.base import BaseCommand, CommandError

from apps.core.choices import SyncStatus
from apps.projects.models import GitHubAccount
from apps.projects.services import docs_index_now, github_sync_now


class Command(BaseCommand):
    help = "Sync GitHub organizations and index their docs now, in this process (no worker needed)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--organization", help="only this organization (default: every enabled account)")
        parser.add_argument("--no-docs", action="store_true", help="sync the projects only")

    def handle(self, *args, organization: str | None = None, no_docs: bool = False, **options) -> None:
        accounts = GitHubAccount.objects.filter(enabled=True)
        if organization:
            accounts = GitHubAccount.objects.filter(organization=organization)
            if not accounts.exists():
                raise CommandError(f"no GitHub account for '{organization}'")
        failed = 0
        for account in accounts:
            runs = [github_sync_now(account=account)]
            if not no_docs and runs[0].status == SyncStatus.SUCCEEDED:
                runs.append(docs_index_now(account=account))
            for run in runs:
                line = (
                    f"{account} {run.get_kind_display().lower()}: {run.status} "
                    f"({run.created} created, {run.updated} updated, {run.removed} removed, "
                    f"{run.unchanged} unchanged; run #{run.pk})"
                )
                if run.status == SyncStatus.SUCCEEDED:
                    self.stdout.write(line)
                else:
                    failed += 1
                    self.stderr.write(f"{line}: {run.error}")
        if failed:
            raise CommandError(f"{failed} run(s) failed")
