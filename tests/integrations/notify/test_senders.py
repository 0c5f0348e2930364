"""The notification senders over real HTTP against the loopback receiver (tests/fakes/webhook_receiver.py)."""

from __future__ import annotations

import json
import time

import pytest

from apps.integrations import notify
from apps.integrations.common.errors import IntegrationError
from apps.integrations.notify import NotifyError, webhook_body, webhook_signature, webhook_signature_valid

SECRET = "hmac-secret-0f1e2d3c4b5a"
BOT_TOKEN = "123456:AAH-secret-bot-token_xyz"
SLACK_PATH = "/slack/services/T0001/B0002/slacksecretpart"
PAYLOAD = {"event": "deploy.failed", "project": "Zürich", "id": 7, "details": {"b": 2, "a": 1}}


# The receiver listens on loopback, which the senders refuse unless told otherwise: these tests
# are about the protocols (the address guard is tests/integrations/test_outbound_addresses.py's).
def send_webhook(**options):
    notify.send_webhook(allow_private_addresses=True, **options)


def send_slack(**options):
    notify.send_slack(allow_private_addresses=True, **options)


def send_telegram(**options):
    notify.send_telegram(allow_private_addresses=True, **options)


def assert_no_secret(error: NotifyError, *secrets: str) -> None:
    text = " ".join(str(part) for part in (error, error.message, error.path, repr(error)))
    for secret in secrets:
        assert secret not in text
    # the requests exception (its text holds the URL) is not chained for a traceback to show
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


# --- webhook -------------------------------------------------------------------------------------


def test_webhook_arrives_signed_and_the_signature_checks(webhook_receiver):
    before = int(time.time())
    send_webhook(url=webhook_receiver.url + "/hooks/fleet", payload=PAYLOAD, secret=SECRET)

    (request,) = webhook_receiver.requests
    assert request.method == "POST"
    assert request.path == "/hooks/fleet"
    assert request.body == webhook_body(PAYLOAD)
    assert request.body == json.dumps(PAYLOAD, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
    assert "Zürich".encode() in request.body
    assert request.header("Content-Type") == "application/json"
    assert request.header("User-Agent") == "fleet-platform"
    assert before <= int(request.header("X-Fleet-Timestamp")) <= int(time.time())
    signature = request.header("X-Fleet-Signature")
    assert signature.startswith("sha256=")
    assert signature == webhook_signature(request.body, SECRET)
    assert webhook_signature_valid(request.body, SECRET, signature)


def test_tampered_body_wrong_secret_or_bad_header_fail_the_check(webhook_receiver):
    send_webhook(url=webhook_receiver.url + "/hook", payload=PAYLOAD, secret=SECRET)
    (request,) = webhook_receiver.requests
    signature = request.header("X-Fleet-Signature")

    tampered = request.body.replace(b'"id":7', b'"id":8')
    assert tampered != request.body
    assert not webhook_signature_valid(tampered, SECRET, signature)
    assert not webhook_signature_valid(request.body, "other-secret", signature)
    assert not webhook_signature_valid(request.body, SECRET, "")
    assert not webhook_signature_valid(request.body, SECRET, signature[len("sha256=") :])
    assert not webhook_signature_valid(request.body, SECRET, "sha256=ü")


def test_webhook_500_is_retryable(webhook_receiver):
    webhook_receiver.fail_with(500)
    with pytest.raises(NotifyError) as caught:
        send_webhook(url=webhook_receiver.url + "/hook?token=querysecret", payload=PAYLOAD, secret=SECRET)
    error = caught.value
    assert isinstance(error, IntegrationError)
    assert error.retryable is True
    assert (error.status, error.method, error.path) == (500, "POST", "/hook")
    assert_no_secret(error, SECRET, "querysecret")
    # no retry of its own
    assert len(webhook_receiver.requests) == 1


def test_webhook_429_is_retryable_with_retry_after(webhook_receiver):
    webhook_receiver.fail_with(429, headers={"Retry-After": "30"})
    with pytest.raises(NotifyError) as caught:
        send_webhook(url=webhook_receiver.url + "/hook", payload=PAYLOAD, secret=SECRET)
    assert caught.value.retryable is True
    assert caught.value.retry_after == 30


@pytest.mark.parametrize("status", [400, 401, 404, 410])
def test_webhook_4xx_is_not_retryable(webhook_receiver, status):
    webhook_receiver.fail_with(status)
    with pytest.raises(NotifyError) as caught:
        send_webhook(url=webhook_receiver.url + "/hook", payload=PAYLOAD, secret=SECRET)
    assert caught.value.retryable is False
    assert caught.value.status == status
    assert_no_secret(caught.value, SECRET)


def test_webhook_redirect_is_not_followed(webhook_receiver):
    webhook_receiver.fail_with(302, headers={"Location": "/elsewhere"})
    with pytest.raises(NotifyError) as caught:
        send_webhook(url=webhook_receiver.url + "/hook", payload=PAYLOAD, secret=SECRET)
    assert caught.value.retryable is False
    assert len(webhook_receiver.requests) == 1


def test_webhook_closed_port_is_retryable(closed_port):
    with pytest.raises(NotifyError) as caught:
        send_webhook(url=f"http://127.0.0.1:{closed_port}/hook", payload=PAYLOAD, secret=SECRET, timeout=2)
    assert caught.value.retryable is True
    assert caught.value.status is None
    assert "connection failed" in caught.value.message
    assert_no_secret(caught.value, SECRET)


def test_webhook_timeout_is_retryable(tarpit):
    started = time.monotonic()
    with pytest.raises(NotifyError) as caught:
        send_webhook(url=f"http://{tarpit.host}:{tarpit.port}/hook", payload=PAYLOAD, secret=SECRET, timeout=0.5)
    assert time.monotonic() - started < 5
    assert caught.value.retryable is True
    assert "timed out" in caught.value.message


def test_webhook_unserializable_payload_is_not_retryable(webhook_receiver):
    with pytest.raises(NotifyError) as caught:
        send_webhook(url=webhook_receiver.url + "/hook", payload={"when": object()}, secret=SECRET)
    assert caught.value.retryable is False
    assert webhook_receiver.requests == []


def test_webhook_recovers_after_the_failures(webhook_receiver):
    webhook_receiver.fail_with(503, times=2)
    url = webhook_receiver.url + "/hook"
    for _ in range(2):
        with pytest.raises(NotifyError):
            send_webhook(url=url, payload=PAYLOAD, secret=SECRET)
    send_webhook(url=url, payload=PAYLOAD, secret=SECRET)
    assert len(webhook_receiver.requests) == 3


# --- Slack ---------------------------------------------------------------------------------------


def test_slack_posts_text_json(webhook_receiver):
    send_slack(webhook_url=webhook_receiver.url + SLACK_PATH, text="Deploy failed: *api* ✗")
    (request,) = webhook_receiver.requests
    assert (request.method, request.path) == ("POST", SLACK_PATH)
    assert request.header("Content-Type").startswith("application/json")
    assert request.json() == {"text": "Deploy failed: *api* ✗"}


def test_slack_200_with_other_body_is_fine(webhook_receiver):
    webhook_receiver.fail_with(200, body=b"something else")
    send_slack(webhook_url=webhook_receiver.url + SLACK_PATH, text="hi")


@pytest.mark.parametrize(("status", "retryable"), [(404, False), (400, False), (429, True), (500, True)])
def test_slack_errors_never_show_the_webhook_url(webhook_receiver, status, retryable):
    url = webhook_receiver.url + SLACK_PATH
    # a body that echoes the secret URL path must be redacted too
    webhook_receiver.fail_with(status, body=f"no_service {SLACK_PATH}".encode())
    with pytest.raises(NotifyError) as caught:
        send_slack(webhook_url=url, text="hi")
    error = caught.value
    assert (error.retryable, error.status, error.path) == (retryable, status, None)
    assert "no_service" in error.message
    assert_no_secret(error, url, "slacksecretpart", "T0001/B0002")


def test_slack_closed_port_is_retryable_without_url(closed_port):
    url = f"http://127.0.0.1:{closed_port}{SLACK_PATH}"
    with pytest.raises(NotifyError) as caught:
        send_slack(webhook_url=url, text="hi", timeout=2)
    assert caught.value.retryable is True
    assert_no_secret(caught.value, url, "slacksecretpart", str(closed_port))


# --- Telegram ------------------------------------------------------------------------------------


def test_telegram_posts_send_message(webhook_receiver):
    send_telegram(bot_token=BOT_TOKEN, chat_id="-100123", text="Deploy failed", api_base=webhook_receiver.url)
    (request,) = webhook_receiver.requests
    assert (request.method, request.path) == ("POST", f"/bot{BOT_TOKEN}/sendMessage")
    assert request.header("Content-Type").startswith("application/json")
    assert request.json() == {"chat_id": "-100123", "text": "Deploy failed"}


def test_telegram_ok_false_gives_the_description_without_the_token(webhook_receiver):
    webhook_receiver.fail_with(400, description=f"Bad Request: chat not found (bot {BOT_TOKEN})")
    with pytest.raises(NotifyError) as caught:
        send_telegram(bot_token=BOT_TOKEN, chat_id="42", text="hi", api_base=webhook_receiver.url)
    error = caught.value
    assert "Bad Request: chat not found" in error.message
    assert error.retryable is False
    assert error.status == 400
    assert error.path == "/bot***/sendMessage"
    assert_no_secret(error, BOT_TOKEN)


def test_telegram_ok_false_with_200_is_an_error(webhook_receiver):
    webhook_receiver.fail_with(200, body=b'{"ok": false, "description": "Forbidden: bot was blocked by the user"}')
    with pytest.raises(NotifyError) as caught:
        send_telegram(bot_token=BOT_TOKEN, chat_id="42", text="hi", api_base=webhook_receiver.url)
    assert "bot was blocked" in caught.value.message
    assert caught.value.retryable is False


def test_telegram_429_is_retryable_with_retry_after(webhook_receiver):
    body = json.dumps(
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 5",
            "parameters": {"retry_after": 5},
        }
    ).encode()
    webhook_receiver.fail_with(429, body=body)
    with pytest.raises(NotifyError) as caught:
        send_telegram(bot_token=BOT_TOKEN, chat_id="42", text="hi", api_base=webhook_receiver.url)
    assert caught.value.retryable is True
    assert caught.value.retry_after == 5
    assert "Too Many Requests" in caught.value.message


def test_telegram_5xx_with_non_json_is_retryable(webhook_receiver):
    webhook_receiver.fail_with(502, body=b"<html>Bad Gateway</html>")
    with pytest.raises(NotifyError) as caught:
        send_telegram(bot_token=BOT_TOKEN, chat_id="42", text="hi", api_base=webhook_receiver.url)
    assert caught.value.retryable is True
    assert_no_secret(caught.value, BOT_TOKEN)


def test_telegram_closed_port_is_retryable_without_the_token(closed_port):
    with pytest.raises(NotifyError) as caught:
        send_telegram(
            bot_token=BOT_TOKEN, chat_id="42", text="hi", api_base=f"http://127.0.0.1:{closed_port}", timeout=2
        )
    assert caught.value.retryable is True
    assert_no_secret(caught.value, BOT_TOKEN)
