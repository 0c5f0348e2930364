"""Stable names of the servers tasks (routed to the `sync` queue by the `servers.*` route)."""

SERVER_SYNC = "servers.server_sync"  # beat: one run per enabled account
SYNC_ACCOUNT = "servers.sync_account"  # one run of one account
