"""The sandbox GitHub over HTTP: GitHub-compatible JSON views, thin over services and selectors.

Every request: 404 unless SANDBOX_ENABLED; counted per method and path; answered by a matching
fault if one is set (services.sandbox_github_fault_add); authenticated (401 "Bad credentials");
counted against the hourly rate limit (403 "API rate limit exceeded" when spent; GET /rate_limit
and App-token requests cost nothing); the configured organization seeded; then answered. Every
answer carries X-RateLimit-Limit/Remaining/Reset/Used/Resource. Errors are GitHub's
`{"message": ..., "documentation_url": ...}`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

import structlog
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from apps.core.exceptions import NotFoundError, PlatformError
from apps.sandbox import devserver
from apps.sandbox.github import auth, selectors, services
from apps.sandbox.github.services import RateState
from apps.sandbox.models import SandboxRepository

log = structlog.get_logger(__name__)

DOCS = "https://docs.github.com/rest"
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
STATUS_MESSAGES = {
    400: "Problems parsing JSON",
    401: "Bad credentials",
    403: "Forbidden",
    404: "Not Found",
    422: "Validation Failed",
    429: "Too Many Requests",
    500: "Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class _Moved(Exception):
    def __init__(self, location: str) -> None:
        self.location = location


def error_response(message: str, *, status: int, headers: dict[str, str] | None = None) -> JsonResponse:
    return JsonResponse({"message": message, "documentation_url": DOCS}, status=status, headers=headers)


def _api_prefix() -> str:
    return reverse("sandbox_github:unknown", kwargs={"path": ""})


def _api_root(request: HttpRequest) -> str:
    return request.build_absolute_uri(_api_prefix())


def _web_root(request: HttpRequest) -> str:
    return request.build_absolute_uri(_api_prefix().removesuffix("api/v3/"))


def _rate_headers(state: RateState) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(state.limit),
        "X-RateLimit-Remaining": str(state.remaining),
        "X-RateLimit-Reset": str(state.reset),
        "X-RateLimit-Used": str(min(state.used, state.limit)),
        "X-RateLimit-Resource": "core",
    }


def _fault_response(fault: Any, state: RateState) -> JsonResponse:
    body = fault.body if fault.body is not None else {"message": STATUS_MESSAGES.get(fault.status, "Error")}
    headers = _rate_headers(state)
    if fault.rate_limit_reset is not None:
        headers.update(
            {
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Used": str(state.limit),
                "X-RateLimit-Reset": str(int(fault.rate_limit_reset.timestamp())),
            }
        )
    headers.update({str(key): str(value) for key, value in (fault.headers or {}).items()})
    return JsonResponse(body, status=fault.status, headers=headers, safe=False)


def github_endpoint(
    *methods: str, app_jwt: bool = False, costs: bool = True
) -> Callable[[Callable[..., Any]], Callable[..., HttpResponseBase]]:
    """Guard, count, fault, authenticate, rate-limit, seed, and turn domain errors into GitHub's bodies."""

    def decorator(view: Callable[..., Any]) -> Callable[..., HttpResponseBase]:
        def respond(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
            if not settings.SANDBOX_ENABLED:
                return error_response("Not Found", status=404)
            api_path = "/" + request.path.removeprefix(_api_prefix())
            services.sandbox_github_request_record(method=request.method or "", path=api_path)
            fault = services.sandbox_github_fault_take(method=request.method or "", path=api_path)
            if fault is not None:
                log.info("sandbox.github_fault", path=api_path, status=fault.status)
                return _fault_response(fault, services.sandbox_github_rate_state())
            credential = auth.presented_credential(request)
            valid = auth.app_jwt_valid(credential) if app_jwt else auth.token_valid(credential)
            if not valid:
                log.warning("sandbox.github_login_refused", path=api_path)
                return error_response(
                    "Bad credentials", status=401, headers=_rate_headers(services.sandbox_github_rate_state())
                )
            if methods and request.method not in methods:
                return error_response("Not Found", status=404)
            state = services.sandbox_github_rate_consume() if costs else services.sandbox_github_rate_state()
            if state.exhausted:
                message = "API rate limit exceeded for sandbox token. (Sandbox GitHub: resets every hour.)"
                return error_response(message, status=403, headers=_rate_headers(state))
            try:
                services.sandbox_github_repos_ensure_configured()
                body = view(request, *args, **kwargs)
            except _Moved as moved:
                body = {"message": "Moved Permanently", "url": moved.location, "documentation_url": DOCS}
                response = JsonResponse(body, status=301, headers={"Location": moved.location})
            except PlatformError as error:
                response = error_response(str(error), status=error.status_code)
            else:
                response = body if isinstance(body, JsonResponse) else JsonResponse(body, safe=False)
            for header, value in _rate_headers(state).items():
                response[header] = value
            return response

        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            return devserver.fit_for_server(request, respond(request, *args, **kwargs))

        return csrf_exempt(never_cache(wrapper))

    return decorator


def _repo(request: HttpRequest, kwargs: dict[str, Any]) -> SandboxRepository:
    """The repository of a /repos/{owner}/{repo}/... or /repositories/{id}/... path; a former
    name raises _Moved (301 to /repositories/{id}/..., as GitHub answers for a renamed repository)."""
    if "repo_id" in kwargs:
        return selectors.sandbox_github_repo_find(github_id=int(kwargs["repo_id"]))[0]
    repo, moved = selectors.sandbox_github_repo_find(owner=kwargs["owner"], name=kwargs["name"])
    if moved:
        prefix = f"{_api_prefix()}repos/{kwargs['owner']}/{kwargs['name']}"
        rest = request.path.removeprefix(prefix)
        query = f"?{request.META['QUERY_STRING']}" if request.META.get("QUERY_STRING") else ""
        raise _Moved(f"{_api_root(request)}repositories/{repo.github_id}{rest}{query}")
    return repo


def _int_param(request: HttpRequest, name: str, default: int, *, low: int, high: int) -> int:
    value = request.GET.get(name, "")
    return min(high, max(low, int(value))) if value.isdigit() else default


# --- Views ------------------------------------------------------------------------------------
@github_endpoint("GET", costs=False)
def rate_limit(request: HttpRequest) -> dict[str, Any]:
    return selectors.sandbox_github_rate_limit_as_dict(services.sandbox_github_rate_state())


@github_endpoint("GET")
def organization(request: HttpRequest, org: str) -> dict[str, Any]:
    login = selectors.sandbox_github_org_login(org)
    return selectors.sandbox_github_org_as_dict(login, api_root=_api_root(request), web_root=_web_root(request))


@github_endpoint("GET")
def organization_repos(request: HttpRequest, org: str) -> JsonResponse:
    login = selectors.sandbox_github_org_login(org)
    per_page = _int_param(request, "per_page", DEFAULT_PER_PAGE, low=1, high=MAX_PER_PAGE)
    page = _int_param(request, "page", 1, low=1, high=10**6)
    repos, total = selectors.sandbox_github_repo_page(login, page=page, per_page=per_page)
    api_root, web_root = _api_root(request), _web_root(request)
    body = [selectors.sandbox_github_repo_as_dict(repo, api_root=api_root, web_root=web_root) for repo in repos]
    last = max(1, -(-total // per_page))
    params = {key: value for key, value in request.GET.items() if key not in ("page", "per_page")}

    def link(number: int, rel: str) -> str:
        query = urlencode({**params, "per_page": per_page, "page": number})
        return f'<{request.build_absolute_uri(request.path)}?{query}>; rel="{rel}"'

    links = []
    if page > 1:
        links += [link(min(page - 1, last), "prev"), link(1, "first")]
    if page < last:
        links += [link(page + 1, "next"), link(last, "last")]
    return JsonResponse(body, safe=False, headers={"Link": ", ".join(links)} if links else None)


@github_endpoint("GET")
def repository(request: HttpRequest, **kwargs: str) -> dict[str, Any]:
    repo = _repo(request, kwargs)
    return selectors.sandbox_github_repo_as_dict(repo, api_root=_api_root(request), web_root=_web_root(request))


@github_endpoint("GET")
def branch(request: HttpRequest, branch: str, **kwargs: str) -> dict[str, Any]:
    repo = _repo(request, kwargs)
    return selectors.sandbox_github_branch_as_dict(repo, branch, api_root=_api_root(request))


@github_endpoint("GET")
def commit(request: HttpRequest, ref: str, **kwargs: str) -> dict[str, Any]:
    repo = _repo(request, kwargs)
    return selectors.sandbox_github_commit(repo, ref, api_root=_api_root(request), web_root=_web_root(request))


@github_endpoint("GET")
def tree(request: HttpRequest, sha: str, **kwargs: str) -> dict[str, Any]:
    """As GitHub: any value of `recursive` (even 0 or false) lists the whole tree; without it, one level."""
    repo = _repo(request, kwargs)
    recursive = "recursive" in request.GET
    return selectors.sandbox_github_tree(repo, sha, recursive=recursive, api_root=_api_root(request))


@github_endpoint("GET")
def readme(request: HttpRequest, **kwargs: str) -> dict[str, Any]:
    repo = _repo(request, kwargs)
    selectors.sandbox_github_check_ref(repo, request.GET.get("ref"))
    return selectors.sandbox_github_readme(repo, api_root=_api_root(request), web_root=_web_root(request))


@github_endpoint("GET")
def contents(request: HttpRequest, path: str = "", **kwargs: str) -> Any:
    repo = _repo(request, kwargs)
    selectors.sandbox_github_check_ref(repo, request.GET.get("ref"))
    return selectors.sandbox_github_contents(repo, path, api_root=_api_root(request), web_root=_web_root(request))


@github_endpoint("GET")
def blob(request: HttpRequest, sha: str, **kwargs: str) -> dict[str, Any]:
    repo = _repo(request, kwargs)
    return selectors.sandbox_github_blob(repo, sha, api_root=_api_root(request))


@github_endpoint("POST", app_jwt=True, costs=False)
def installation_access_token(request: HttpRequest, installation_id: str) -> JsonResponse:
    """Any installation id of the sandbox App gets a token valid for an hour."""
    if request.body.strip():
        try:
            json.loads(request.body)
        except (UnicodeDecodeError, ValueError):
            return error_response("Problems parsing JSON", status=400)
    token, expires_at = auth.installation_token_issue(int(installation_id))
    body = {
        "token": token,
        "expires_at": expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "permissions": {"contents": "read", "metadata": "read"},
        "repository_selection": "all",
    }
    return JsonResponse(body, status=201)


@github_endpoint()
def unknown_endpoint(request: HttpRequest, path: str) -> JsonResponse:
    raise NotFoundError("Not Found")
