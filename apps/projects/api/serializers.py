from rest_framework import serializers

from apps.core.api.fields import SecretField
from apps.projects.choices import GitHubAuthKind
from apps.projects.models import GITHUB_API_URL, GitHubAccount, Project
from apps.projects.services import github_account_problems
from apps.projects.services.accounts import ACCOUNT_FIELDS


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
    app_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    app_private_key = SecretField(required=False, allow_null=True)
    installation_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
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


class SearchResultSerializer(serializers.Serializer):
    project = serializers.DictField()
    path = serializers.CharField()
    heading = serializers.CharField()
    snippet = serializers.CharField()
    score = serializers.FloatField()


class RunQueuedOutputSerializer(serializers.Serializer):
    run_id = serializers.IntegerField()
