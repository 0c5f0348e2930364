"""Domain errors. The API's exception handler turns each into a clear 4xx/5xx body."""


class PlatformError(Exception):
    """Base of the platform's own errors; its message is safe to show (no secrets)."""

    status_code = 400


class ValidationError(PlatformError):
    status_code = 400


class NotFoundError(PlatformError):
    status_code = 404


class ConflictError(PlatformError):
    status_code = 409


class ConfigurationError(PlatformError):
    status_code = 500


class ServiceUnavailableError(PlatformError):
    """A dependency (broker, database, provider) could not be reached; trying later may help."""

    status_code = 503
