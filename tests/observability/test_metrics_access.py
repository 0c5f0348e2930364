"""/metrics answers only to the configured scraper: bearer token, address allowlist, loopback by default."""

import pytest

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-0123456789abcdef0123456789"


def get(client, *, addr: str = "127.0.0.1", token: str | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    return client.get("/metrics", REMOTE_ADDR=addr, **headers)


def is_metrics_page(response) -> bool:
    return b"fleet_servers" in response.content


def test_unconfigured_metrics_answer_loopback_only_outside_production(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []

    assert is_metrics_page(get(client, addr="127.0.0.1"))
    assert is_metrics_page(get(client, addr="::1"))
    refused = get(client, addr="192.0.2.10")
    assert refused.status_code == 403
    assert not is_metrics_page(refused)


def test_unconfigured_metrics_answer_no_one_in_production(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    settings.IS_PRODUCTION = True

    response = get(client, addr="127.0.0.1")

    assert response.status_code == 403
    assert not is_metrics_page(response)


def test_a_missing_or_wrong_token_gets_401_with_a_bearer_challenge(client, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []

    for response in (get(client), get(client, token="wrong"), get(client, token=TOKEN[:-1])):
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert not is_metrics_page(response)
        assert TOKEN.encode() not in response.content
    basic = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION=f"Basic {TOKEN}")
    assert basic.status_code == 401


def test_the_right_token_reads_the_metrics_from_any_address(client, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []

    response = get(client, addr="203.0.113.9", token=TOKEN)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert is_metrics_page(response)
    assert TOKEN not in response.content.decode()


def test_the_allowlist_admits_its_networks_and_refuses_others(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"]

    assert is_metrics_page(get(client, addr="10.20.30.40"))
    assert is_metrics_page(get(client, addr="2001:db8::5"))
    assert is_metrics_page(get(client, addr="192.0.2.7"))
    assert is_metrics_page(get(client, addr="::ffff:10.1.1.1"))
    for outsider in ("192.0.2.8", "127.0.0.1", "2001:db9::1"):
        response = get(client, addr=outsider)
        assert response.status_code == 403, outsider
        assert not is_metrics_page(response)


def test_token_and_allowlist_together_both_apply(client, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]

    assert get(client, addr="10.0.0.5", token=TOKEN).status_code == 200
    assert get(client, addr="10.0.0.5").status_code == 401
    assert get(client, addr="192.0.2.1", token=TOKEN).status_code == 403


def test_only_get_is_served(client, settings):
    settings.METRICS_TOKEN = TOKEN

    response = client.post("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 405


def test_a_malformed_allowlist_fails_the_system_check(settings):
    from django.core.checks import run_checks

    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8", "not-a-network"]

    errors = [error for error in run_checks() if error.id == "observability.E001"]

    assert len(errors) == 1
    assert "not-a-network" in errors[0].msg
