"""E-mail through Django's mail API: the backend and its server come from the settings (EMAIL_URL)."""

from __future__ import annotations

from django.core.mail import send_mail

from .errors import NotifyError


def send_email(*, recipients: list[str], subject: str, text: str, from_email: str) -> None:
    """Send `text` as a plain-text e-mail to `recipients`; raises NotifyError.

    SMTP and socket errors are OSErrors and retryable: the server may answer the next time. The
    message names the error's type only, never the server's reply.
    """
    try:
        send_mail(subject, text, from_email, recipients, fail_silently=False)
    except OSError as error:
        raise NotifyError(f"e-mail could not be sent: {type(error).__name__}", retryable=True) from None
