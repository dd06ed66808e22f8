"""Listeners that react to lifecycle changes inside the same transaction (outbox writers, connectors).

A listener must only add rows to the session (an outbox message, a delivery to queue); it never
sends anything itself, so nothing leaves before the edge commits.
"""

from collections.abc import Callable

from workflow.models import Complaint, ComplaintEvent

Listener = Callable[[Complaint, ComplaintEvent], None]
_LISTENERS: list[Listener] = []


def on_change(listener: Listener) -> Listener:
    """Register ``listener`` to run after every filing and every action, before the flush (decorator)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def changed(complaint: Complaint, event: ComplaintEvent) -> None:
    """Run every listener for ``event`` on ``complaint``."""
    for listener in _LISTENERS:
        listener(complaint, event)
