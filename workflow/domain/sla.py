"""SLA thresholds: the moments at which the sweep must act on a running clock.

Work clocks (verification, response, resolution) warn when at most a quarter of their working
days is left (the SOP's ``warning_fraction``), breach after their deadline, and reach escalation
level 2 at ``level2_multiple`` × their limit (resolution also after a fixed number of working days
open). Windows give the reporter time: the information window reminds at half and expires; the
confirmation window expires (auto-close).
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from workflow.domain.calendar import WorkingCalendar
from workflow.domain.clocks import ClockRecord
from workflow.domain.states import ClockKind, ClockStatus

# A deadline is 23:59:59 local time; the threshold is crossed the moment after.
AFTER = timedelta(seconds=1)
WARNING, BREACH, LEVEL2, REMINDER, EXPIRE = "warning", "breach", "level2", "reminder", "expire"


@dataclass(frozen=True)
class Policy:
    """The SOP's escalation numbers."""

    warning_fraction: float
    level2_multiple: float
    reminder_fraction: float


@dataclass(frozen=True)
class Threshold:
    """One moment the sweep must act at, and what it does then."""

    name: str
    at: datetime


def thresholds(clock: ClockRecord, calendar: WorkingCalendar, policy: Policy,
               open_deadline: datetime | None = None) -> list[Threshold]:
    """Return the thresholds of a running clock in time order (none for a paused or stopped one)."""
    if clock.status != ClockStatus.running.value or clock.due_at is None:
        return []
    due, limit = clock.due_at, clock.limit_working_days
    if clock.kind == ClockKind.confirmation.value:
        found = [Threshold(EXPIRE, due + AFTER)]
    elif clock.kind == ClockKind.info.value:
        found = [Threshold(REMINDER, _days_left_point(calendar, due, limit, policy.reminder_fraction)),
                 Threshold(EXPIRE, due + AFTER)]
    else:
        level2 = calendar.deadline(due, math.ceil(limit * (policy.level2_multiple - 1))) + AFTER
        if open_deadline is not None and clock.kind == ClockKind.resolution.value:
            level2 = min(level2, open_deadline + AFTER)
        found = [Threshold(WARNING, _days_left_point(calendar, due, limit, policy.warning_fraction)),
                 Threshold(BREACH, due + AFTER), Threshold(LEVEL2, level2)]
    return sorted(found, key=lambda t: t.at)


def _days_left_point(calendar: WorkingCalendar, due: datetime, limit: int, fraction: float) -> datetime:
    # The end of the working day after which at most (1 - fraction) of the limit is left.
    left = max(1, math.ceil(limit * (1 - fraction)))
    return calendar.end_of_day(calendar.working_day_before(calendar.local_date(due), left)) + AFTER
