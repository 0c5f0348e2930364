"""What a notification channel may point at: its URLs follow the platform's outbound rule."""

from __future__ import annotations

from apps.core.validators import outbound_url_problems
from apps.monitoring.choices import ChannelKind


def channel_problems(*, kind: str, target: str, secret: str | None) -> dict[str, list[str]]:
    """Field errors of a channel's values. `secret` is None when it stays as stored (unchanged).

    A webhook's URL (`target`) and a Slack incoming webhook (`secret`) must be URLs the platform
    may call; Telegram's address is TELEGRAM_API_BASE, checked on every connection. The problems
    name the host at most, never a secret URL's path.
    """
    problems: dict[str, list[str]] = {}
    if kind == ChannelKind.WEBHOOK:
        url_problems = outbound_url_problems(target or "")
        if url_problems:
            problems["target"] = url_problems
    elif kind == ChannelKind.SLACK and secret is not None:
        url_problems = outbound_url_problems(secret)
        if url_problems:
            problems["secret"] = [f"the Slack webhook URL {problem}" for problem in url_problems]
    return problems
