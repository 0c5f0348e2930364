"""The one way the projects domain gets a GitHub client for an account."""

from apps.integrations.github import GitHubClient
from apps.projects.choices import GitHubAuthKind
from apps.projects.models import GitHubAccount


def github_client_for(account: GitHubAccount) -> GitHubClient:
    if account.auth_kind == GitHubAuthKind.APP:
        return GitHubClient(
            base_url=account.base_url,
            organization=account.organization,
            app_id=account.app_id,
            app_private_key=account.app_private_key,
            installation_id=account.installation_id,
        )
    return GitHubClient(base_url=account.base_url, organization=account.organization, token=account.token)
