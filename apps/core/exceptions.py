"""Domain errors. The API's exception handler turns each into a clear 4xx/5xx body."""


class PlatformError(Exception):
    """Base of the platform's own errors; its message is safe to show (no secrets)."""

    status_code = 400


class ValidationError(PlatformError):
    """Bad input. Given a dict, it carries field errors ({"field": ["problem", ...]})."""

    status_code = 400

    def __init__(self, message: str | dict[str, list[str]]) -> None:
        self.field_errors = message if isinstance(message, dict) else None
        if isinstance(message, dict):
            message = "; ".join(f"{field}: {' '.join(problems)}" for field, problems in message.items())
        super().__init__(message)


class NotFoundError(PlatformError):
    status_code = 404


class ConflictError(PlatformError):
    """The request clashes with the current state. `extra` adds fields to the 409 body
    (e.g. the id of the run that is already active)."""

    status_code = 409

    def __init__(self, message: str, *, extra: dict | None = None) -> None:
        super().__init__(message)
        self.extra = extra or {}


class ConfigurationError(PlatformError):
    status_code = 500


class ServiceUnavailableError(PlatformError):
    """A dependency (broker, database, provider) could not be reached; trying later may help."""

    status_code = 503
