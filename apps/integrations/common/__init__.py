"""What the integration clients (time4vps, github) share: the base of their exceptions and the
checked JSON field parsers their models are built with. Nothing here talks to a service."""
