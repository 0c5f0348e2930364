"""What the integration clients (the providers', GitHub's, the notification senders) share: the base of
their exceptions, the checked JSON field parsers their models are built with, and the outbound address guard
every HTTP client connects through (outbound.py)."""
