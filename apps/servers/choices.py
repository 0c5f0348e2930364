from django.db import models

from apps.integrations.providers import ServerState
from apps.integrations.providers.registry import provider_kinds

# The account kinds, one per registered provider adapter (apps/integrations/providers/registry.py).
# The model field stores the kind without choices, so adding a provider needs no migration.
ProviderKind = models.TextChoices("ProviderKind", [(kind.upper(), (kind, title)) for kind, title in provider_kinds()])


class ProviderStatus(models.TextChoices):
    """The provider's status of a server, normalised; the provider's own text is kept beside it."""

    ACTIVE = "active", "Active"
    PENDING = "pending", "Pending"
    STOPPED = "stopped", "Stopped"
    SUSPENDED = "suspended", "Suspended"
    TERMINATED = "terminated", "Terminated"
    CANCELLED = "cancelled", "Cancelled"
    UNKNOWN = "unknown", "Unknown"

    @classmethod
    def from_provider(cls, state: ServerState) -> "ProviderStatus":
        """The adapter's normalised state (ServerState has the same values)."""
        return cls(state.value) if state.value in cls.values else cls.UNKNOWN


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
