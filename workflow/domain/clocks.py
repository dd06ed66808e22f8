"""Working-day clocks: start, pause, resume and stop, as pure arithmetic on a clock record.

A clock record is any object with the attributes of :class:`ClockRecord` (the ORM row has them),
so the arithmetic lives here once and the persistence layer only stores the result.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from workflow.domain.calendar import WorkingCalendar
from workflow.domain.states import WINDOW_CLOCKS, ClockKind, ClockStatus

_WINDOW_KINDS = frozenset(k.value for k in WINDOW_CLOCKS)


class ClockRecord(Protocol):
    """The attributes a clock needs; both :class:`Clock` and the ORM row provide them."""

    kind: str
    status: str
    limit_working_days: int
    started_at: datetime | None
    due_at: datetime | None
    paused_at: datetime | None
    remaining_working_days: int | None
    breached_at: datetime | None
    stopped_at: datetime | None


@dataclass
class Clock:
    """An in-memory clock record, for the domain tests and for previews."""

    kind: str
    status: str = ClockStatus.cancelled.value
    limit_working_days: int = 0
    started_at: datetime | None = None
    due_at: datetime | None = None
    paused_at: datetime | None = None
    remaining_working_days: int | None = None
    breached_at: datetime | None = None
    stopped_at: datetime | None = None


def start(clock: ClockRecord, now: datetime, limit: int, calendar: WorkingCalendar) -> None:
    """Start (or restart) ``clock`` at ``now`` with ``limit`` working days."""
    clock.status = ClockStatus.running.value
    clock.limit_working_days = limit
    clock.started_at = now
    clock.due_at = calendar.deadline(now, limit)
    clock.paused_at = None
    clock.remaining_working_days = None
    clock.breached_at = None
    clock.stopped_at = None


def pause(clock: ClockRecord, now: datetime, calendar: WorkingCalendar) -> None:
    """Pause a running ``clock`` and keep the working days it had left."""
    _note_breach(clock, now)
    clock.remaining_working_days = calendar.working_days_left(now, clock.due_at)
    clock.paused_at = now
    clock.status = ClockStatus.paused.value


def resume(clock: ClockRecord, now: datetime, calendar: WorkingCalendar) -> None:
    """Run a paused or stopped ``clock`` again with the working days it had left.

    The day of the resume does not count, just as the day of a start does not; a clock paused on
    its last day resumes due at the end of the resume day.
    """
    left = clock.remaining_working_days or 0
    clock.due_at = calendar.deadline(now, left) if left else calendar.end_of_day(calendar.local_date(now))
    clock.paused_at = None
    clock.remaining_working_days = None
    clock.stopped_at = None
    clock.status = ClockStatus.running.value


def stop(clock: ClockRecord, now: datetime, calendar: WorkingCalendar) -> None:
    """Stop ``clock``: met if it ended in time, breached if late; windows simply end."""
    if clock.status == ClockStatus.running.value:
        _note_breach(clock, now)
        clock.remaining_working_days = calendar.working_days_left(now, clock.due_at)
    if clock.kind in _WINDOW_KINDS:
        clock.status = ClockStatus.met.value
    else:
        clock.status = (ClockStatus.breached if clock.breached_at else ClockStatus.met).value
    clock.stopped_at = now


def expire(clock: ClockRecord, now: datetime) -> None:
    """End a window clock that ran out without an answer."""
    clock.status = ClockStatus.expired.value
    clock.remaining_working_days = 0
    clock.stopped_at = now


def cancel(clock: ClockRecord, now: datetime) -> None:
    """Cancel ``clock`` without a verdict (its unit no longer holds the complaint)."""
    clock.status = ClockStatus.cancelled.value
    clock.stopped_at = now


# A stopped clock that a reopening takes up again with the working days it had left.
_RESUMABLE = frozenset({ClockStatus.met.value, ClockStatus.breached.value})


def apply_effect(effect: str, clock: ClockRecord, now: datetime, limit: int, calendar: WorkingCalendar) -> bool:
    """Apply one clock effect of the transition table where the clock's state allows it; return whether it did."""
    running, paused = clock.status == ClockStatus.running.value, clock.status == ClockStatus.paused.value
    if effect == "start":
        start(clock, now, limit, calendar)
    elif effect == "pause" and running:
        pause(clock, now, calendar)
    elif effect == "resume" and (paused or clock.status in _RESUMABLE):
        resume(clock, now, calendar)
    elif effect in ("stop", "stop_all") and (running or paused):
        stop(clock, now, calendar)
    elif effect == "expire" and running:
        expire(clock, now)
    elif effect == "cancel" and (running or paused):
        cancel(clock, now)
    else:
        return False
    return True


def display_status(clock: ClockRecord, now: datetime) -> str:
    """Return what a person should read: a running clock past its deadline shows as breached."""
    work_clock = clock.kind not in _WINDOW_KINDS
    late = clock.breached_at or (clock.due_at and now > clock.due_at)
    if clock.status == ClockStatus.running.value and work_clock and late:
        return ClockStatus.breached.value
    return clock.status


def is_overdue(clock: ClockRecord, now: datetime) -> bool:
    """Return whether a running clock has passed its deadline."""
    return clock.status == ClockStatus.running.value and clock.due_at is not None and now > clock.due_at


def _note_breach(clock: ClockRecord, now: datetime) -> None:
    # A breach is a fact of history: once the deadline passed, later pauses must not erase it.
    late = clock.due_at is not None and now > clock.due_at
    if clock.breached_at is None and late and clock.kind not in _WINDOW_KINDS:
        clock.breached_at = clock.due_at


__all__ = ["Clock", "ClockKind", "ClockRecord", "cancel", "display_status", "expire", "is_overdue",
           "pause", "resume", "start", "stop"]
