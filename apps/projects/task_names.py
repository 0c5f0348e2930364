"""Stable names of the projects tasks (routed to the `sync` queue by the `projects.*` route)."""

GITHUB_SYNC = "projects.github_sync"  # beat: one run per enabled account
SYNC_ACCOUNT = "projects.sync_account"  # one run of one account
DOCS_INDEX = "projects.docs_index"  # beat: one docs indexing run per enabled account
DOCS_INDEX_ACCOUNT = "projects.docs_index_account"
