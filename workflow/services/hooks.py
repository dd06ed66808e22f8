"""Listeners that react to lifecycle changes inside the same transaction (outbox writers, connectors).

A listener must only add rows to the session (an outbox message, a delivery to queue); it never
sends anything itself, so nothing leaves before the edge commits.

A writer of many events at once (the SLA sweep) calls :func:`changed_many`: a listener that has a
form for many events (:func:`for_many`) gets them all in one call and may write its rows in one
statement; any other listener runs once per event, as with :func:`changed`. There the complaint may
be a read-only view of the complaint's columns rather than the ORM object, and the event a record of
the written audit event: listeners read them, never change them.
"""

from collections.abc import Callable, Sequence

from workflow.models import Complaint, ComplaintEvent

Listener = Callable[[Complaint, ComplaintEvent], None]
ManyListener = Callable[[Sequence[tuple[Complaint, ComplaintEvent]]], None]
_LISTENERS: list[Listener] = []
_FOR_MANY: dict[Listener, ManyListener] = {}


def on_change(listener: Listener) -> Listener:
    """Register ``listener`` to run after every filing and every action, before the flush (decorator)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def for_many(listener: Listener) -> Callable[[ManyListener], ManyListener]:
    """Register the decorated function as ``listener``'s form for many events at once (decorator)."""
    def register(many: ManyListener) -> ManyListener:
        _FOR_MANY[listener] = many
        return many

    return register


def changed(complaint: Complaint, event: ComplaintEvent) -> None:
    """Run every listener for ``event`` on ``complaint``."""
    for listener in _LISTENERS:
        listener(complaint, event)


def changed_many(changes: Sequence[tuple[Complaint, ComplaintEvent]]) -> None:
    """Run every listener for each (complaint, event) of ``changes``, in order; many at once where it can."""
    if not changes:
        return
    for listener in _LISTENERS:
        many = _FOR_MANY.get(listener)
        if many is not None:
            many(changes)
        else:
            for complaint, event in changes:
                listener(complaint, event)
