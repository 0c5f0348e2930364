"""The table of channel senders: one entry per kind of notification channel.

A channel is stored as a kind, a non-secret `target` and a `secret`. Each entry knows what those
two mean to its service (a webhook's URL is the target, a Slack incoming-webhook URL is the
secret, a Telegram chat id is the target and the bot token the secret) and which of them is a URL
the platform posts to, so that URL can be checked against the outbound rule when it is saved.
The caller looks the entry up by kind and never needs to know a service's names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, Protocol

from .errors import NotifyError
from .mail import send_email
from .senders import DEFAULT_TIMEOUT, TELEGRAM_API_BASE, send_slack, send_telegram, send_webhook


@dataclass(frozen=True)
class ChannelMessage:
    """What is said: an e-mail uses the subject and text, a webhook posts the payload."""

    subject: str
    text: str
    payload: dict


@dataclass(frozen=True)
class SendOptions:
    """How every sender connects; the same for all channels of one platform."""

    from_email: str
    telegram_api_base: str = TELEGRAM_API_BASE
    timeout: float = DEFAULT_TIMEOUT
    allow_private_addresses: bool = False


class SendFunction(Protocol):
    def __call__(self, *, target: str, secret: str, message: ChannelMessage, options: SendOptions) -> None: ...


@dataclass(frozen=True)
class ChannelSender:
    """One kind of channel: how to send through it, and which of its values is a URL it posts to
    (`url_field`), named in problems as `url_label`."""

    send: SendFunction
    url_field: Literal["target", "secret"] | None = None
    url_label: str = ""


def _email(*, target: str, secret: str, message: ChannelMessage, options: SendOptions) -> None:
    recipients = [address.strip() for address in target.split(",") if address.strip()]
    send_email(recipients=recipients, subject=message.subject, text=message.text, from_email=options.from_email)


def _slack(*, target: str, secret: str, message: ChannelMessage, options: SendOptions) -> None:
    send_slack(
        webhook_url=secret,
        text=message.text,
        timeout=options.timeout,
        allow_private_addresses=options.allow_private_addresses,
    )


def _webhook(*, target: str, secret: str, message: ChannelMessage, options: SendOptions) -> None:
    send_webhook(
        url=target,
        payload=message.payload,
        secret=secret,
        timeout=options.timeout,
        allow_private_addresses=options.allow_private_addresses,
    )


def _telegram(*, target: str, secret: str, message: ChannelMessage, options: SendOptions) -> None:
    send_telegram(
        bot_token=secret,
        chat_id=target,
        text=message.text,
        api_base=options.telegram_api_base,
        timeout=options.timeout,
        allow_private_addresses=options.allow_private_addresses,
    )


CHANNEL_SENDERS: Mapping[str, ChannelSender] = MappingProxyType(
    {
        "email": ChannelSender(_email),
        "slack": ChannelSender(_slack, url_field="secret", url_label="the Slack webhook URL"),
        "webhook": ChannelSender(_webhook, url_field="target"),
        "telegram": ChannelSender(_telegram),
    }
)


def channel_sender(kind: str) -> ChannelSender:
    """The entry of `kind`; a kind with none is a NotifyError that no retry helps."""
    try:
        return CHANNEL_SENDERS[kind]
    except KeyError:
        raise NotifyError(f"no sender for channel kind {kind!r}", retryable=False) from None
