from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.openapi import ErrorSerializer
from apps.core.api.query import query_input
from apps.core.api.writes import ServiceWritesMixin
from apps.core.choices import Trigger
from apps.projects import selectors, services
from apps.projects.api.filters import ProjectFilter
from apps.projects.api.serializers import (
    GitHubAccountInputSerializer,
    GitHubAccountOutputSerializer,
    PlaybooksInputSerializer,
    PlaybooksOutputSerializer,
    ProjectOutputSerializer,
    RunQueuedOutputSerializer,
    SearchInputSerializer,
    SearchResultSerializer,
    search_results_data,
)
from apps.projects.choices import SearchRanking
from apps.projects.models import GitHubAccount, Project

# Which ranking answered a docs search (also in each result).
RANKING_HEADER = "X-Search-Ranking"


@extend_schema_view(
    create=extend_schema(request=GitHubAccountInputSerializer, responses={201: GitHubAccountOutputSerializer}),
    partial_update=extend_schema(request=GitHubAccountInputSerializer, responses=GitHubAccountOutputSerializer),
)
class GitHubAccountViewSet(
    ServiceWritesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """GitHub organizations. Tokens and private keys are write-only: no answer ever contains them."""

    queryset = GitHubAccount.objects.none()  # for the schema; requests use the selector
    serializer_class = GitHubAccountOutputSerializer
    input_serializer_class = GitHubAccountInputSerializer
    permissions_by_action = {"sync": "projects.sync_githubaccount"}
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.github_account_list()

    def create_record(self, data):
        return services.github_account_create(data=data)

    def update_record(self, instance, data):
        return services.github_account_update(account=instance, data=data)

    @extend_schema(request=None, responses={202: RunQueuedOutputSerializer})
    @action(detail=True, methods=["post"])
    def sync(self, request: Request, pk: str | None = None) -> Response:
        """Queue a sync of this organization now: 202 with the run's id (GET /api/sync-runs/{id}/)."""
        run = services.github_sync_queue(account=self.get_object(), trigger=Trigger.API, user=request.user)
        return Response(RunQueuedOutputSerializer({"run_id": run.pk}).data, status=status.HTTP_202_ACCEPTED)


class ProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The organization's repositories, with their docs summary."""

    queryset = Project.objects.none()  # for the schema; requests use the selector
    serializer_class = ProjectOutputSerializer
    permissions_by_action = {"search": "projects.view_project", "playbooks": "projects.view_project"}
    filterset_class = ProjectFilter
    search_fields = ["full_name", "description", "summary"]
    ordering_fields = ["full_name", "pushed_at", "created_at", "docs_indexed_at"]

    def get_queryset(self):
        return selectors.project_list()

    @extend_schema(parameters=[SearchInputSerializer], responses=SearchResultSerializer(many=True))
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def search(self, request: Request) -> Response:
        """Search every active project's documentation: the documents that answer `q`, best first.

        A list, as it always was; each result, and the `X-Search-Ranking` header, say which ranking
        answered. A query that matches nothing answers an empty list.
        """
        params = query_input(request, SearchInputSerializer)
        search = selectors.docs_search(
            query=params["q"],
            limit=params["limit"],
            ranking=SearchRanking(params["ranking"]) if params.get("ranking") else None,
            project=params.get("project"),
            topic=params.get("topic"),
        )
        response = Response(search_results_data(search))
        response[RANKING_HEADER] = search.ranking.value
        return response

    @extend_schema(
        parameters=[PlaybooksInputSerializer],
        responses={
            200: PlaybooksOutputSerializer,
            503: OpenApiResponse(ErrorSerializer, description="GitHub could not be asked."),
        },
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def playbooks(self, request: Request, pk: str | None = None) -> Response:
        """The playbooks in the repository at `ref` (default: the default branch), read from GitHub now.

        400 with field errors for a ref that names no branch, tag or commit; 503 when GitHub cannot answer.
        """
        params = query_input(request, PlaybooksInputSerializer)
        project = self.get_object()
        ref = params.get("ref") or project.default_branch
        commit = services.project_ref_resolve(project=project, ref=ref, field="ref")
        playbooks = services.project_playbooks(project=project, ref=commit, field="ref")
        return Response(PlaybooksOutputSerializer({"ref": ref, "commit": commit, "playbooks": playbooks}).data)
