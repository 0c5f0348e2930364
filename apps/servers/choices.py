from django.db import models


class ProviderKind(models.TextChoices):
    TIME4VPS = "time4vps", "Time4VPS"
    SANDBOX = "sandbox", "Sandbox (development)"


class ProviderStatus(models.TextChoices):
    """The provider's status of a server, normalised; the provider's own text is kept beside it."""

    ACTIVE = "active", "Active"
    PENDING = "pending", "Pending"
    SUSPENDED = "suspended", "Suspended"
    TERMINATED = "terminated", "Terminated"
    CANCELLED = "cancelled", "Cancelled"
    UNKNOWN = "unknown", "Unknown"

    @classmethod
    def from_provider(cls, text: str | None) -> "ProviderStatus":
        normalised = (text or "").strip().lower()
        return cls(normalised) if normalised in cls.values else cls.UNKNOWN


class Connection(models.TextChoices):
    SSH = "ssh", "SSH"
    LOCAL = "local", "Local (the machine the platform runs on)"


class Lifecycle(models.TextChoices):
    DISCOVERED = "discovered", "Discovered"
    PENDING_SETUP = "pending_setup", "Pending setup"
    PROVISIONING = "provisioning", "Provisioning"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    REMOVED = "removed", "Removed"


class HealthStatus(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    HEALTHY = "healthy", "Healthy"
    DEGRADED = "degraded", "Degraded"
    UNREACHABLE = "unreachable", "Unreachable"


class RootPasswordState(models.TextChoices):
    """What the platform knows of a server's root password."""

    NONE = "none", "None stored"
    CURRENT = "current", "Current (the provider's last)"
    # A reinstall replaced it and the provider did not say the new one: the stored value (dropped)
    # would be wrong; provisioning resets it before the server is ready.
    UNKNOWN = "unknown", "Unknown (replaced by a reinstall; a reset is due)"
