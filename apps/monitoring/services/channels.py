"""Notification channels: what one may point at, sending through one, and its delivery record.

The sender of each kind lives in the table of apps/integrations/notify/channels.py; the channel's
kind picks its entry, so a new kind is a new entry there and a new ChannelKind choice, nothing here.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from apps.core.validators import outbound_url_problems
from apps.integrations.notify import CHANNEL_SENDERS, ChannelMessage, NotifyError, SendOptions, channel_sender
from apps.monitoring.models import NotificationChannel


def channel_problems(*, kind: str, target: str, secret: str | None) -> dict[str, list[str]]:
    """Field errors of a channel's values. `secret` is None when it stays as stored (unchanged).

    The value a sender posts to (a webhook's URL in `target`, a Slack incoming webhook in
    `secret`) must be a URL the platform may call; Telegram's address is TELEGRAM_API_BASE,
    checked on every connection. The problems name the host at most, never a secret URL's path.
    """
    sender = CHANNEL_SENDERS.get(kind)
    if sender is None or sender.url_field is None:
        return {}
    url = (target or "") if sender.url_field == "target" else secret
    if url is None:
        return {}
    problems = outbound_url_problems(url)
    if not problems:
        return {}
    if sender.url_label:
        problems = [f"{sender.url_label} {problem}" for problem in problems]
    return {sender.url_field: problems}


def _send_options() -> SendOptions:
    return SendOptions(
        from_email=settings.DEFAULT_FROM_EMAIL,
        telegram_api_base=settings.TELEGRAM_API_BASE,
        timeout=settings.NOTIFY_TIMEOUT_SECONDS,
        allow_private_addresses=settings.PROVIDER_ALLOW_PRIVATE_ADDRESSES,
    )


def channel_send(*, channel: NotificationChannel, text: str, payload: dict, subject: str) -> None:
    """Send one message through the sender of the channel's kind; raises NotifyError."""
    sender = channel_sender(channel.kind)
    sender.send(
        target=channel.target,
        secret=channel.secret or "",
        message=ChannelMessage(subject=subject, text=text, payload=payload),
        options=_send_options(),
    )


def channel_failure_record(*, channel: NotificationChannel, error: str) -> None:
    NotificationChannel.objects.filter(pk=channel.pk).update(
        last_failure_at=timezone.now(), last_error=error[:2000], consecutive_failures=F("consecutive_failures") + 1
    )


def channel_success_record(*, channel: NotificationChannel, at: datetime) -> None:
    NotificationChannel.objects.filter(pk=channel.pk).update(last_success_at=at, consecutive_failures=0)


def channel_send_test(*, channel: NotificationChannel) -> None:
    """Send a test message now (the admin's "send test"); records the outcome; raises NotifyError."""
    text = f"Test message from the fleet platform to {channel.name}."
    payload = {"event": "test", "channel": channel.name, "sent_at": timezone.now().isoformat()}
    try:
        channel_send(channel=channel, text=text, payload=payload, subject="[fleet] test message")
    except NotifyError as error:
        channel_failure_record(channel=channel, error=str(error))
        raise
    channel_success_record(channel=channel, at=timezone.now())
