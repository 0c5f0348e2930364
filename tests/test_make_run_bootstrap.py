"""What `make run` does before starting the processes registers both sandboxes and queues their runs."""

import pytest
from django.core.management import call_command

from apps.core.models import SyncRun
from apps.projects.models import GitHubAccount
from apps.servers.models import ProviderAccount

pytestmark = pytest.mark.django_db


def test_register_sandbox_account_registers_both_sandboxes_once_and_queues_their_runs(
    capsys, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("register_sandbox_account")
        call_command("register_sandbox_account")

    assert ProviderAccount.objects.filter(kind="sandbox").count() == 1
    assert GitHubAccount.objects.count() == 1
    kinds = sorted(SyncRun.objects.values_list("kind", flat=True))
    assert kinds == sorted(["server_sync", "github_sync"] * 2)
    assert all(run.celery_task_id for run in SyncRun.objects.all())
    output = capsys.readouterr().out
    assert "sandbox GitHub organization" in output


def test_register_sandbox_account_does_nothing_where_there_is_no_sandbox(settings, capsys):
    settings.SANDBOX_ENABLED = False

    call_command("register_sandbox_account")

    assert not ProviderAccount.objects.exists()
    assert not GitHubAccount.objects.exists()
    assert "nothing to do" in capsys.readouterr().out
