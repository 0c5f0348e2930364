"""The sync-run framework, shared by every kind of sync (server sync, GitHub sync, docs indexing).

`runs` records, queues and finishes a SyncRun and says whether an unfinished one is in the way;
`runner` runs one (`SyncRunner`: a kind of sync subclasses it and writes only its work);
`leases` keeps two runs off one account; `listings` compares a listing with the stored rows.

A plain package, not a Django app: the SyncRun model stays in apps/core/models.py (moving it
would rename its permissions and admin pages). It sits above apps/audit, which it writes to;
apps/core, below audit, does not import it (docs/adr/0008-sync-runs-home.md).
"""
