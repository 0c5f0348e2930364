from rest_framework import serializers

from apps.core.api.fields import SecretField, column_bounds
from apps.projects.choices import GitHubAuthKind, SearchRanking
from apps.projects.models import GITHUB_API_URL, GitHubAccount, Project
from apps.projects.services import github_account_problems
from apps.projects.services.accounts import ACCOUNT_FIELDS

# GitHub numbers its apps and installations from 1.
MIN_ONE = {"min_value": 1}


class GitHubAccountOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = GitHubAccount
        fields = [
            "id",
            "organization",
            "base_url",
            "auth_kind",
            "app_id",
            "installation_id",
            "enabled",
            "not_before",
            "last_sync_at",
            "last_sync_status",
            "last_sync_error",
            "last_successful_sync_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class GitHubAccountInputSerializer(serializers.Serializer):
    organization = serializers.RegexField(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,98})$", max_length=100)
    base_url = serializers.URLField(max_length=500, default=GITHUB_API_URL)
    auth_kind = serializers.ChoiceField(choices=GitHubAuthKind.choices, default=GitHubAuthKind.TOKEN)
    token = SecretField(required=False, allow_null=True)
    app_id = serializers.IntegerField(
        required=False, allow_null=True, **column_bounds(GitHubAccount, "app_id") | MIN_ONE
    )
    app_private_key = SecretField(required=False, allow_null=True)
    installation_id = serializers.IntegerField(
        required=False, allow_null=True, **column_bounds(GitHubAccount, "installation_id") | MIN_ONE
    )
    enabled = serializers.BooleanField(default=True)

    def validate(self, attrs: dict) -> dict:
        current = {name: getattr(self.instance, name) for name in ACCOUNT_FIELDS} if self.instance else {}
        merged = {**current, **attrs}
        others = GitHubAccount.objects.filter(base_url=merged.get("base_url"), organization=merged.get("organization"))
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        problems = github_account_problems(merged)
        if others.exists():
            problems.setdefault("organization", []).append("this organization is already connected")
        if problems:
            raise serializers.ValidationError(problems)
        return attrs


class ProjectOutputSerializer(serializers.ModelSerializer):
    account = serializers.PrimaryKeyRelatedField(read_only=True)
    # Not a URLField: the column may be blank (GitHub gave no page), and "" is no URI.
    html_url = serializers.CharField(read_only=True, help_text="The repository's page on GitHub; may be empty.")

    class Meta:
        model = Project
        fields = [
            "id",
            "account",
            "github_id",
            "full_name",
            "name",
            "description",
            "default_branch",
            "visibility",
            "topics",
            "fork",
            "archived_on_github",
            "pushed_at",
            "html_url",
            "state",
            "archived_at",
            "summary",
            "docs_commit",
            "docs_indexed_at",
            "docs_files_indexed",
            "docs_files_skipped",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class SearchInputSerializer(serializers.Serializer):
    q = serializers.CharField(min_length=2, max_length=500)
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)
    ranking = serializers.ChoiceField(
        choices=SearchRanking.choices, required=False, help_text="Default: the platform's (DOCS_SEARCH_RANKING)."
    )
    project = serializers.CharField(
        required=False, max_length=255, help_text="Only this active project's docs: its full name or id."
    )
    topic = serializers.CharField(required=False, max_length=100, help_text="Only projects with this GitHub topic.")


class SearchProjectSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()
    html_url = serializers.CharField()


class SearchResultSerializer(serializers.Serializer):
    project = SearchProjectSerializer()
    path = serializers.CharField()
    heading = serializers.CharField(help_text="The section's heading path, plain text ('' before the first heading).")
    url = serializers.CharField(help_text="The file (and section) on GitHub at the indexed commit; may be empty.")
    snippet = serializers.CharField(help_text="Plain text around the matched terms.")
    highlights = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2),
        help_text="[start, end) character offsets of the matched query terms in `snippet`.",
    )
    score = serializers.FloatField(help_text="BM25 (lexical), cosine similarity (semantic) or fused RRF (hybrid).")
    lexical_score = serializers.FloatField(allow_null=True)
    semantic_score = serializers.FloatField(allow_null=True)
    ranking = serializers.ChoiceField(choices=SearchRanking.choices, help_text="The ranking that answered.")


def search_results_data(search) -> list[dict]:
    """A docs search's results as the API (and the MCP tool) answer them."""
    results = [
        {
            "project": {"id": result.project_id, "full_name": result.project, "html_url": result.project_html_url},
            "path": result.path,
            "heading": result.heading,
            "url": result.url,
            "snippet": result.snippet,
            "highlights": [list(span) for span in result.highlights],
            "score": result.score,
            "lexical_score": result.lexical_score,
            "semantic_score": result.semantic_score,
            "ranking": search.ranking.value,
        }
        for result in search.results
    ]
    return SearchResultSerializer(results, many=True).data


class PlaybooksInputSerializer(serializers.Serializer):
    ref = serializers.CharField(
        required=False, max_length=255, help_text="A branch, tag or commit SHA; default: the project's default branch."
    )


class PlaybooksOutputSerializer(serializers.Serializer):
    ref = serializers.CharField(help_text="The ref asked for (or the default branch).")
    commit = serializers.CharField(help_text="The 40-digit SHA of the commit the ref named.")
    playbooks = serializers.ListField(
        child=serializers.CharField(),
        help_text=".yml/.yaml files at the top level and under playbooks/ (not roles/, group_vars/, "
        "collections/, ...), in path order (docs/projects.md).",
    )


class RunQueuedOutputSerializer(serializers.Serializer):
    run_id = serializers.IntegerField()
