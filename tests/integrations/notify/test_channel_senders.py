"""The table of channel senders: an entry for every channel kind, and the e-mail sender."""

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from apps.integrations.notify import CHANNEL_SENDERS, ChannelMessage, NotifyError, SendOptions, channel_sender
from apps.monitoring.choices import ChannelKind

MESSAGE = ChannelMessage(subject="[fleet] Unreachable on web1", text="[CRITICAL] OPENED", payload={"event": "opened"})
OPTIONS = SendOptions(from_email="fleet@example.com")


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("smtp server down")


def test_every_channel_kind_has_a_sender_and_the_table_no_other():
    assert set(CHANNEL_SENDERS) == set(ChannelKind.values)


def test_a_kind_without_a_sender_is_refused_without_a_retry():
    with pytest.raises(NotifyError) as raised:
        channel_sender("carrier-pigeon")

    assert raised.value.retryable is False


def test_the_email_sender_mails_each_address_of_the_target(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    channel_sender(ChannelKind.EMAIL).send(
        target="ops@example.com, oncall@example.com,", secret="", message=MESSAGE, options=OPTIONS
    )

    (sent,) = mail.outbox
    assert (sent.subject, sent.body, sent.from_email) == (MESSAGE.subject, MESSAGE.text, "fleet@example.com")
    assert sent.to == ["ops@example.com", "oncall@example.com"]


def test_an_smtp_failure_is_a_retryable_error_that_names_only_its_type(settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"

    with pytest.raises(NotifyError) as raised:
        channel_sender(ChannelKind.EMAIL).send(target="ops@example.com", secret="", message=MESSAGE, options=OPTIONS)

    assert raised.value.retryable is True
    assert str(raised.value) == "e-mail could not be sent: ConnectionRefusedError"
