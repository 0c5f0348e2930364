"""Writes of the servers domain. Views, admin actions and tasks call these, nothing else."""

from apps.servers.services.accounts import (
    provider_account_create,
    provider_account_test_connection,
    provider_account_update,
    sandbox_account_ensure,
)
from apps.servers.services.keys import ssh_key_create, ssh_key_make_default
from apps.servers.services.root_password import (
    root_password_reveal,
    root_password_reveal_allowed,
    root_password_reveal_authorize,
)
from apps.servers.services.servers import server_provider_task_finished, server_update
from apps.servers.services.state import (
    server_host_key_pin,
    server_lifecycle_move,
    server_lifecycle_reason_set,
    server_offered_host_key_accept,
    server_root_password_forget,
    server_root_password_store,
    servers_health_record,
)
from apps.servers.services.sync import server_sync_all, server_sync_now, server_sync_queue, server_sync_run
from apps.servers.services.write import servers_write

__all__ = [
    "provider_account_create",
    "provider_account_test_connection",
    "provider_account_update",
    "root_password_reveal",
    "root_password_reveal_allowed",
    "root_password_reveal_authorize",
    "sandbox_account_ensure",
    "server_host_key_pin",
    "server_lifecycle_move",
    "server_lifecycle_reason_set",
    "server_offered_host_key_accept",
    "server_provider_task_finished",
    "server_root_password_forget",
    "server_root_password_store",
    "server_sync_all",
    "server_sync_now",
    "server_sync_queue",
    "server_sync_run",
    "server_update",
    "servers_health_record",
    "servers_write",
    "ssh_key_create",
    "ssh_key_make_default",
]
