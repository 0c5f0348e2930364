from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path
from unfold.admin import ModelAdmin

from apps.access.admin_checks import permission_check
from apps.core.admin_runs import runs_queue_from_admin
from apps.core.admin_secrets import SecretColumnsDeferredMixin, SecretFieldsHiddenFromReadersMixin
from apps.integrations.github import GitHubError
from apps.projects import selectors, services
from apps.projects.models import DocChunk, GitHubAccount, Project
from apps.projects.services.accounts import ACCOUNT_FIELDS


class GitHubAccountForm(forms.ModelForm):
    base_url = forms.URLField(max_length=500, assume_scheme="https", initial="https://api.github.com")

    class Meta:
        model = GitHubAccount
        fields = list(ACCOUNT_FIELDS)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Stored secrets are never shown; a blank entry keeps them (EncryptedTextField).
        for name in ("token", "app_private_key"):
            if name in self.fields:
                self.fields[name].required = False

    def clean(self):
        cleaned = super().clean()
        values = {name: cleaned.get(name) for name in ACCOUNT_FIELDS}
        for name in ("token", "app_private_key"):
            if not values[name] and self.instance.pk:
                values[name] = getattr(self.instance, name)
        for field, problems in services.github_account_problems(values).items():
            for problem in problems:
                self.add_error(field if field in self.fields else None, problem)
        return cleaned


@admin.register(GitHubAccount)
class GitHubAccountAdmin(SecretFieldsHiddenFromReadersMixin, ModelAdmin):
    form = GitHubAccountForm
    list_display = (
        "organization",
        "base_url",
        "auth_kind",
        "enabled",
        "last_sync_at",
        "last_sync_status",
        "not_before",
    )
    list_filter = ("auth_kind", "enabled", "last_sync_status")
    search_fields = ("organization",)
    readonly_fields = ("last_sync_at", "last_sync_status", "last_sync_error", "last_successful_sync_at", "not_before")
    actions = ["test_connection", "sync_now", "index_docs_now"]
    has_sync_permission = permission_check("projects.sync_githubaccount")

    @admin.action(description="Test connection", permissions=["sync"])
    def test_connection(self, request: HttpRequest, queryset: QuerySet[GitHubAccount]) -> None:
        for account in queryset:
            try:
                summary = services.github_account_test_connection(account=account)
            except GitHubError as error:
                self.message_user(request, f"{account}: {error}", messages.ERROR)
            else:
                repos = summary.get("repo_count")
                self.message_user(request, f"{account}: connected, {repos} repositories.", messages.SUCCESS)

    @admin.action(description="Sync now", permissions=["sync"])
    def sync_now(self, request: HttpRequest, queryset: QuerySet[GitHubAccount]) -> None:
        runs_queue_from_admin(self, request, queryset, queue=services.github_sync_queue, what="sync")

    @admin.action(description="Index docs now", permissions=["sync"])
    def index_docs_now(self, request: HttpRequest, queryset: QuerySet[GitHubAccount]) -> None:
        runs_queue_from_admin(self, request, queryset, queue=services.docs_index_queue, what="docs indexing")


class TopicFilter(admin.SimpleListFilter):
    title = "topic"
    parameter_name = "topic"

    def lookups(self, request, model_admin):
        topics = sorted({topic for topics in Project.objects.values_list("topics", flat=True) for topic in topics})
        return [(topic, topic) for topic in topics[:100]]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(topics_index__contains=f",{self.value()},")
        return queryset


def snippet_parts(snippet: str, highlights: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """The snippet cut into (text, is a matched term) pieces; the template escapes each."""
    parts: list[tuple[str, bool]] = []
    position = 0
    for start, end in highlights:
        if start > position:
            parts.append((snippet[position:start], False))
        parts.append((snippet[start:end], True))
        position = end
    if position < len(snippet):
        parts.append((snippet[position:], False))
    return parts


@admin.register(Project)
class ProjectAdmin(SecretColumnsDeferredMixin, ModelAdmin):
    list_display = ("full_name", "state", "visibility", "archived_on_github", "pushed_at", "docs_indexed_at")
    list_filter = ("state", "visibility", TopicFilter, "archived_on_github", "fork", "account")
    search_fields = ("full_name", "description", "summary")
    list_select_related = ("account",)
    change_list_template = "admin/projects/project/change_list.html"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Project._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # projects come from GitHub

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a project that leaves the organization is archived, never deleted

    def get_urls(self):
        search = path("search/", self.admin_site.admin_view(self.search_view), name="projects_project_search")
        return [search, *super().get_urls()]

    def search_view(self, request: HttpRequest) -> TemplateResponse:
        query = request.GET.get("q", "").strip()
        search = selectors.docs_search(query=query, limit=20) if len(query) >= 2 else None
        results = [
            {"result": result, "snippet_parts": snippet_parts(result.snippet, result.highlights)}
            for result in (search.results if search else [])
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Search the projects' docs",
            "opts": self.model._meta,
            "query": query,
            "ranking": search.ranking.label if search else "",
            "results": results,
        }
        return TemplateResponse(request, "admin/projects/project/search.html", context)


@admin.register(DocChunk)
class DocChunkAdmin(ModelAdmin):
    list_display = ("project", "path", "heading", "position", "backend")
    list_filter = ("backend",)
    search_fields = ("project__full_name", "path", "heading")
    list_select_related = ("project",)
    exclude = ("vector",)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in DocChunk._meta.fields if field.name != "vector"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
