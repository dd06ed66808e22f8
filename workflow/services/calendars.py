"""Build a unit's working calendar from national holidays, SOP regional days and overrides."""

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import bindparam, event, or_, select
from sqlalchemy.orm import Session

from sop import Sop
from workflow.db import db
from workflow.domain.calendar import WorkingCalendar, weekday_numbers
from workflow.models import CalendarOverride, Unit
from workflow.services import reference

# Deadlines reach at most a few months ahead; a window of years around "now" covers them all.
YEARS_BEHIND, YEARS_AHEAD = 2, 2
_MEMO = "aduflow.calendars"


@lru_cache(maxsize=16)
def national_days(country: str, categories: tuple[str, ...], years: tuple[int, ...]) -> frozenset[date]:
    """Return national holidays and joint leave days (cuti bersama) from the ``holidays`` package."""
    return frozenset(holidays.country_holidays(country, years=years, categories=categories))


def calendar_for(sop: Sop, unit: Unit | None, around: datetime) -> WorkingCalendar:
    """Return the working calendar of ``unit`` (or of the regency when None) for dates near ``around``.

    Calendars are kept until the transaction ends (one request, command or sweep batch), so a
    batch of actions reads the overrides once; :func:`add_override` clears them.
    """
    years = tuple(range(around.year - YEARS_BEHIND, around.year + YEARS_AHEAD + 1))
    memo = db.session.info.setdefault(_MEMO, {})
    key = (sop.code, sop.version, unit.id if unit else None, years)
    if key not in memo:
        memo[key] = _build(sop, unit, years)
    return memo[key]


# The regency's overrides and, for a unit, its own (``unit_id = NULL`` matches nothing: the regency alone).
_OVERRIDES = (select(CalendarOverride.day, CalendarOverride.working, CalendarOverride.unit_id.is_not(None))
              .where(or_(CalendarOverride.unit_id.is_(None), CalendarOverride.unit_id == bindparam("unit_id"))))


def _build(sop: Sop, unit: Unit | None, years: tuple[int, ...]) -> WorkingCalendar:
    # The overrides are kept per process while the reference stamp holds, and so is the calendar made from them.
    unit_id = unit.id if unit else None
    overrides = reference.kept(("calendar overrides", unit_id), lambda: tuple(
        tuple(row) for row in db.session.execute(_OVERRIDES, {"unit_id": unit_id})))
    regional = unit is None or unit.observes_regional_days
    working_days = tuple(unit.working_days.split(",")) if unit else ("mon", "tue", "wed", "thu", "fri")
    key = (sop.code, sop.version, regional, working_days, unit.timezone if unit else sop.sop.timezone, years,
           tuple(sorted(overrides, key=lambda o: (o[2], o[0]))))
    if key not in _ASSEMBLED:
        if len(_ASSEMBLED) > 256:  # overrides change now and then: keep the memory of a long-lived worker bounded
            _ASSEMBLED.clear()
        _ASSEMBLED[key] = _assemble(sop, *key[2:])
    return _ASSEMBLED[key]


_ASSEMBLED: dict[tuple, WorkingCalendar] = {}


def _assemble(sop: Sop, regional: bool, working_days: tuple[str, ...], timezone: str, years: tuple[int, ...],
              overrides: tuple[tuple[date, bool, bool], ...]) -> WorkingCalendar:
    closed = set(national_days(sop.national.country, tuple(sop.national.categories), years))
    if regional:
        closed.update(day.date for day in sop.regional_days)
    opened: set[date] = set()
    # A unit's own override wins over a regency-wide one for the same day, so it is applied last (sorted so).
    for day, working, _ in overrides:
        (opened if working else closed).add(day)
        (closed if working else opened).discard(day)
    return WorkingCalendar(tz=ZoneInfo(timezone), weekdays=weekday_numbers(working_days),
                           closed_days=frozenset(closed), open_days=frozenset(opened))


@event.listens_for(Session, "after_transaction_end")
def _forget_calendars(session: Session, transaction) -> None:
    # Overrides may change in another process: a calendar lives at most one transaction.
    if transaction.parent is None:
        session.info.pop(_MEMO, None)


def add_override(day: date, working: bool, reason: str, unit_id: int | None = None,
                 created_by_id: int | None = None) -> CalendarOverride:
    """Declare ``day`` a day off (or a working day) for everyone or for one unit."""
    override = db.session.scalar(select(CalendarOverride).filter_by(day=day, unit_id=unit_id))
    if override is None:
        override = CalendarOverride(day=day, unit_id=unit_id)
        db.session.add(override)
    override.working, override.reason, override.created_by_id = working, reason, created_by_id
    db.session.info.pop(_MEMO, None)
    db.session.flush()
    return override
