"""The sandbox GitHub's HTTP contract: auth, pagination, rate-limit headers, contents, redirects, faults."""

import base64
import time
from datetime import UTC, datetime

import jwt
import pytest

from apps.sandbox.github import catalog, services
from tests.sandbox.github.conftest import APP_ID, ORG, TOKEN, GitHubApi

pytestmark = pytest.mark.django_db(transaction=True)

RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Used")


def app_jwt(*, iss=APP_ID, expires_in=300) -> str:
    now = int(time.time())
    return jwt.encode(
        {"iat": now - 60, "exp": now + expires_in, "iss": str(iss)}, "any-key-the-sandbox-ignores-its-signature"
    )


def test_a_request_without_a_token_is_refused_with_bad_credentials(anonymous_gh):
    response = anonymous_gh.get(f"/orgs/{ORG}")

    assert response.status_code == 401
    assert response.json()["message"] == "Bad credentials"
    assert all(header in response.headers for header in RATE_HEADERS)


@pytest.mark.parametrize("authorization", [f"token {TOKEN}", f"Bearer {TOKEN}"])
def test_the_configured_token_is_accepted_with_either_scheme(github_url, authorization):
    assert GitHubApi(github_url, authorization).get(f"/orgs/{ORG}").status_code == 200


@pytest.mark.parametrize("authorization", ["token wrong", f"Basic {TOKEN}", f"token {TOKEN}x", "token "])
def test_a_wrong_token_is_refused(github_url, authorization):
    assert GitHubApi(github_url, authorization).get(f"/orgs/{ORG}").status_code == 401


def test_an_app_jwt_buys_an_installation_token_that_then_works(github_url, anonymous_gh):
    response = anonymous_gh.post(
        "/app/installations/42/access_tokens", headers={"Authorization": f"Bearer {app_jwt()}"}
    )

    assert response.status_code == 201
    token = response.json()["token"]
    assert response.json()["expires_at"].endswith("Z")
    assert GitHubApi(github_url, f"token {token}").get(f"/orgs/{ORG}").status_code == 200
    tampered = token[:-1] + ("1" if token[-1] == "0" else "0")
    assert GitHubApi(github_url, f"token {tampered}").get(f"/orgs/{ORG}").status_code == 401


@pytest.mark.parametrize("token", [app_jwt(iss=APP_ID + 1), app_jwt(expires_in=-10), "not-a-jwt", TOKEN])
def test_the_token_endpoint_wants_a_live_jwt_of_the_sandbox_app(anonymous_gh, token):
    response = anonymous_gh.post("/app/installations/42/access_tokens", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401


def test_a_jwt_is_not_a_token_for_the_rest_of_the_api(github_url):
    assert GitHubApi(github_url, f"Bearer {app_jwt()}").get(f"/orgs/{ORG}").status_code == 401


def test_the_repository_listing_paginates_with_a_link_header(gh):
    first = gh.get(f"/orgs/{ORG}/repos", params={"per_page": 5})
    second = gh.get(first.links["next"]["url"])
    last = gh.get(first.links["last"]["url"])

    assert [len(r.json()) for r in (first, second, last)] == [5, 5, 2]
    assert set(first.links) == {"next", "last"}
    assert set(second.links) == {"prev", "first", "next", "last"}
    assert set(last.links) == {"prev", "first"}
    assert "page=3" in first.links["last"]["url"]
    ids = [repo["id"] for r in (first, second, last) for repo in r.json()]
    assert ids == sorted(ids)
    assert len(set(ids)) == 12


def test_per_page_is_capped_at_100_and_a_page_past_the_end_is_empty(gh, github_settings):
    github_settings.SANDBOX_GITHUB_REPO_COUNT = 120

    assert len(gh.get(f"/orgs/{ORG}/repos", params={"per_page": 500}).json()) == 100
    past = gh.get(f"/orgs/{ORG}/repos", params={"page": 9})
    assert past.status_code == 200
    assert past.json() == []


def test_every_request_uses_one_unit_of_the_budget_but_rate_limit_itself_is_free(gh):
    first = gh.get(f"/orgs/{ORG}")
    second = gh.get(f"/orgs/{ORG}/repos")
    overview = gh.get("/rate_limit")

    assert int(first.headers["X-RateLimit-Remaining"]) == 4999
    assert int(second.headers["X-RateLimit-Remaining"]) == 4998
    assert overview.json()["resources"]["core"]["remaining"] == 4998
    assert overview.json()["rate"]["used"] == 2
    assert int(overview.headers["X-RateLimit-Reset"]) % 3600 == 0


def test_a_spent_budget_answers_403_with_github_s_message(gh, github_settings):
    github_settings.SANDBOX_GITHUB_RATE_LIMIT = 1
    gh.get(f"/orgs/{ORG}")

    response = gh.get(f"/orgs/{ORG}")

    assert response.status_code == 403
    assert response.json()["message"].startswith("API rate limit exceeded")
    assert response.headers["X-RateLimit-Remaining"] == "0"


def test_the_sandbox_answers_404_when_it_is_disabled(gh, github_settings):
    github_settings.SANDBOX_ENABLED = False

    response = gh.get(f"/orgs/{ORG}")

    assert response.status_code == 404
    assert response.json()["message"] == "Not Found"


@pytest.mark.parametrize("path", ["/nothing/here", "/orgs/unknown-org", f"/repos/{ORG}/unknown", "/repositories/1"])
def test_unknown_paths_answer_github_s_404_body(gh, path):
    response = gh.get(path)

    assert response.status_code == 404
    assert response.json()["message"] == "Not Found"


def test_a_directory_lists_its_entries_with_type_size_path_and_sha(gh):
    entries = gh.get(f"/repos/{ORG}/auth-gateway/contents/docs").json()  # repository 4 has a diagram

    by_path = {entry["path"]: entry for entry in entries}
    assert by_path["docs/guides"]["type"] == "dir"
    assert by_path["docs/diagram.png"]["size"] == len(catalog.DIAGRAM_PNG)
    assert by_path["docs/architecture.md"]["sha"] == catalog.blob_sha(
        catalog.repo_files(ORG, 4)["docs/architecture.md"]
    )


def test_a_file_comes_base64_encoded_and_its_blob_matches(gh):
    file = gh.get(f"/repos/{ORG}/billing-engine/contents/README.md", params={"ref": "main"}).json()
    blob = gh.get(f"/repos/{ORG}/billing-engine/git/blobs/{file['sha']}").json()

    assert file["encoding"] == blob["encoding"] == "base64"
    assert base64.b64decode(file["content"]) == base64.b64decode(blob["content"])
    assert base64.b64decode(blob["content"]).startswith(b"# billing-engine")


def test_a_file_over_one_megabyte_comes_without_content_as_github_sends_it(gh):
    services.sandbox_github_file_put(name="billing-engine", path="docs/big.md", size=1_200_000)

    file = gh.get(f"/repos/{ORG}/billing-engine/contents/docs/big.md").json()

    assert (file["encoding"], file["content"], file["size"]) == ("none", "", 1_200_000)


def test_an_unknown_ref_answers_404(gh):
    response = gh.get(f"/repos/{ORG}/billing-engine/readme", params={"ref": "nope"})

    assert response.status_code == 404
    assert response.json()["message"] == "No commit found for the ref nope"


def test_a_renamed_repository_redirects_its_old_name_to_its_id(gh):
    services.sandbox_github_repo_rename(name="billing-engine", new_name="invoices")

    response = gh.get(f"/repos/{ORG}/billing-engine/branches/main")

    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/repositories/{catalog.repo_github_id(ORG, 3)}/branches/main")
    assert gh.get(response.headers["Location"]).json()["name"] == "main"


def test_a_fault_answers_its_times_then_the_world_answers_again(gh):
    services.sandbox_github_fault_add(path="/orgs/*", status=503, times=2)

    statuses = [gh.get(f"/orgs/{ORG}").status_code for _ in range(3)]

    assert statuses == [503, 503, 200]


def test_a_fault_matches_its_method_and_path_only_until_cleared(gh):
    services.sandbox_github_fault_add(path=f"/orgs/{ORG}/repos", status=500, times=None)

    assert gh.get(f"/orgs/{ORG}").status_code == 200
    assert gh.get(f"/orgs/{ORG}/repos").status_code == 500
    assert services.sandbox_github_faults_clear() == 1
    assert gh.get(f"/orgs/{ORG}/repos").status_code == 200


def test_a_rate_limit_fault_carries_remaining_zero_and_its_reset(gh):
    reset = int(time.time()) + 600
    services.sandbox_github_fault_rate_limited(reset_at=datetime.fromtimestamp(reset, UTC))

    response = gh.get(f"/orgs/{ORG}")

    assert response.status_code == 403
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert response.headers["X-RateLimit-Reset"] == str(reset)
