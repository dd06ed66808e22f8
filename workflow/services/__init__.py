"""Use cases: one function per thing a user does. Services flush; the edge commits once."""

# Listeners register themselves on import: load them with the services, whatever the edge.
from workflow.services import audit, routing  # noqa: F401  (the hash chain; the bounce alert)
