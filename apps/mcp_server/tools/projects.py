"""Projects: search their docs (GET /api/projects/search/), GitHub organizations and their sync."""

from __future__ import annotations

from typing import Any

import pydantic

from apps.core.choices import Trigger
from apps.mcp_server.registry import Tool, ToolInput
from apps.mcp_server.tools.common import one, only
from apps.projects import selectors, services
from apps.projects.api.serializers import GitHubAccountOutputSerializer, search_results_data

ACCOUNT_FIELDS = ("id", "organization", "enabled", "last_sync_at", "last_sync_status", "last_sync_error")


class SearchInput(ToolInput):
    q: str = pydantic.Field(min_length=2, max_length=500, description="What to look for in the projects' docs.")
    limit: int = pydantic.Field(default=10, ge=1, le=50, description="At most this many results (1-50).")


def search_docs(*, user: Any, arguments: SearchInput) -> dict[str, Any]:
    search = selectors.docs_search(query=arguments.q, limit=arguments.limit)
    return {"ranking": search.ranking.value, "results": search_results_data(search)}


class NoInput(ToolInput):
    pass


def list_github_accounts(*, user: Any, arguments: NoInput) -> dict[str, Any]:
    accounts = selectors.github_account_list()
    return {"accounts": [only(GitHubAccountOutputSerializer(a).data, ACCOUNT_FIELDS) for a in accounts]}


class AccountInput(ToolInput):
    account_id: int = pydantic.Field(description="The GitHub organization's account id (from list_github_accounts).")


def sync_github_account(*, user: Any, arguments: AccountInput) -> dict[str, Any]:
    account = one(selectors.github_account_list(), arguments.account_id, "GitHub account")
    run = services.github_sync_queue(account=account, trigger=Trigger.API, user=user)
    return {"sync_run_id": run.pk, "account": account.organization, "status": run.status}


TOOLS = (
    Tool(
        name="search_docs",
        title="Search the projects' docs",
        description="Search the documentation of every active project of the GitHub organization, best match first.",
        input=SearchInput,
        permission="projects.view_project",
        run=search_docs,
    ),
    Tool(
        name="list_github_accounts",
        title="List GitHub organizations",
        description="The GitHub organizations whose repositories are synced, with how their last sync ended.",
        input=NoInput,
        permission="projects.view_githubaccount",
        run=list_github_accounts,
    ),
    Tool(
        name="sync_github_account",
        title="Sync a GitHub organization",
        description="Queue a sync of one GitHub organization now (its repositories and then their docs index).",
        input=AccountInput,
        permission="projects.sync_githubaccount",
        run=sync_github_account,
        writes=True,
    ),
)
