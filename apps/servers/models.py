from django.db import models
from django.db.models import Q

from apps.core.fields import EncryptedTextField, SecretsDeferredManager
from apps.core.models import SyncedAccount
from apps.integrations.providers.registry import DEFAULT_KIND
from apps.servers.choices import Connection, HealthStatus, Lifecycle, ProviderStatus, RootPasswordState
from apps.servers.validators import validate_labels, validate_ssh_host


class ProviderAccount(SyncedAccount):
    """An account at a VPS provider; server_sync keeps a Server row for each of its servers."""

    name = models.CharField(max_length=100, unique=True)
    # One of the registered provider adapters (ProviderKind); checked by the services, not by
    # field choices, so that adding a provider needs no migration.
    kind = models.CharField(max_length=16, default=DEFAULT_KIND)
    base_url = models.URLField(max_length=500, help_text="The provider's API address; blank for its default.")
    # The credentials: which ones a kind needs is its adapter's `credential_fields`.
    username = models.CharField(max_length=200, blank=True)
    password = EncryptedTextField(blank=True)
    api_token = EncryptedTextField(blank=True)
    # Set while the provider's rate limit is spent: scheduled syncs skip the account until then.
    not_before = models.DateTimeField(null=True, blank=True, editable=False)
    enabled = models.BooleanField(default=True, help_text="Disabled accounts are not synced.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SecretsDeferredManager()

    class Meta:
        permissions = [("sync_provideraccount", "Can queue a sync of a provider account")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def credentials(self) -> dict[str, str]:
        """The credential fields, decrypted (loaded on access: the default manager defers them)."""
        return {"username": self.username, "password": self.password, "api_token": self.api_token}

    @property
    def circuit_key(self) -> str:
        return f"provider-account:{self.pk}"


class SshKey(models.Model):
    """A key the platform logs in with. One key is the default: servers without their own key use
    it, and provisioning installs it on reinstalled servers."""

    name = models.CharField(max_length=100, unique=True)
    private_key = EncryptedTextField()
    public_key = models.TextField(editable=False)
    fingerprint = models.CharField(max_length=100, editable=False)
    key_type = models.CharField(max_length=16, editable=False)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SecretsDeferredManager()

    class Meta:
        verbose_name = "SSH key"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="servers_one_default_key")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.fingerprint})"


class Server(models.Model):
    """A VPS the provider reports. Provider-owned fields are written by sync only; the SSH
    settings and notes belong to operators, and sync never touches them."""

    provider_account = models.ForeignKey(ProviderAccount, on_delete=models.PROTECT, related_name="servers")
    provider_id = models.CharField(max_length=64)
    # --- Provider-owned ---
    hostname = models.CharField(max_length=255, blank=True)
    label = models.CharField(max_length=255, blank=True)
    ip = models.GenericIPAddressField("IP", null=True, blank=True)
    additional_ips = models.JSONField("additional IPs", default=list, blank=True)
    provider_status = models.CharField(max_length=16, choices=ProviderStatus.choices, default=ProviderStatus.UNKNOWN)
    provider_status_text = models.CharField(max_length=64, blank=True)
    os = models.CharField("OS", max_length=128, blank=True)
    cpu_cores = models.PositiveIntegerField("CPU cores", null=True, blank=True)
    cpu_mhz = models.PositiveIntegerField("CPU MHz", null=True, blank=True)
    ram_mb = models.PositiveBigIntegerField("RAM MB", null=True, blank=True)
    disk_mb = models.PositiveBigIntegerField("disk MB", null=True, blank=True)
    bandwidth_mb = models.PositiveBigIntegerField("bandwidth MB", null=True, blank=True)
    busy = models.BooleanField(default=False, help_text="The provider is running a task on it.")
    active_task = models.CharField(max_length=64, blank=True)
    location = models.CharField(max_length=64, blank=True, help_text="The provider's location or data centre.")
    provider_labels = models.JSONField(
        default=dict, blank=True, help_text="The provider's own labels (key: value), read-only here."
    )
    # --- Operator-managed ---
    # Matched by filters and job selectors together with provider_labels (an operator's label wins
    # over a provider's with the same key): apps/servers/selectors.py, never `labels__<key>` lookups.
    labels = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_labels],
        help_text="Operators' labels (key: value), for filters and job targets; sync never changes them.",
    )
    connection = models.CharField(max_length=8, choices=Connection.choices, default=Connection.SSH)
    ssh_host = models.CharField(
        "SSH host",
        max_length=255,
        blank=True,
        validators=[validate_ssh_host],
        help_text="An IP address or a host name. Blank: the primary IP.",
    )
    ssh_port = models.PositiveIntegerField("SSH port", default=22)
    ssh_user = models.CharField("SSH user", max_length=64, default="root")
    notes = models.TextField(blank=True)
    ssh_key = models.ForeignKey(
        SshKey,
        verbose_name="SSH key",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="servers",
        help_text="Blank: the default key.",
    )
    expects_docker = models.BooleanField(
        "expects Docker", default=False, help_text="Health checks verify the Docker daemon."
    )
    disk_mounts = models.JSONField(default=list, blank=True, help_text='Mount points checked besides "/".')
    maintenance_until = models.DateTimeField(null=True, blank=True, help_text="Notifications are silenced until then.")
    # --- Host key pinning (trust on first use; changed only by an operator or a reinstall) ---
    host_key = models.TextField(blank=True, help_text="The pinned host key: checks refuse any other.")
    host_key_fingerprint = models.CharField(max_length=100, blank=True)
    # The different key a host presented, kept for an operator to accept.
    offered_host_key = models.TextField(blank=True)
    offered_host_key_fingerprint = models.CharField(max_length=100, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    # --- Platform state ---
    lifecycle = models.CharField(max_length=16, choices=Lifecycle.choices, default=Lifecycle.DISCOVERED)
    # What lifecycle a removed server had, so it gets it back when the provider lists it again.
    lifecycle_before_removal = models.CharField(max_length=16, choices=Lifecycle.choices, blank=True)
    # Why the server is failed (or what provisioning last reported); blank when all is well.
    lifecycle_reason = models.TextField(blank=True)
    # The root password the provider last handed out (password reset or reinstall), kept for break-glass use.
    root_password = EncryptedTextField(blank=True)
    root_password_state = models.CharField(
        max_length=16, choices=RootPasswordState.choices, default=RootPasswordState.NONE, editable=False
    )
    health_status = models.CharField(max_length=16, choices=HealthStatus.choices, default=HealthStatus.UNKNOWN)
    # When a sync last wrote this row; see Server.seen_at for "last seen".
    last_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SecretsDeferredManager()

    class Meta:
        permissions = [
            ("reveal_root_password", "Can reveal the stored root password (audited, with a reason)"),
            ("accept_host_key", "Can accept the host key a server offers after a mismatch"),
        ]
        ordering = ["hostname", "id"]
        constraints = [
            models.UniqueConstraint(fields=["provider_account", "provider_id"], name="servers_unique_provider_id"),
            models.CheckConstraint(
                condition=Q(ssh_port__gte=1) & Q(ssh_port__lte=65535), name="servers_ssh_port_range"
            ),
            models.CheckConstraint(condition=Q(lifecycle__in=Lifecycle.values), name="servers_lifecycle_valid"),
            models.CheckConstraint(
                condition=Q(health_status__in=HealthStatus.values), name="servers_health_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(root_password_state__in=RootPasswordState.values), name="servers_root_password_state_valid"
            ),
        ]
        indexes = [models.Index(fields=["lifecycle"]), models.Index(fields=["health_status"])]

    def __str__(self) -> str:
        return self.hostname or self.label or f"{self.provider_account} #{self.provider_id}"

    @property
    def effective_ssh_host(self) -> str:
        return self.ssh_host or (self.ip or "")

    @property
    def seen_at(self):
        """When the provider last listed this server.

        A server present in the account's last successful listing was seen then, so that time is
        read from the account instead of rewriting every row on every sync; a removed server
        keeps the time it was last seen.
        """
        if self.lifecycle == Lifecycle.REMOVED:
            return self.last_seen_at
        return self.provider_account.last_successful_sync_at or self.last_seen_at
