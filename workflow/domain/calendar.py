"""Working days and deadlines, exactly as product.md defines them.

A deadline of N working days from a moment t is the end (23:59:59 local time) of the N-th working
day after the calendar day of t; the day of t never counts.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

WEEKDAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True)
class WorkingCalendar:
    """Decide which days a unit works, in the unit's time zone.

    ``closed_days`` are national holidays, cuti bersama, regional days and administrator days
    off; ``open_days`` are administrator overrides that make a day a working day after all.
    """

    tz: tzinfo
    weekdays: frozenset[int] = frozenset(range(5))
    closed_days: frozenset[date] = field(default_factory=frozenset)
    open_days: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        """Return whether ``day`` is a working day for this calendar."""
        if day in self.open_days:
            return True
        return day.weekday() in self.weekdays and day not in self.closed_days

    def local_date(self, moment: datetime) -> date:
        """Return the calendar day of an aware ``moment`` in this calendar's time zone."""
        return moment.astimezone(self.tz).date()

    def add_working_days(self, start: date, count: int) -> date:
        """Return the ``count``-th working day after ``start`` (``start`` itself never counts)."""
        if count < 0:
            raise ValueError("count must not be negative")
        day = start
        while count:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count -= 1
        return day

    def working_day_before(self, day: date, count: int) -> date:
        """Return the ``count``-th working day before ``day`` (``day`` itself never counts)."""
        while count:
            day -= timedelta(days=1)
            if self.is_working_day(day):
                count -= 1
        return day

    def deadline(self, moment: datetime, working_days: int) -> datetime:
        """Return the UTC end of the ``working_days``-th working day after ``moment``'s local day."""
        due_day = self.add_working_days(self.local_date(moment), working_days)
        return self.end_of_day(due_day)

    def end_of_day(self, day: date) -> datetime:
        """Return 23:59:59 local time of ``day`` as an aware UTC datetime."""
        return datetime.combine(day, END_OF_DAY, tzinfo=self.tz).astimezone(UTC)

    def working_days_left(self, moment: datetime, due: datetime) -> int:
        """Count the working days after ``moment``'s local day up to and including ``due``'s."""
        start, end = self.local_date(moment), self.local_date(due)
        left, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left += 1
        return left

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Count the working days elapsed from ``start`` to ``end`` (the start day excluded)."""
        return self.working_days_left(start, end)


def weekday_numbers(codes: list[str] | tuple[str, ...]) -> frozenset[int]:
    """Turn weekday codes (``mon`` … ``sun``) into ``date.weekday()`` numbers."""
    return frozenset(WEEKDAY_CODES.index(code) for code in codes)
