"""Domain errors: each names what went wrong in words a user can act on.

The web edge maps each class to one HTTP status in one place (``web/errors.py``).
"""


class DomainError(Exception):
    """Base class of every error the workflow raises on purpose."""

    code = "domain_error"

    def __init__(self, message: str, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


class InvalidTransition(DomainError):
    """The action is not allowed from the complaint's current state."""

    code = "invalid_transition"


class PermissionDenied(DomainError):
    """The actor's role or unit may not take this action."""

    code = "permission_denied"


class NotFound(DomainError):
    """The thing does not exist, or lies outside the actor's scope."""

    code = "not_found"


class VersionConflict(DomainError):
    """Someone else changed the complaint first; reload and try again."""

    code = "version_conflict"


class InvalidInput(DomainError):
    """The input is incomplete or wrong; ``details`` names each field and its problem."""

    code = "invalid_input"


class IdempotencyConflict(DomainError):
    """An idempotency key was reused with a different request body."""

    code = "idempotency_conflict"


class AuthenticationRequired(DomainError):
    """The caller has not proved who they are (token, or tracking code and PIN)."""

    code = "authentication_required"
