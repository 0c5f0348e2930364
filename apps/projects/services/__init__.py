"""Writes of the projects domain. Views, admin actions and tasks call these, nothing else."""

from apps.projects.services.accounts import (
    github_account_create,
    github_account_problems,
    github_account_test_connection,
    github_account_update,
    sandbox_github_account_ensure,
)
from apps.projects.services.indexing import docs_index_all, docs_index_now, docs_index_queue, docs_index_run
from apps.projects.services.sources import (
    ProjectSourceError,
    collections_missing,
    project_playbooks,
    project_ref_resolve,
    project_tree_fetch,
)
from apps.projects.services.sync import github_sync_all, github_sync_now, github_sync_queue, github_sync_run
from apps.projects.services.write import projects_write

__all__ = [
    "ProjectSourceError",
    "collections_missing",
    "docs_index_all",
    "docs_index_now",
    "docs_index_queue",
    "docs_index_run",
    "github_account_create",
    "github_account_problems",
    "github_account_test_connection",
    "github_account_update",
    "github_sync_all",
    "github_sync_now",
    "github_sync_queue",
    "github_sync_run",
    "project_playbooks",
    "project_ref_resolve",
    "project_tree_fetch",
    "projects_write",
    "sandbox_github_account_ensure",
]
