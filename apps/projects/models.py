from django.db import models
from django.db.models import Q

from apps.core.fields import EncryptedTextField, SecretsDeferredManager
from apps.core.models import SyncedAccount
from apps.projects.choices import GitHubAuthKind, ProjectState, Visibility

GITHUB_API_URL = "https://api.github.com"


class GitHubAccount(SyncedAccount):
    """A GitHub organization; github_sync keeps a Project for each of its repositories."""

    organization = models.CharField(max_length=100, help_text="The organization's login, e.g. acme.")
    base_url = models.URLField(
        max_length=500, default=GITHUB_API_URL, help_text="GitHub Enterprise: https://HOST/api/v3"
    )
    auth_kind = models.CharField(max_length=8, choices=GitHubAuthKind.choices, default=GitHubAuthKind.TOKEN)
    token = EncryptedTextField(null=True, blank=True)
    app_id = models.PositiveBigIntegerField(null=True, blank=True)
    app_private_key = EncryptedTextField(null=True, blank=True)
    installation_id = models.PositiveBigIntegerField(null=True, blank=True)
    enabled = models.BooleanField(default=True, help_text="Disabled accounts are not synced.")
    # Set when GitHub's rate limit stopped a run: scheduled runs wait until then.
    not_before = models.DateTimeField(null=True, blank=True)
    # The docs indexer's own lease, apart from the sync's (apps/syncs/leases.py).
    docs_lease_owner = models.CharField(max_length=64, blank=True, editable=False)
    docs_lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SecretsDeferredManager()

    class Meta:
        verbose_name = "GitHub account"
        permissions = [("sync_githubaccount", "Can queue a sync or docs indexing of a GitHub account")]
        ordering = ["organization"]
        constraints = [
            models.UniqueConstraint(fields=["base_url", "organization"], name="projects_unique_organization"),
            models.CheckConstraint(
                condition=Q(auth_kind=GitHubAuthKind.TOKEN, token__isnull=False)
                | Q(
                    auth_kind=GitHubAuthKind.APP,
                    app_id__isnull=False,
                    app_private_key__isnull=False,
                    installation_id__isnull=False,
                ),
                name="projects_account_has_credentials",
            ),
        ]

    def __str__(self) -> str:
        return self.organization


class Project(models.Model):
    """A repository of an organization, keyed by GitHub's numeric id (a rename keeps the row)."""

    account = models.ForeignKey(GitHubAccount, on_delete=models.PROTECT, related_name="projects")
    github_id = models.PositiveBigIntegerField()
    # --- GitHub-owned ---
    full_name = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    default_branch = models.CharField(max_length=255, blank=True)
    visibility = models.CharField(max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC)
    topics = models.JSONField(default=list, blank=True)
    # ",topic-a,topic-b," so that one portable LIKE filters by topic on SQLite and PostgreSQL alike.
    topics_index = models.CharField(max_length=2000, blank=True, editable=False)
    fork = models.BooleanField(default=False)
    archived_on_github = models.BooleanField(default=False)
    pushed_at = models.DateTimeField(null=True, blank=True)
    html_url = models.URLField(max_length=500, blank=True)
    # --- Platform state ---
    state = models.CharField(max_length=16, choices=ProjectState.choices, default=ProjectState.ACTIVE)
    archived_at = models.DateTimeField(null=True, blank=True)
    # --- Docs index ---
    docs_commit = models.CharField(max_length=64, blank=True, help_text="Head commit the docs were indexed at.")
    docs_checked_pushed_at = models.DateTimeField(null=True, blank=True, editable=False)
    docs_indexed_at = models.DateTimeField(null=True, blank=True)
    docs_backend = models.CharField(max_length=100, blank=True, help_text="Embedding backend of the stored chunks.")
    docs_files_indexed = models.PositiveIntegerField(default=0)
    docs_files_skipped = models.PositiveIntegerField(default=0)
    summary = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["full_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "github_id"], name="projects_unique_github_id"),
            models.CheckConstraint(condition=Q(state__in=ProjectState.values), name="projects_state_valid"),
        ]
        indexes = [models.Index(fields=["state"])]

    def __str__(self) -> str:
        return self.full_name


class DocChunk(models.Model):
    """A piece of a project's documentation: its lexical terms and its embedding, for search."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="doc_chunks")
    path = models.CharField(max_length=500)
    # The git blob the chunk was read from: a file whose blob did not change is not read again.
    file_sha = models.CharField(max_length=64, blank=True)
    heading = models.CharField(max_length=500, blank=True, help_text="Heading path, plain text.")
    anchor = models.CharField(max_length=500, blank=True, help_text="GitHub's anchor of the section's heading.")
    position = models.PositiveIntegerField(help_text="Order of the chunk within its file.")
    text = models.TextField(help_text="The section's Markdown.")
    # The plain text's stemmed terms, space-separated (apps/projects/docs_index/terms.py).
    terms = models.TextField(blank=True)
    # float32, little-endian, as the semantic backend made it; empty without one.
    vector = models.BinaryField(blank=True, default=b"")
    backend = models.CharField(max_length=100, blank=True, help_text="Semantic backend of the vector.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "path", "position"]
        indexes = [models.Index(fields=["backend", "id"])]

    def __str__(self) -> str:
        return f"{self.project}: {self.path} #{self.position}"


class DocsIndexVersion(models.Model):
    """One row whose number changes with every change to the chunks, in the same transaction.

    Each process caches the search matrix with the version it was built at, and rebuilds it
    when the number in the database differs (one cheap query per search).
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    version = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="projects_docs_index_version_singleton")]

    def __str__(self) -> str:
        return f"Docs index version {self.version}"
