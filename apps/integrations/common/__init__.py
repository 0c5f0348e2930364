"""What the integration clients (time4vps, github, notify) share: the base of their exceptions,
the checked JSON field parsers their models are built with, and the outbound address guard
every HTTP client connects through (outbound.py)."""
