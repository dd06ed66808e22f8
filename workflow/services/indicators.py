"""The action plan's indicators (Perbup 4/2022 Table 3.1) and the operational figures, counted in SQL.

Public interface (stable; the reports, the leader dashboard, the API and the citizen portal's
statistics page call it):

    Period.parse("2026") | Period.parse("2026-S1") | Period.parse("2026-1")
    Period.year(2026) | Period.semester(2026, 1)
    indicators(period: Period, now: datetime, breakdown: str | None = None) -> dict
        {"period", "as_of", "table_3_1", "figures", "trend", "years", "breakdown"}; JSON-ready.
        ``breakdown`` is one of BREAKDOWNS ("unit", "opd", "class", "category", "channel",
        "kecamatan", "gender", "disability", "marginal_group").
    refresh() -> None        bring the roll-ups up to date inside the current transaction
    rebuild() -> int         recompute every fact and roll-up (after a bulk import); returns the count
    check() -> list[str]     the roll-up cells that differ from the sum of the facts (empty = correct)

The definitions (what counts as resolved, how transferred and archived complaints are shown, which
date places a complaint in a period, on time …) are written in docs/indicators.md.

How it stays fast at a million complaints: every complaint has one *fact* row (its month of receipt,
its breakdown keys and what it counts for) and every (month, breakdown, key) has one *roll-up* row
holding the sum of its facts; resolution times are kept as a histogram per (month, breakdown, key).
A year's indicators read about 12 × 200 roll-up rows, whatever the number of complaints. The facts
and roll-ups are kept in step inside the same transaction as the change: a flush that touches a
complaint, a clock, a rating or a finding notes the complaint; just before the commit its fact is
recomputed and the roll-ups change by the difference (locks taken in one order, so concurrent
commits never deadlock). Nothing here loops over complaints to count them; SQL sums the roll-ups.
"""

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache
from itertools import chain
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, any_, bindparam, delete, event, func, insert, inspect, literal, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from sop import Sop
from sop.schema import place_key
from workflow.db import db
from workflow.domain.calendar import WorkingCalendar
from workflow.domain.errors import InvalidInput
from workflow.domain.states import FINAL_STATES, ArchiveReason, Channel, ClockKind, ClockStatus, State
from workflow.models import (
    Clock,
    Complaint,
    ComplaintFinding,
    IndicatorDuration,
    IndicatorFact,
    IndicatorRollup,
    Rating,
    Unit,
)
from workflow.services import bulk
from workflow.services.calendars import calendar_for
from workflow.services.sop import active_sop

# What a fact counts, in the order of the table's columns.
COUNTS: tuple[str, ...] = tuple(
    c.name for c in IndicatorRollup.__table__.columns if c.name not in ("month", "dimension", "key"))
# Breakdown name → the fact column that holds its key. "all" is the regency total (key '').
DIMENSIONS: dict[str, str | None] = {
    "all": None, "unit": "unit", "opd": "opd", "class": "class_code", "category": "category",
    "channel": "channel", "kecamatan": "kecamatan", "gender": "gender", "disability": "disability",
    "marginal_group": "marginal_group",
}
BREAKDOWNS = tuple(name for name in DIMENSIONS if name != "all")
KEY_COLUMNS = ("month", "unit", "opd", "class_code", "category", "channel", "kecamatan", "gender", "disability",
               "marginal_group")
ARCHIVE_REASONS = tuple(r.value for r in ArchiveReason)
FAILURES = ("procedure", "facilities", "cost", "staff")
SATISFIED_FROM = 4  # a rating of 4 or 5 out of 5 counts as satisfied
UNKNOWN_PLACE = "?"
_FINAL = frozenset(s.value for s in FINAL_STATES)
_PENDING = "aduflow.indicators_pending"
# Per session: complaints inserted by the current transaction whose fact is not written yet.
_FRESH = "aduflow.indicators_fresh"
# Per session: complaints the SLA sweep escalated or found breached (their facts move without a recount).
_ESCALATED = "aduflow.indicators_escalated"
# Changes to these columns never move an indicator (PIN look-ups, bookkeeping).
_IGNORED_COMPLAINT_ATTRS = frozenset({"pin_failures", "pin_locked_until", "updated_at", "version", "events",
                                      "clocks", "sop_version", "sop_version_id"})
_CLOCK_ATTRS = ("status", "breached_at", "started_at")
# A fact's columns in the order of Fact's fields (read and written by position).
_FACT_COLUMNS = ("complaint_id", *KEY_COLUMNS, *COUNTS, "resolve_days")
_KEYS_END = 1 + len(KEY_COLUMNS)

CHANNEL_LABELS = {
    Channel.web: "Situs web", Channel.mobile: "Aplikasi seluler", Channel.open311: "Open311",
    Channel.sms: "SMS", Channel.whatsapp: "WhatsApp", Channel.email: "Surel", Channel.phone: "Telepon",
    Channel.walk_in: "Datang langsung", Channel.letter: "Surat", Channel.complaint_box: "Kotak pengaduan",
    Channel.social_media: "Media sosial", Channel.lapor: "SP4N-LAPOR!", Channel.mesadu: "Klungkung Mesadu",
}
GENDER_LABELS = {"female": "Perempuan", "male": "Laki-laki", "other": "Lainnya", "undisclosed": "Tidak disebutkan"}
DISABILITY_LABELS = {"yes": "Penyandang disabilitas", "no": "Bukan penyandang disabilitas"}
NOT_GIVEN = "(tidak diisi)"


# --- periods ----------------------------------------------------------------------------------------

ROMAN = {1: "I", 2: "II"}


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period: a calendar year, or one of its semesters (Pasal 8 monitors each semester)."""

    year_number: int
    half: int | None = None

    @classmethod
    def year(cls, year: int) -> "Period":
        """Return the calendar year ``year``."""
        return cls(_checked_year(year))

    @classmethod
    def semester(cls, year: int, half: int) -> "Period":
        """Return semester ``half`` (1: January–June, 2: July–December) of ``year``."""
        if half not in (1, 2):
            raise InvalidInput("Semester harus 1 atau 2. / The semester must be 1 or 2.", {"period": str(half)})
        return cls(_checked_year(year), half)

    @classmethod
    def parse(cls, text: str | int | None) -> "Period":
        """Parse "2026", "2026-S1", "2026-s2", "2026-1" or "2026-2"."""
        raw = str(text or "").strip().upper()
        year, dash, half = raw.partition("-")
        if year.isdecimal() and len(year) == 4 and not dash:
            return cls.year(int(year))
        half = half.removeprefix("S")
        if year.isdecimal() and len(year) == 4 and half in ("1", "2"):
            return cls.semester(int(year), int(half))
        raise InvalidInput("Periode tidak dikenal. / Unknown period.",
                           {"period": f"'{text}': tulis / write 2026, 2026-S1 atau/or 2026-S2"})

    @property
    def code(self) -> str:
        """Return the period's code: ``2026`` or ``2026-S1``."""
        return f"{self.year_number}" if self.half is None else f"{self.year_number}-S{self.half}"

    @property
    def kind(self) -> str:
        """Return ``year`` or ``semester``."""
        return "year" if self.half is None else "semester"

    @property
    def label(self) -> str:
        """Return the period's Indonesian name."""
        return f"Tahun {self.year_number}" if self.half is None else f"Semester {ROMAN[self.half]} {self.year_number}"

    @property
    def label_en(self) -> str:
        """Return the period's English name."""
        return f"Year {self.year_number}" if self.half is None else f"Half {self.half} of {self.year_number}"

    @property
    def start(self) -> date:
        """Return the first day of the period."""
        return date(self.year_number, 7 if self.half == 2 else 1, 1)

    @property
    def end(self) -> date:
        """Return the last day of the period."""
        return date(self.year_number, 6, 30) if self.half == 1 else date(self.year_number, 12, 31)

    @property
    def months(self) -> list[int]:
        """Return the months of the period as ``YYYYMM`` numbers."""
        return [self.year_number * 100 + m for m in range(self.start.month, self.end.month + 1)]

    def previous(self) -> "Period":
        """Return the period of the same kind just before this one."""
        if self.half is None:
            return Period.year(self.year_number - 1)
        return Period.semester(self.year_number, 1) if self.half == 2 else Period.semester(self.year_number - 1, 2)

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """Return the period as [start, end) in UTC, its days taken in ``tz``."""
        start = datetime.combine(self.start, time(), tz).astimezone(UTC)
        end = datetime.combine(self.end + timedelta(days=1), time(), tz).astimezone(UTC)
        return start, end

    def as_dict(self) -> dict:
        """Return the period as JSON data."""
        return {"code": self.code, "kind": self.kind, "year": self.year_number, "semester": self.half,
                "label": self.label, "label_en": self.label_en, "start": self.start.isoformat(),
                "end": self.end.isoformat()}


def _checked_year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise InvalidInput("Tahun di luar jangkauan. / Year out of range.", {"year": f"{year}: 2000–2100"})
    return year


# --- facts: what one complaint counts for ------------------------------------------------------------

@dataclass(frozen=True)
class Fact:
    """One complaint's keys and counts, as stored in ``indicator_facts``."""

    complaint_id: int
    keys: tuple  # KEY_COLUMNS, in order
    counts: tuple  # COUNTS, in order
    resolve_days: int | None

    def row(self) -> dict:
        """Return the fact as a table row."""
        return {"complaint_id": self.complaint_id, **dict(zip(KEY_COLUMNS, self.keys, strict=True)),
                "resolve_days": self.resolve_days, **dict(zip(COUNTS, self.counts, strict=True))}

    def cells(self) -> list[tuple[int, str, str]]:
        """Return the roll-up cells the fact adds to: (month, dimension, key) for every dimension."""
        keyed = dict(zip(KEY_COLUMNS, self.keys, strict=True))
        return [(keyed["month"], name, "" if column is None else keyed[column]) for name, column in DIMENSIONS.items()]


_CLOCK_KINDS = (ClockKind.verification, ClockKind.response, ClockKind.resolution, ClockKind.confirmation)


@cache
def _fact_query(by_range: bool = False, dialect: str | None = None):
    # Built once: constructing the aliases and the nine joins costs more than running the query. A rebuild
    # reads ranges of ids (no list of thousands of parameters to send); a commit reads the ids it changed.
    unit, parent, grand = aliased(Unit), aliased(Unit), aliased(Unit)
    clocks = {kind: aliased(Clock, name=f"clock_{kind.value}") for kind in _CLOCK_KINDS}
    columns = [Complaint.id, Complaint.received_at, Complaint.state, Complaint.closure, Complaint.archive_reason,
               Complaint.channel, Complaint.category_code, Complaint.class_code, Complaint.desa, Complaint.kecamatan,
               Complaint.gesi_gender, Complaint.gesi_disability, Complaint.gesi_marginal_group,
               Complaint.bounce_count, Complaint.reopen_count, Complaint.escalation_level,
               Complaint.verified_at.is_not(None).label("verified"),
               unit.code.label("unit_code"), unit.kind.label("unit_kind"), parent.code.label("parent_code"),
               parent.kind.label("parent_kind"), grand.code.label("grand_code"), grand.kind.label("grand_kind"),
               Rating.score.label("rating"), ComplaintFinding.complaint_id.label("finding"),
               *(getattr(ComplaintFinding, name).label(f"failure_{name}") for name in FAILURES),
               ComplaintFinding.substantiated.label("substantiated")]
    # Flags rather than times where a flag is all a fact needs: fewer values to convert per complaint.
    for kind, clock in clocks.items():
        columns += [clock.status.label(f"{kind.value}_status"),
                    clock.breached_at.is_not(None).label(f"{kind.value}_breached")]
    columns.append(clocks[ClockKind.confirmation].started_at.label("confirmation_started_at"))
    query = (select(*columns)
             .outerjoin(unit, unit.id == Complaint.unit_id)
             .outerjoin(parent, parent.id == unit.parent_id)
             .outerjoin(grand, grand.id == parent.parent_id)
             .outerjoin(Rating, Rating.complaint_id == Complaint.id)
             .outerjoin(ComplaintFinding, ComplaintFinding.complaint_id == Complaint.id))
    for kind, clock in clocks.items():
        query = query.outerjoin(clock, and_(clock.complaint_id == Complaint.id, clock.kind == kind.value))
    if by_range:
        return query.where(Complaint.id.between(bindparam("low"), bindparam("high")))
    # The ids a commit changed: one array parameter on PostgreSQL however many there are. The condition is
    # part of the cached statement, so no commit pays for building the nine joins' cache key again.
    if dialect == "postgresql":
        return query.where(Complaint.id == any_(bindparam("ids", type_=postgresql.ARRAY(Integer))))
    return query.where(Complaint.id.in_(bindparam("ids", expanding=True)))


class _Places:
    """Place names as the SOP knows them: a desa (or alias) names its kecamatan; a kecamatan names itself."""

    def __init__(self, sop: Sop):
        self.seen: dict[tuple, str] = {}
        self.kecamatan = {place_key(k.name): k.name for k in sop.routing.kecamatan}
        self.desa = {}
        for entry in sop.routing.desa:
            for name in (entry.name, *entry.aliases):
                self.desa.setdefault(place_key(name), self.kecamatan.get(place_key(entry.kecamatan), UNKNOWN_PLACE))

    def kecamatan_of(self, desa: str | None, kecamatan: str | None) -> str:
        """Return the kecamatan a complaint counts in (remembered: the same few places come back)."""
        key = (desa, kecamatan)
        if key not in self.seen:
            if len(self.seen) > 50_000:  # free text: keep the memory of a long-running process bounded
                self.seen.clear()
            self.seen[key] = self._kecamatan_of(desa, kecamatan)
        return self.seen[key]

    def _kecamatan_of(self, desa: str | None, kecamatan: str | None) -> str:
        # The desa wins over a stated kecamatan, as in routing.locate; a place the SOP does not know is "?".
        if desa and place_key(desa) in self.desa:
            return self.desa[place_key(desa)]
        if kecamatan and kecamatan.strip():
            return self.kecamatan.get(place_key(kecamatan), UNKNOWN_PLACE)
        return UNKNOWN_PLACE if desa and desa.strip() else ""


@lru_cache(maxsize=8)
def _ordinals(calendar: WorkingCalendar, first: date, last: date) -> dict[date, int]:
    # Working days counted from ``first``: the days between two dates are a subtraction, not a loop.
    ordinals, count, day = {}, 0, first
    while day <= last:
        if calendar.is_working_day(day):
            count += 1
        ordinals[day] = count
        day += timedelta(days=1)
    return ordinals


def working_days(calendar: WorkingCalendar, start: datetime, end: datetime) -> int:
    """Count the working days after ``start``'s local day up to and including ``end``'s (0 on the same day)."""
    first, last = calendar.local_date(start), calendar.local_date(end)
    if last <= first:
        return 0
    window = _ordinals(calendar, date(first.year - 1, 1, 1), date(first.year + 2, 12, 31))
    if last in window:
        return window[last] - window[first]
    return calendar.working_days_between(start, end)


def compute_fact(row, tz: ZoneInfo, places: _Places, calendar_of) -> Fact:
    """Return what the complaint in ``row`` (a row of the fact query) counts for."""
    state = row.state
    unit_code = row.unit_code or ""
    opd = next((code for code, kind in ((row.unit_code, row.unit_kind), (row.parent_code, row.parent_kind),
                                        (row.grand_code, row.grand_kind)) if kind == "opd"), "")
    disability = {True: "yes", False: "no"}.get(row.gesi_disability, "")
    keys = (_month(row.received_at, tz), unit_code, opd, row.class_code or "", row.category_code, row.channel,
            places.kecamatan_of(row.desa, row.kecamatan), row.gesi_gender or "", disability,
            (row.gesi_marginal_group or "").strip().casefold()[:64])
    resolved = state == State.closed.value
    resolve_days = None
    if resolved and row.confirmation_started_at is not None:
        # Receipt to the follow-up the reporter accepted (or the administrator closed on): the last response.
        resolve_days = working_days(calendar_of(row.received_at), row.received_at, row.confirmation_started_at)
    rating = row.rating
    found = row.finding is not None
    counts = {
        "received": 1,
        "open": state not in _FINAL,
        "resolved": resolved,
        "closed_confirmed": row.closure == "confirmed",
        "closed_auto": row.closure == "auto",
        "closed_admin": row.closure == "admin",
        "transferred": state == State.transferred.value,
        "archived": state == State.archived.value,
        **{f"archived_{reason}": row.archive_reason == reason for reason in ARCHIVE_REASONS},
        "verification_met": row.verification_status == ClockStatus.met.value,
        "verification_breached": bool(row.verification_breached),
        "response_met": row.response_status == ClockStatus.met.value,
        "response_breached": bool(row.response_breached),
        "resolved_on_time": resolved and row.resolution_status is not None and not row.resolution_breached,
        "resolution_breached": bool(row.resolution_breached),
        "escalated": row.escalation_level >= 1,
        "escalated_level2": row.escalation_level >= 2,
        "escalated_level3": row.escalation_level >= 3,
        "bounced": row.bounce_count > 0,
        "bounces": row.bounce_count,
        "reopened": row.reopen_count > 0,
        "reopens": row.reopen_count,
        "ever_closed": resolved or row.reopen_count > 0,
        "resolve_days_count": resolve_days is not None,
        "resolve_days_sum": resolve_days or 0,
        "rated": rating is not None,
        "rating_sum": rating or 0,
        "satisfied": rating is not None and rating >= SATISFIED_FROM,
        "tagged": found,
        **{f"failure_{name}": bool(getattr(row, f"failure_{name}")) for name in FAILURES},
        "substantiated": found and row.substantiated is True,
        "unsubstantiated": found and row.substantiated is False,
        "dispositioned": bool(row.verified),
        # Still open with a work clock running past its recorded breach (the sweep records it within a minute).
        "open_overdue": state not in _FINAL and any(
            status == ClockStatus.running.value and breached
            for status, breached in ((row.verification_status, row.verification_breached),
                                     (row.response_status, row.response_breached),
                                     (row.resolution_status, row.resolution_breached))),
    }
    return Fact(row.id, keys, tuple(int(counts[name]) for name in COUNTS), resolve_days)


def _month(moment: datetime, tz: ZoneInfo) -> int:
    local = moment.astimezone(tz)
    return local.year * 100 + local.month


@dataclass(frozen=True)
class _Regency:
    sop: Sop
    tz: ZoneInfo
    places: _Places


_REGENCY: dict[tuple[int, str], _Regency] = {}


def _regency(session: Session) -> _Regency:
    # Every commit needs the SOP's time zone and places: the active version is read once per transaction
    # (intake has usually read it already), and its places are indexed once per version.
    version, sop = active_sop()
    key = (version.id, version.checksum)
    if key not in _REGENCY:
        _REGENCY[key] = _Regency(sop, ZoneInfo(sop.sop.timezone), _Places(sop))
    return _REGENCY[key]


def compute_facts(session: Session, ids=None, between: tuple[int, int] | None = None,
                  filed: set[int] = frozenset()) -> dict[int, Fact]:
    """Return the facts of the complaints ``ids`` (or with ids ``between`` low and high) as they stand now.

    ``filed`` names complaints this transaction inserted: one still as it was filed is counted from the
    session's own objects, without the query (the hot path of intake).
    """
    regency = _regency(session)
    sop, tz, places = regency.sop, regency.tz, regency.places
    calendars: dict[int, WorkingCalendar] = {}

    def calendar_of(moment: datetime) -> WorkingCalendar:
        year = moment.astimezone(tz).year
        if year not in calendars:
            calendars[year] = calendar_for(sop, None, datetime(year, 7, 1, tzinfo=UTC))
        return calendars[year]

    # On the connection: plain rows, without the ORM's loading step (the callers have flushed).
    facts, rows = {}, ()
    if between is not None:
        rows = session.connection().execute(_fact_query(by_range=True), {"low": between[0], "high": between[1]})
    else:
        for row in filter(None, (_as_filed(session, i) for i in filed)):
            facts[row.id] = compute_fact(row, tz, places, calendar_of)
        ids = [i for i in ids if i not in facts]
        if ids:
            rows = session.connection().execute(_fact_query(dialect=session.get_bind().dialect.name), {"ids": ids})
    facts.update((row.id, compute_fact(row, tz, places, calendar_of)) for row in rows)
    return facts


def _as_filed(session: Session, complaint_id: int) -> SimpleNamespace | None:
    """Return what the fact query would read of a complaint just filed in this session, or None to query it.

    Only for a complaint still as filing leaves it: received, no unit, its clocks in memory, nothing expired.
    It can have no rating or finding yet (those come after a response), and no other clock than its own.
    """
    complaint = session.identity_map.get(inspect(Complaint).identity_key_from_primary_key((complaint_id,)))
    if complaint is None:
        return None
    state = inspect(complaint)
    if (state.expired_attributes or "clocks" not in state.dict or complaint.unit_id is not None
            or complaint.state != State.received.value):
        return None
    row = SimpleNamespace(
        id=complaint.id, received_at=complaint.received_at, state=complaint.state, closure=complaint.closure,
        archive_reason=complaint.archive_reason, channel=complaint.channel, category_code=complaint.category_code,
        class_code=complaint.class_code, desa=complaint.desa, kecamatan=complaint.kecamatan,
        gesi_gender=complaint.gesi_gender, gesi_disability=complaint.gesi_disability,
        gesi_marginal_group=complaint.gesi_marginal_group, bounce_count=complaint.bounce_count,
        reopen_count=complaint.reopen_count, escalation_level=complaint.escalation_level,
        verified=complaint.verified_at is not None, unit_code=None, unit_kind=None, parent_code=None,
        parent_kind=None, grand_code=None, grand_kind=None, rating=None, finding=None,
        substantiated=None, confirmation_started_at=None, **{f"failure_{name}": None for name in FAILURES})
    for kind in _CLOCK_KINDS:
        clock = next((c for c in complaint.clocks if c.kind == kind.value), None)
        setattr(row, f"{kind.value}_status", clock.status if clock else None)
        setattr(row, f"{kind.value}_breached", clock is not None and clock.breached_at is not None)
        if kind is ClockKind.confirmation and clock is not None:
            row.confirmation_started_at = clock.started_at
    return row


# --- keeping facts and roll-ups in step ----------------------------------------------------------------

def _note(session: Session, ids) -> None:
    session.info.setdefault(_PENDING, set()).update(i for i in ids if i is not None)


def note_filed(session: Session, complaint_id: int) -> None:
    """Count a complaint this transaction inserted past the ORM (intake): its fact is written at the commit.

    It has no fact yet, so none is read or locked; while it stays as filed, its fact comes from the
    session's own objects, as for a complaint the ORM inserted.
    """
    session.info.setdefault(_FRESH, set()).add(complaint_id)
    _note(session, (complaint_id,))


def note_escalations(changes: dict[int, tuple[int, frozenset[str]]]) -> None:
    """Move the facts of complaints the SLA sweep escalated or found past a deadline, before the commit.

    ``changes`` maps a complaint to its escalation level now and the kinds of its work clocks that were
    running and breached now. Nothing else about the complaint changed, so only its escalation, breach
    and overdue counts move, from its stored fact: no recount (a complaint without a fact is recounted).
    """
    db.session.info.setdefault(_ESCALATED, {}).update(changes)


def _escalated(fact: Fact, level: int, breached: frozenset[str]) -> Fact:
    # The counts compute_fact derives from the escalation level and the clocks' breaches; a clock that
    # breached while running makes an open complaint overdue.
    counts = dict(zip(COUNTS, fact.counts, strict=True))
    counts.update(escalated=int(level >= 1), escalated_level2=int(level >= 2), escalated_level3=int(level >= 3))
    for kind in breached:
        counts[f"{kind}_breached"] = 1
    if breached and counts["open"]:
        counts["open_overdue"] = 1
    return Fact(fact.complaint_id, fact.keys, tuple(counts[name] for name in COUNTS), fact.resolve_days)


@event.listens_for(Session, "after_flush")
def _collect_changes(session: Session, flush_context) -> None:
    # Runs for every flush, so no code path that changes a complaint can leave the roll-ups behind.
    touched = []
    for obj in chain(session.new, session.dirty):
        if isinstance(obj, Complaint):
            if obj in session.new:
                # Inserted by this transaction: it has no fact yet, so there is no old fact to read and lock.
                session.info.setdefault(_FRESH, set()).add(obj.id)
                touched.append(obj.id)
            elif _changed(obj, exclude=_IGNORED_COMPLAINT_ATTRS):
                touched.append(obj.id)
        elif isinstance(obj, Clock):
            if obj in session.new or _changed(obj, only=_CLOCK_ATTRS):
                touched.append(obj.complaint_id)
        elif isinstance(obj, (Rating, ComplaintFinding)):
            touched.append(obj.complaint_id)
    for obj in session.deleted:
        if isinstance(obj, (Rating, ComplaintFinding, Clock)):
            touched.append(obj.complaint_id)
    if touched:
        _note(session, touched)


def _changed(obj, only=None, exclude=frozenset()) -> bool:
    state = inspect(obj)
    names = only or [attr.key for attr in state.attrs if attr.key not in exclude]
    return any(state.attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "before_commit")
def _apply_before_commit(session: Session) -> None:
    # Savepoints are released without applying: the outermost commit applies everything once, last,
    # so the roll-up rows are locked for the shortest time.
    if session.in_nested_transaction():
        return
    refresh(session)


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_FRESH, None)
        session.info.pop(_ESCALATED, None)


def refresh(session: Session | None = None) -> None:
    """Bring facts and roll-ups up to date with what this transaction changed (flushes first)."""
    session = session or db.session()
    session.flush()
    pending = session.info.pop(_PENDING, None) or set()
    escalated = {i: change for i, change in (session.info.pop(_ESCALATED, None) or {}).items() if i not in pending}
    if pending or escalated:
        # One pass in complaint order over both kinds of change: the facts are locked in one order.
        apply(session, sorted(pending | set(escalated)), escalated)


def apply(session: Session, ids: list[int], escalated: dict | None = None) -> None:
    """Recompute the facts of ``ids`` (those in ``escalated`` from their stored fact) and move the roll-ups."""
    for start in range(0, len(ids), 1000):
        _apply_batch(session, ids[start:start + 1000], escalated or {})


def _apply_batch(session: Session, ids: list[int], escalated: dict) -> None:
    # Lock the old facts first: a concurrent change to the same complaint (a rating beside an action)
    # waits here, then reads what the other committed, so the two differences add up.
    # A complaint this transaction inserted has no fact yet (nobody else can see it to write one): filing
    # skips the read. Once its fact is written here, a later refresh in the same transaction reads it.
    fresh = session.info.get(_FRESH, set())
    existing = [i for i in ids if i not in fresh]
    filed = {i for i in ids if i in fresh}
    fresh.difference_update(ids)
    old = {}
    if existing:
        query = (select(*(IndicatorFact.__table__.c[name] for name in _FACT_COLUMNS))
                 .where(bulk.among(IndicatorFact.complaint_id, existing)).order_by(IndicatorFact.complaint_id))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        # Plain rows read by position: a sweep batch reads thousands of facts.
        old = {row[0]: Fact(row[0], tuple(row[1:_KEYS_END]), tuple(row[_KEYS_END:-1]), row[-1])
               for row in session.connection().execute(query)}
    recount = [i for i in ids if i not in escalated or i not in old]
    new = compute_facts(session, recount, filed=filed) if recount else {}
    new.update((i, _escalated(old[i], *escalated[i])) for i in ids if i in escalated and i in old)
    cells: dict[tuple, Counter] = defaultdict(Counter)
    durations: Counter = Counter()
    changed = []
    for complaint_id in ids:
        before, after = old.get(complaint_id), new.get(complaint_id)
        if before == after:
            continue
        changed.append(complaint_id)
        if before is not None and after is not None and before.keys == after.keys:
            # The same cells (an escalation, a breach): add the difference once, not both facts in full.
            moved = [(name, a - b) for name, a, b in zip(COUNTS, after.counts, before.counts, strict=True) if a != b]
            for cell in after.cells():
                counter = cells[cell]
                for name, difference in moved:
                    counter[name] += difference
                if before.resolve_days != after.resolve_days:
                    for days, sign in ((before.resolve_days, -1), (after.resolve_days, 1)):
                        if days is not None:
                            durations[(*cell, days)] += sign
            continue
        for fact, sign in ((before, -1), (after, 1)):
            if fact is None:
                continue
            counted = [(name, sign * value) for name, value in zip(COUNTS, fact.counts, strict=True) if value]
            for cell in fact.cells():
                counter = cells[cell]
                for name, value in counted:
                    counter[name] += value
                if fact.resolve_days is not None:
                    durations[(*cell, fact.resolve_days)] += sign
    if not changed:
        return
    # Facts are updated in place, never deleted and inserted again: a concurrent commit waiting on the
    # locked row then reads this one's new version instead of finding the row gone.
    updates = [i for i in changed if i in new and i in old]
    inserts = [new[i].row() for i in changed if i in new and i not in old]
    gone = [i for i in changed if i not in new]
    if updates:
        _update_facts(session, [new[i] for i in updates], [old[i] for i in updates])
    # Only the counts that move: _add fills in the zeros.
    rollups = [{"month": m, "dimension": d, "key": k, **counter}
               for (m, d, k), counter in sorted(cells.items()) if any(counter.values())]
    # On PostgreSQL new facts ride along with the roll-up upsert (a filing's commit: one statement, not two).
    together = inserts and rollups and session.get_bind().dialect.name == "postgresql"
    if inserts and not together:
        _insert_facts(session, inserts)
    if gone:
        session.execute(delete(IndicatorFact).where(IndicatorFact.complaint_id.in_(gone)))
    _add(session, IndicatorRollup, ("month", "dimension", "key"), COUNTS, rollups, facts=inserts if together else None)
    histogram = [{"month": m, "dimension": d, "key": k, "working_days": days, "n": n}
                 for (m, d, k, days), n in sorted(durations.items()) if n]
    _add(session, IndicatorDuration, ("month", "dimension", "key", "working_days"), ("n",), histogram)


def _insert_facts(session: Session, rows: list[dict]) -> None:
    """Store new facts; on PostgreSQL as one JSON parameter (every filing inserts one)."""
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(IndicatorFact.__table__), rows)
        return
    # Sixty bound values would make the driver parse this statement again on every commit; one it keeps.
    session.execute(text("INSERT INTO indicator_facts SELECT * FROM "
                         "json_populate_recordset(NULL::indicator_facts, CAST(:rows AS json))"),
                    {"rows": json.dumps(rows)})


def _update_facts(session: Session, facts: list[Fact], before: list[Fact]) -> None:
    """Store changed facts in place: the columns that moved, in one UPDATE (PostgreSQL) or one per fact."""
    flat = [(fact.complaint_id, *fact.keys, *fact.counts, fact.resolve_days) for fact in facts]
    flat_before = [(fact.complaint_id, *fact.keys, *fact.counts, fact.resolve_days) for fact in before]
    positions = sorted({n for row, old in zip(flat, flat_before, strict=True) if row != old
                        for n in range(1, len(row)) if row[n] != old[n]})
    moved = [_FACT_COLUMNS[n] for n in positions]
    if session.get_bind().dialect.name != "postgresql":
        table = IndicatorFact.__table__
        session.execute(table.update().where(table.c.complaint_id == bindparam("b_complaint_id"))
                        .values({name: bindparam(f"b_{name}") for name in moved}),
                        [{"b_complaint_id": row[0], **{f"b_{_FACT_COLUMNS[n]}": row[n] for n in positions}}
                         for row in flat])
        return
    rows = [{"complaint_id": row[0], **{_FACT_COLUMNS[n]: row[n] for n in positions}} for row in flat]
    source, params = bulk.unnest(IndicatorFact.__table__, ["complaint_id", *moved], rows)
    # Only our own column names are formatted in (bandit B608 below: justified); every value is a bound parameter.
    session.execute(text(
        f"UPDATE indicator_facts SET {', '.join(f'{name} = v.{name}' for name in moved)} "  # nosec B608
        f"FROM {source} AS v(complaint_id, {', '.join(moved)}) WHERE indicator_facts.complaint_id = v.complaint_id"),
        params)


def _add(session: Session, model, keys: tuple[str, ...], columns: tuple[str, ...], rows: list[dict],
         facts: list[dict] | None = None) -> None:
    """Insert ``rows``, or add their ``columns`` to the rows already there (one upsert statement).

    A column a row leaves out adds zero. ``facts`` (PostgreSQL only) are new fact rows the same statement inserts.
    """
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # One statement for every cell (a filing moves ten), not one per cell, and one JSON parameter rather
        # than a value per column and cell: every commit pays for this. The zeros stay out of the JSON.
        sparse = [{name: value for name, value in row.items() if value or name in keys} for row in rows]
        params = {"rows": json.dumps(sparse), "zeros": _zeros_json(columns)}
        if facts:
            params["facts"] = json.dumps(facts)
        session.connection().execute(_json_upsert(model, keys, columns, bool(facts)), params)
        return
    zeros = dict.fromkeys(columns, 0)
    session.execute(_upsert(dialect, model, keys, columns), [zeros | row for row in rows])


@cache
def _zeros_json(columns: tuple[str, ...]) -> str:
    return json.dumps(dict.fromkeys(columns, 0))


@cache
def _json_upsert(model, keys: tuple[str, ...], columns: tuple[str, ...], with_facts: bool = False):
    table = model.__table__
    added = ", ".join(f"{name} = t.{name} + excluded.{name}" for name in columns)
    facts = ("WITH f AS (INSERT INTO indicator_facts SELECT * FROM "
             "json_populate_recordset(NULL::indicator_facts, CAST(:facts AS json))) ") if with_facts else ""
    # A count a row leaves out is taken from the zeros; the record has the table's columns in its order. The
    # statement stays short, so the driver parses it once and it is prepared. Only our own table and column
    # names are formatted in (bandit B608 below: justified); rows are bound.
    return text(f"{facts}INSERT INTO {table.name} AS t SELECT * FROM "  # nosec B608
                f"json_populate_recordset(json_populate_record(NULL::{table.name}, CAST(:zeros AS json)), "
                f"CAST(:rows AS json)) ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {added}")


@cache
def _upsert(dialect: str, model, keys: tuple[str, ...], columns: tuple[str, ...]):
    table = model.__table__
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return statement.on_conflict_do_update(
        index_elements=list(keys), set_={name: table.c[name] + statement.excluded[name] for name in columns})


def rebuild(batch: int = 5000) -> int:
    """Recompute every fact from the complaints and every roll-up from the facts; return the complaints counted.

    For a bulk import that bypassed the services, a change of the regency's time zone, or a first
    deployment over existing complaints. Flushes only; the caller commits.
    """
    session = db.session()
    session.flush()
    session.info.pop(_PENDING, None)
    session.info.pop(_FRESH, None)
    session.info.pop(_ESCALATED, None)
    for model in (IndicatorDuration, IndicatorRollup, IndicatorFact):
        session.execute(delete(model))
    last, total = 0, 0
    while True:
        high = session.scalar(select(func.max(Complaint.id)).where(
            Complaint.id.in_(select(Complaint.id).where(Complaint.id > last).order_by(Complaint.id).limit(batch))))
        if high is None:
            break
        facts = compute_facts(session, between=(last + 1, high))
        session.execute(insert(IndicatorFact.__table__), [fact.row() for fact in facts.values()])
        last, total = high, total + len(facts)
    for name, column in DIMENSIONS.items():
        key = literal("") if column is None else getattr(IndicatorFact, column)
        sums = [func.sum(getattr(IndicatorFact, c)) for c in COUNTS]
        session.execute(insert(IndicatorRollup).from_select(
            ["month", "dimension", "key", *COUNTS],
            select(IndicatorFact.month, literal(name), key, *sums).group_by(IndicatorFact.month, key)))
        session.execute(insert(IndicatorDuration).from_select(
            ["month", "dimension", "key", "working_days", "n"],
            select(IndicatorFact.month, literal(name), key, IndicatorFact.resolve_days, func.count())
            .where(IndicatorFact.resolve_days.is_not(None))
            .group_by(IndicatorFact.month, key, IndicatorFact.resolve_days)))
    session.flush()
    return total


def check(deep: bool = False) -> list[str]:
    """Return the roll-up cells (and with ``deep`` the facts) that disagree with a recount; empty when correct."""
    session = db.session()
    refresh(session)
    problems = []
    if deep:
        stored = {f.complaint_id: f for f in session.scalars(select(IndicatorFact))}
        ids = session.scalars(select(Complaint.id)).all()
        for complaint_id, fact in compute_facts(session, ids).items():
            row = stored.pop(complaint_id, None)
            if row is None or any(getattr(row, k) != v for k, v in fact.row().items()):
                problems.append(f"fact {complaint_id}: stored {_describe(row)}, recounted {fact.row()}")
        problems += [f"fact {complaint_id}: no such complaint" for complaint_id in stored]
    for name, column in DIMENSIONS.items():
        key = literal("") if column is None else getattr(IndicatorFact, column)
        expected = {(r[0], r[1]): tuple(r[2:]) for r in session.execute(
            select(IndicatorFact.month, key, *(func.sum(getattr(IndicatorFact, c)) for c in COUNTS))
            .group_by(IndicatorFact.month, key))}
        for row in session.execute(select(IndicatorRollup).where(IndicatorRollup.dimension == name)).scalars():
            values = tuple(getattr(row, c) for c in COUNTS)
            wanted = expected.pop((row.month, row.key), None)
            if wanted is None and not any(values):
                continue
            if wanted != values:
                problems.append(f"roll-up {row.month} {name}={row.key!r}: {values} != {wanted}")
        problems += [f"roll-up {month} {name}={key!r}: missing" for month, key in expected]
        histogram = Counter({(r[0], r[1], r[2]): r[3] for r in session.execute(
            select(IndicatorFact.month, key, IndicatorFact.resolve_days, func.count())
            .where(IndicatorFact.resolve_days.is_not(None))
            .group_by(IndicatorFact.month, key, IndicatorFact.resolve_days))})
        stored_histogram = Counter({(r.month, r.key, r.working_days): r.n for r in session.scalars(
            select(IndicatorDuration).where(IndicatorDuration.dimension == name)) if r.n})
        if histogram != stored_histogram:
            problems.append(f"durations {name}: {dict(stored_histogram)} != {dict(histogram)}")
    return problems


def _describe(row) -> str:
    return "nothing" if row is None else str({c.name: getattr(row, c.name) for c in IndicatorFact.__table__.columns})


# --- reading ---------------------------------------------------------------------------------------------

def indicators(period: Period, now: datetime, breakdown: str | None = None) -> dict:
    """Return the Table 3.1 indicators and the operational figures of ``period``, optionally by ``breakdown``."""
    if breakdown is not None and breakdown not in BREAKDOWNS:
        raise InvalidInput("Rincian tidak dikenal. / Unknown breakdown.",
                           {"breakdown": f"'{breakdown}'; pilih / choose: {', '.join(BREAKDOWNS)}"})
    refresh()
    _, sop = active_sop()
    tz = ZoneInfo(sop.sop.timezone)
    months = period.months
    totals = _sums(months, "all").get("", dict.fromkeys(COUNTS, 0))
    durations = _durations(months, "all").get("", [])
    figures = figures_of(totals, durations)
    previous = _sums(period.previous().months, "all").get("")
    result = {
        "period": period.as_dict(),
        "as_of": now.astimezone(tz).isoformat(),
        "timezone": sop.sop.timezone,
        "definitions": "docs/indicators.md",
        "table_3_1": table_3_1(sop, period, figures, figures_of(previous, []) if previous else None),
        "figures": figures,
        "trend": trend(months),
        "years": yearly(),
        "breakdown": None,
    }
    if breakdown:
        result["breakdown"] = {"by": breakdown, "rows": breakdown_rows(sop, months, breakdown)}
    return result


def _sums(months: list[int], dimension: str) -> dict[str, dict[str, int]]:
    """Return the summed counts of ``months`` per key of ``dimension``."""
    rows = db.session.execute(
        select(IndicatorRollup.key, *(func.sum(getattr(IndicatorRollup, c)).label(c) for c in COUNTS))
        .where(IndicatorRollup.dimension == dimension, IndicatorRollup.month.between(months[0], months[-1]))
        .group_by(IndicatorRollup.key)).all()
    return {row.key: {c: int(getattr(row, c) or 0) for c in COUNTS} for row in rows if row.received}


def _durations(months: list[int], dimension: str) -> dict[str, list[tuple[int, int]]]:
    """Return, per key, the sorted histogram of working days to resolve: [(days, complaints), …]."""
    found: dict[str, list[tuple[int, int]]] = defaultdict(list)
    # A sorted aggregate query: percentiles are read off the cumulative counts, on SQLite as on PostgreSQL.
    for key, days, n in db.session.execute(
            select(IndicatorDuration.key, IndicatorDuration.working_days, func.sum(IndicatorDuration.n))
            .where(IndicatorDuration.dimension == dimension,
                   IndicatorDuration.month.between(months[0], months[-1]))
            .group_by(IndicatorDuration.key, IndicatorDuration.working_days)
            .order_by(IndicatorDuration.key, IndicatorDuration.working_days)):
        if n:
            found[key].append((days, int(n)))
    return found


def percentile(histogram: list[tuple[int, int]], fraction: float) -> float | None:
    """Return the ``fraction`` percentile of a sorted histogram, interpolating between ranks like SQL's
    ``percentile_cont`` (the median of 1, 2, 3, 4 is 2.5), to two decimals."""
    total = sum(n for _, n in histogram)
    if not total:
        return None
    rank = (total - 1) * fraction
    low, high = int(rank), min(int(rank) + 1, total - 1)

    def value_at(position: int) -> int:
        seen = 0
        for days, n in histogram:
            seen += n
            if position < seen:
                return days
        return histogram[-1][0]

    below, above = value_at(low), value_at(high)
    # Two decimals of a working day: enough, and free of binary noise (0.9 × 9 is 8.100000000000001).
    return round(below + (above - below) * (rank - low), 2)


def percent(part: float, whole: float) -> float | None:
    """Return ``part`` of ``whole`` in percent, one decimal, halves rounded up; None when ``whole`` is 0."""
    if not whole:
        return None
    exact = Decimal(str(part)) * 100 / Decimal(str(whole))
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def figures_of(c: dict[str, int], durations: list[tuple[int, int]]) -> dict:
    """Return the figures of one set of summed counts (see docs/indicators.md for each definition)."""
    duplicates = c["archived_duplicate"]
    counted = c["received"] - duplicates
    archived = c["archived"] - duplicates
    to_resolve = c["received"] - c["transferred"] - c["archived"]
    decided = {kind: c[f"{kind}_met"] + c[f"{kind}_breached"] for kind in ("verification", "response")}
    resolved_days = c["resolve_days_count"]
    return {
        "received": counted,
        "received_with_duplicates": c["received"],
        "duplicates": duplicates,
        "resolved": c["resolved"],
        "transferred": c["transferred"],
        "archived": archived,
        "archived_by_reason": {reason: c[f"archived_{reason}"] for reason in ARCHIVE_REASONS
                               if reason != ArchiveReason.duplicate.value},
        "open": c["open"],
        "to_resolve": to_resolve,
        "resolved_percent": percent(c["resolved"], to_resolve),
        "closures": {"confirmed": c["closed_confirmed"], "auto": c["closed_auto"], "admin": c["closed_admin"]},
        "verification": {"on_time": c["verification_met"], "late": c["verification_breached"],
                         "percent_on_time": percent(c["verification_met"], decided["verification"])},
        "response": {"on_time": c["response_met"], "late": c["response_breached"],
                     "percent_on_time": percent(c["response_met"], decided["response"])},
        "resolution": {"on_time": c["resolved_on_time"], "late": c["resolved"] - c["resolved_on_time"],
                       "percent_on_time": percent(c["resolved_on_time"], c["resolved"]),
                       "breached": c["resolution_breached"]},
        "working_days_to_resolve": {
            "count": resolved_days, "median": percentile(durations, 0.5), "p90": percentile(durations, 0.9),
            "mean": round(c["resolve_days_sum"] / resolved_days, 1) if resolved_days else None},
        "dispositioned": c["dispositioned"],
        "overdue_now": c["open_overdue"],
        "bounces": {"complaints": c["bounced"], "total": c["bounces"],
                    "percent": percent(c["bounced"], c["dispositioned"])},
        "reopens": {"complaints": c["reopened"], "total": c["reopens"],
                    "percent": percent(c["reopened"], c["ever_closed"])},
        "escalations": {"level1": c["escalated"], "level2": c["escalated_level2"], "level3": c["escalated_level3"]},
        "satisfaction": ({"rated": c["rated"], "mean": round(c["rating_sum"] / c["rated"], 2),
                          "satisfied": c["satisfied"], "percent_satisfied": percent(c["satisfied"], c["rated"])}
                         if c["rated"] else None),
        "findings": {"tagged": c["tagged"], **{name: c[f"failure_{name}"] for name in FAILURES},
                     "substantiated": c["substantiated"], "unsubstantiated": c["unsubstantiated"]},
    }


def table_3_1(sop: Sop, period: Period, figures: dict, previous: dict | None) -> list[dict]:
    """Return the two indicators of Table 3.1 against the SOP's target for the period's year."""
    target = next((t for t in sop.targets if t.year == period.year_number), None)
    received, resolved = figures["received"], figures["resolved_percent"]
    return [
        {"indicator": "received", "name": "Jumlah pengaduan yang diterima", "name_en": "Complaints received",
         "unit": "pengaduan", "value": received, "target": target.received if target else None,
         "progress_percent": percent(received, target.received) if target and target.received else None,
         "previous": previous["received"] if previous else None},
        {"indicator": "resolved_percent", "name": "Persentase pengaduan yang diselesaikan",
         "name_en": "Share of complaints resolved", "unit": "%", "value": resolved,
         "target": target.resolved_percent if target else None,
         "progress_percent": (percent(resolved, target.resolved_percent)
                              if target and target.resolved_percent and resolved is not None else None),
         "previous": previous["resolved_percent"] if previous else None},
    ]


def trend(months: list[int]) -> list[dict]:
    """Return, per month of the period, what was received and resolved and how much on time."""
    rows = {row.month: row for row in db.session.execute(
        select(IndicatorRollup.month, IndicatorRollup.received, IndicatorRollup.archived_duplicate,
               IndicatorRollup.resolved, IndicatorRollup.resolved_on_time, IndicatorRollup.transferred,
               IndicatorRollup.archived, IndicatorRollup.resolution_breached)
        .where(IndicatorRollup.dimension == "all", IndicatorRollup.month.between(months[0], months[-1])))}
    result = []
    for month in months:
        row = rows.get(month)
        received = (row.received - row.archived_duplicate) if row else 0
        to_resolve = (row.received - row.transferred - row.archived) if row else 0
        result.append({"month": f"{month // 100}-{month % 100:02d}", "received": received,
                       "resolved": row.resolved if row else 0,
                       "resolved_on_time": row.resolved_on_time if row else 0,
                       "resolution_breached": row.resolution_breached if row else 0,
                       "resolved_percent": percent(row.resolved, to_resolve) if row else None})
    return result


def yearly() -> list[dict]:
    """Return every year with complaints: received (each problem once) and the share resolved."""
    year = (IndicatorRollup.month // 100).label("year")
    rows = db.session.execute(
        select(year, func.sum(IndicatorRollup.received), func.sum(IndicatorRollup.archived_duplicate),
               func.sum(IndicatorRollup.resolved), func.sum(IndicatorRollup.transferred),
               func.sum(IndicatorRollup.archived))
        .where(IndicatorRollup.dimension == "all").group_by(year).order_by(year)).all()
    return [{"year": int(y), "received": int(r - d), "resolved": int(res),
             "resolved_percent": percent(int(res), int(r - t - a))} for y, r, d, res, t, a in rows if r]


def breakdown_rows(sop: Sop, months: list[int], dimension: str) -> list[dict]:
    """Return the figures per key of ``dimension``, largest first."""
    sums = _sums(months, dimension)
    durations = _durations(months, dimension)
    labels = labels_for(sop, dimension)
    rows = [{"key": key, "label": labels.get(key) or (NOT_GIVEN if key == "" else key),
             **figures_of(counts, durations.get(key, []))} for key, counts in sums.items()]
    return sorted(rows, key=lambda r: (-r["received_with_duplicates"], r["label"]))


def labels_for(sop: Sop, dimension: str) -> dict[str, str]:
    """Return the names people read for the keys of ``dimension``."""
    if dimension in ("unit", "opd"):
        names = dict(db.session.execute(select(Unit.code, Unit.name)).all())
        return names | {"": "(belum ada unit)"}
    if dimension == "class":
        return {c.code: c.name for c in sop.classes}
    if dimension == "category":
        return {c.code: c.name for c in sop.categories}
    if dimension == "channel":
        return {k.value: v for k, v in CHANNEL_LABELS.items()}
    if dimension == "kecamatan":
        return {UNKNOWN_PLACE: "(tidak dikenal)"}
    if dimension == "gender":
        return GENDER_LABELS
    if dimension == "disability":
        return DISABILITY_LABELS
    return {}

