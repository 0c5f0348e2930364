"""Notification senders: e-mail, a signed JSON webhook, Slack incoming webhooks and the Telegram Bot API.

    send_webhook(url=..., payload={"event": "deploy.failed", ...}, secret=...)
    send_slack(webhook_url=..., text="Deploy failed")
    send_telegram(bot_token=..., chat_id="-100123", text="Deploy failed")
    send_email(recipients=["ops@example.com"], subject=..., text=..., from_email=...)

`CHANNEL_SENDERS` maps each kind of notification channel to its sender ("webhook", "slack",
"telegram", "email"); `channel_sender(kind)` looks one up. Each HTTP sender makes one request
with a time-out (10 s by default) and never retries; every failure is a `NotifyError` whose
`retryable` tells the caller's Celery task whether to retry with backoff. Receivers check a
webhook with `webhook_signature_valid(body, secret, header)`.
"""

from .channels import CHANNEL_SENDERS, ChannelMessage, ChannelSender, SendOptions, channel_sender
from .errors import NotifyError
from .mail import send_email
from .senders import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    send_slack,
    send_telegram,
    send_webhook,
    webhook_body,
    webhook_signature,
    webhook_signature_valid,
)

__all__ = [
    "CHANNEL_SENDERS",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "ChannelMessage",
    "ChannelSender",
    "NotifyError",
    "SendOptions",
    "channel_sender",
    "send_email",
    "send_slack",
    "send_telegram",
    "send_webhook",
    "webhook_body",
    "webhook_signature",
    "webhook_signature_valid",
]
