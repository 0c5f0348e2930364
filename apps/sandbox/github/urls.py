"""The sandbox GitHub's REST API, mounted at /sandbox/github/api/v3/ (config/urls.py) outside production.

The client's base URL is `<host>/sandbox/github/api/v3` (SANDBOX_GITHUB_BASE_URL). A repository
is addressed as /repos/{owner}/{repo}/... or, as GitHub redirects renamed ones, /repositories/{id}/...
"""

from django.urls import re_path

from apps.sandbox.github import views

REPO = r"(?:repos/(?P<owner>[^/]+)/(?P<name>[^/]+)|repositories/(?P<repo_id>[0-9]+))"

app_name = "sandbox_github"
urlpatterns = [
    re_path(r"^rate_limit$", views.rate_limit, name="rate-limit"),
    re_path(r"^orgs/(?P<org>[^/]+)$", views.organization, name="organization"),
    re_path(r"^orgs/(?P<org>[^/]+)/repos$", views.organization_repos, name="organization-repos"),
    re_path(rf"^{REPO}$", views.repository, name="repository"),
    re_path(rf"^{REPO}/branches/(?P<branch>.+)$", views.branch, name="branch"),
    re_path(rf"^{REPO}/commits/(?P<ref>.+)$", views.commit, name="commit"),
    re_path(rf"^{REPO}/git/trees/(?P<sha>.+)$", views.tree, name="tree"),
    re_path(rf"^{REPO}/readme$", views.readme, name="readme"),
    re_path(rf"^{REPO}/contents/?(?P<path>.*)$", views.contents, name="contents"),
    re_path(rf"^{REPO}/git/blobs/(?P<sha>[0-9a-fA-F]{{40}})$", views.blob, name="blob"),
    re_path(
        r"^app/installations/(?P<installation_id>[0-9]+)/access_tokens$",
        views.installation_access_token,
        name="installation-access-token",
    ),
    # Anything else answers GitHub's 404 body, not Django's 404 page.
    re_path(r"^(?P<path>.*)$", views.unknown_endpoint, name="unknown"),
]
