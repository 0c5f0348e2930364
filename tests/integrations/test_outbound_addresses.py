"""Every HTTP client connects only to globally routable addresses, checked as each connection
opens, on the address it then connects to (apps/integrations/common/outbound.py).

The target is a real HTTP server on 127.0.0.1, reached by its address and by a name that
resolves to it ("localhost"): with private addresses refused, nothing may reach it.
"""

from __future__ import annotations

import ipaddress

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from apps.integrations.common.outbound import OutboundAddressRefused, address_allowed, outbound_session
from apps.integrations.github import GitHubClient, GitHubError
from apps.integrations.notify import NotifyError, send_slack, send_telegram, send_webhook
from apps.integrations.providers.time4vps import ProviderRequestError, Time4VPSClient, Time4VPSError

REFUSED = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",  # CGNAT: holds cloud metadata addresses, never global
    "100.100.100.200",
    "0.0.0.0",  # noqa: S104 (an address to refuse, not one to bind)
    "192.0.2.10",
    "198.18.0.1",
    "224.0.0.1",
    "::1",
    "fe80::1%eth0",
    "fc00::1",
    "::ffff:127.0.0.1",
    "::ffff:100.64.0.1",
    "2001:db8::1",
]
ALLOWED = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"]


@pytest.mark.parametrize("address", REFUSED)
def test_addresses_that_are_not_globally_routable_are_refused(address):
    assert not address_allowed(address, allow_private=False)
    assert address_allowed(address, allow_private=True)  # development: the sandbox is on loopback


@pytest.mark.parametrize("address", ALLOWED)
def test_globally_routable_addresses_are_allowed(address):
    assert ipaddress.ip_address(address).is_global
    assert address_allowed(address, allow_private=False)


@pytest.fixture(params=["127.0.0.1", "localhost"])
def loopback_url(request, webhook_receiver):
    """The receiver's URL by its address and by a name that resolves to it."""
    return webhook_receiver.url.replace("127.0.0.1", request.param)


def test_the_provider_client_refuses_a_loopback_target_without_sending(loopback_url, webhook_receiver):
    client = Time4VPSClient(
        base_url=f"{loopback_url}/api", username="ops@example.com", password="pw", allow_private_addresses=False
    )

    with pytest.raises(ProviderRequestError) as refused, client:
        client.list_servers()

    assert "not sent" in str(refused.value)
    assert "127.0.0.1" in str(refused.value)
    assert "not a globally routable address" in str(refused.value)
    assert not refused.value.retryable
    assert webhook_receiver.requests == []


def test_the_provider_client_connects_where_private_addresses_are_allowed(loopback_url, webhook_receiver):
    client = Time4VPSClient(
        base_url=f"{loopback_url}/api",
        username="ops@example.com",
        password="pw",
        allow_private_addresses=True,
        retry_attempts=1,
    )

    with pytest.raises(Time4VPSError), client:  # the receiver is no provider: any refusal of its answer will do
        client.list_servers()

    assert [request.path for request in webhook_receiver.requests] == ["/api/server"]


def test_the_github_client_refuses_a_loopback_target_without_sending(loopback_url, webhook_receiver):
    client = GitHubClient(
        base_url=f"{loopback_url}/api/v3", organization="acme", token="ghp_token", allow_private_addresses=False
    )

    with pytest.raises(GitHubError) as refused, client:
        client.organization_summary()

    assert "not sent" in str(refused.value)
    assert "not a globally routable address" in str(refused.value)
    assert not refused.value.retryable
    assert webhook_receiver.requests == []


def test_the_github_app_installation_token_is_not_fetched_from_a_loopback_target(loopback_url, webhook_receiver):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    client = GitHubClient(
        base_url=f"{loopback_url}/api/v3",
        organization="acme",
        app_id=1,
        app_private_key=pem,
        installation_id=2,
        allow_private_addresses=False,
    )

    with pytest.raises(GitHubError) as refused, client:
        client.organization_summary()

    assert "not a globally routable address" in str(refused.value)
    assert webhook_receiver.requests == []


def test_notifications_are_not_sent_to_a_loopback_target(loopback_url, webhook_receiver):
    attempts = [
        lambda: send_webhook(url=f"{loopback_url}/hook", payload={"event": "x"}, secret="hmac-secret"),
        lambda: send_slack(webhook_url=f"{loopback_url}/slack/T1/B2/slacksecretpart", text="hi"),
        lambda: send_telegram(bot_token="123:bot-secret-token", chat_id="42", text="hi", api_base=loopback_url),
    ]
    for attempt in attempts:
        with pytest.raises(NotifyError) as refused:
            attempt()
        message = str(refused.value)
        assert "not sent" in message
        assert "not a globally routable address" in message
        assert "slacksecretpart" not in message
        assert "bot-secret-token" not in message
        assert refused.value.retryable is False

    assert webhook_receiver.requests == []


def test_a_name_that_rebinds_to_loopback_after_it_was_checked_is_refused_on_connect(monkeypatch, webhook_receiver):
    """DNS rebinding: the name resolved to a public address when the URL was saved; by the time the
    platform connects it resolves to loopback. The connection checks the address it connects to."""
    import socket

    from apps.core.validators import outbound_url_problems

    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["93.184.216.34"])

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.example":
            address = next(answers, "127.0.0.1")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    port = webhook_receiver.url.rsplit(":", 1)[1]
    url = f"http://rebind.example:{port}/hook"

    with pytest.MonkeyPatch.context() as patched:
        from django.conf import settings

        patched.setattr(settings, "PROVIDER_ALLOW_PRIVATE_ADDRESSES", False)
        assert outbound_url_problems(url) == []  # when saved: a public address
    with pytest.raises(NotifyError) as refused:
        send_webhook(url=url, payload={"event": "x"}, secret="hmac-secret")

    assert "rebind.example resolves to 127.0.0.1" in str(refused.value)
    assert webhook_receiver.requests == []


def test_a_proxied_request_is_checked_before_it_reaches_the_proxy(webhook_receiver):
    session = outbound_session(allow_private=False)
    session.trust_env = False

    with pytest.raises(OutboundAddressRefused) as refused, session:
        session.get("http://localhost:1/metadata", proxies={"http": webhook_receiver.url}, timeout=3)

    assert "not a globally routable address" in str(refused.value)
    assert webhook_receiver.requests == []
