"""The SLA-breach audit: which work clocks missed their deadline, by how much, who held the complaint
then, and what escalation the breach caused; and a league table of the OPDs.

A breach is a verification, response or resolution clock whose deadline passed before it stopped:
``clocks.breached_at`` (set by the sweep, or when a late clock stops or pauses), or a running clock
already past its deadline that the sweep has not reached yet. The period is that of the deadline.
Who held it is read from the audit trail: the administrator until verification, then the unit the
complaint was dispositioned (or redisposed) to, and the administrator again while it was returned.
The escalation a breach caused is the system's escalation recorded with the breach (or level-2)
mark of the same clock run (``sla_marks``). No reporter identity appears here except the name of a
reporter who did not ask to stay anonymous.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from workflow.db import db
from workflow.domain.errors import InvalidInput, PermissionDenied
from workflow.domain.rules import Actor
from workflow.domain.states import Action, ClockKind, ClockStatus, Role
from workflow.models import Clock, Complaint, ComplaintEvent, SlaMark, Unit
from workflow.services.calendars import calendar_for
from workflow.services.queries import WORK_CLOCKS, local
from workflow.services.redaction import shown_text
from workflow.services.sop import active_sop

AUDITORS = frozenset({Role.inspector, Role.coordinator, Role.admin_instansi, Role.leader})
ADMINISTRATOR = "ADMIN"  # the holder before verification and while a complaint is returned
HOLDER_ACTIONS = (Action.verify.value, Action.redispose.value, Action.return_.value)


@dataclass(frozen=True)
class BreachFilter:
    """Which breaches an auditor asks for: deadlines from ``start`` to ``end`` (local days, inclusive)."""

    start: date
    end: date
    unit: str | None = None
    class_code: str | None = None
    clock: str | None = None


def breach_audit(actor: Actor, filters: BreachFilter, now: datetime) -> dict:
    """Return the breaches in the period (latest deadline first), counts by clock and class, and the league."""
    if actor.role not in AUDITORS:
        raise PermissionDenied("Audit pelanggaran SLA untuk Inspektorat, tim koordinasi, administrator dan pimpinan. "
                               "/ The SLA-breach audit is for supervisors.", {"role": actor.role.value})
    _, sop = active_sop()
    _check(filters, sop)
    tz = ZoneInfo(sop.sop.timezone)
    start = datetime.combine(filters.start, time(), tz)
    end = datetime.combine(filters.end + timedelta(days=1), time(), tz)
    query = (select(Clock).join(Clock.complaint)
             .where(Clock.kind.in_(WORK_CLOCKS), Clock.due_at >= start, Clock.due_at < end, Clock.due_at < now,
                    Clock.status != ClockStatus.cancelled.value)
             .options(contains_eager(Clock.complaint).selectinload(Complaint.unit)))
    if filters.clock:
        query = query.where(Clock.kind == filters.clock)
    if filters.class_code:
        query = query.where(Complaint.class_code == filters.class_code)
    clocks = db.session.scalars(query.order_by(Clock.due_at.desc(), Clock.id)).unique().all()
    trails = _trails({clock.complaint_id for clock in clocks})
    marks = _escalations(clocks, trails, tz)
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    by_id = {u.id: u for u in units.values()}
    calendar = calendar_for(sop, None, now)
    rows, league = [], {}
    for clock in clocks:
        complaint = clock.complaint
        breached = clock.breached_at is not None or clock.status == ClockStatus.breached.value or (
            clock.status == ClockStatus.running.value and clock.due_at < now)
        if clock.status == ClockStatus.paused.value and not breached:
            continue  # paused in time: no verdict yet
        moment = clock.due_at if breached else (clock.stopped_at or clock.due_at)
        holder = ADMINISTRATOR if clock.kind == ClockKind.verification.value else _holder(trails[complaint.id], moment)
        opd = _opd(units.get(holder), by_id)
        if filters.unit and filters.unit not in (holder, opd.code if opd else None):
            continue
        key = opd.code if opd else ADMINISTRATOR
        entry = league.setdefault(key, {"unit": key, "name": opd.name if opd else None, "assessed": 0,
                                        "breached": 0, "days_late": 0, "worst": 0})
        entry["assessed"] += 1
        if not breached:
            continue
        ended = clock.stopped_at or clock.paused_at
        late = calendar.working_days_between(clock.due_at, ended or now)
        entry["breached"] += 1
        entry["days_late"] += late
        entry["worst"] = max(entry["worst"], late)
        rows.append({
            "complaint_id": complaint.id, "tracking_code": complaint.tracking_code,
            "title": shown_text(actor, complaint, complaint.title),
            "class": complaint.class_code, "category": complaint.category_code, "clock": clock.kind,
            "limit_working_days": clock.limit_working_days, "due_at": local(clock.due_at, tz),
            "ended_at": local(ended, tz), "still_open": ended is None, "working_days_late": late,
            "holder": holder, "holder_name": units[holder].name if holder in units else None,
            "opd": key, "escalations": marks.get(clock.id, []), "state": complaint.state,
            "escalation_level": complaint.escalation_level,
            # A hidden identity never leaves the administrator's view; auditors see only a name given openly.
            "reporter": None if complaint.anonymous else complaint.reporter_name,
        })
    for entry in league.values():
        entry["on_time"] = entry["assessed"] - entry["breached"]
        entry["on_time_pct"] = round(100 * entry["on_time"] / entry["assessed"], 1) if entry["assessed"] else None
        entry["mean_days_late"] = round(entry["days_late"] / entry["breached"], 1) if entry["breached"] else 0
    ranked = sorted(league.values(), key=lambda e: (-(e["on_time_pct"] or 0), -e["assessed"], e["unit"]))
    for position, entry in enumerate(ranked, start=1):
        entry["rank"] = position
    rows.sort(key=lambda r: (-r["working_days_late"], r["tracking_code"], r["clock"]))
    return {"start": filters.start.isoformat(), "end": filters.end.isoformat(), "breaches": rows,
            "league": ranked, "by_clock": _count(rows, "clock"), "by_class": _count(rows, "class"),
            "total": len(rows)}


def default_period(now: datetime) -> BreachFilter:
    """Return the default audit period: 1 January of this year (regency time) up to today."""
    _, sop = active_sop()
    today = now.astimezone(ZoneInfo(sop.sop.timezone)).date()
    return BreachFilter(start=date(today.year, 1, 1), end=today)


def _check(filters: BreachFilter, sop) -> None:
    problems = {}
    if filters.start > filters.end:
        problems["end"] = "harus setelah tanggal awal / must be after the start date"
    if (filters.end - filters.start).days > 3 * 366:
        problems["start"] = "paling lama tiga tahun / at most three years"
    if filters.clock and filters.clock not in WORK_CLOCKS:
        problems["clock"] = f"pilih / choose: {', '.join(WORK_CLOCKS)}"
    if filters.class_code and sop.complaint_class(filters.class_code) is None:
        problems["class"] = f"pilih / choose: {', '.join(c.code for c in sop.classes)}"
    if filters.unit and filters.unit != ADMINISTRATOR and not db.session.scalar(
            select(Unit.id).filter_by(code=filters.unit)):
        problems["unit"] = f"unit '{filters.unit}' tidak dikenal / unknown unit"
    if problems:
        raise InvalidInput("Filter audit tidak valid. / Invalid audit filter.", problems)


def _trails(complaint_ids: set[int]) -> dict[int, list[ComplaintEvent]]:
    trails: dict[int, list[ComplaintEvent]] = {cid: [] for cid in complaint_ids}
    if not complaint_ids:
        return trails
    events = db.session.scalars(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id.in_(complaint_ids),
                                     ComplaintEvent.action.in_((*HOLDER_ACTIONS, Action.escalate.value)))
        .order_by(ComplaintEvent.id))
    for event in events:
        trails[event.complaint_id].append(event)
    return trails


def _holder(trail: list[ComplaintEvent], moment: datetime) -> str:
    holder = ADMINISTRATOR
    for event in trail:
        if event.at > moment:
            break
        if event.action in (Action.verify.value, Action.redispose.value):
            holder = (event.details or {}).get("unit") or holder
        elif event.action == Action.return_.value:
            holder = ADMINISTRATOR
    return holder


def _opd(unit: Unit | None, by_id: dict[int, Unit]) -> Unit | None:
    # A service unit (UPPP) answers to its OPD in the league table.
    while unit is not None and unit.kind == "uppp" and unit.parent_id in by_id:
        unit = by_id[unit.parent_id]
    return unit


def _escalations(clocks: list[Clock], trails: dict[int, list[ComplaintEvent]], tz: ZoneInfo) -> dict[int, list[dict]]:
    if not clocks:
        return {}
    fired = db.session.execute(
        select(SlaMark.clock_id, SlaMark.threshold, SlaMark.fired_at, SlaMark.cycle)
        .where(SlaMark.clock_id.in_([c.id for c in clocks]), SlaMark.threshold.in_(("breach", "level2")))).all()
    runs = {c.id: (c.complaint_id, c.started_at, c.kind) for c in clocks}
    moments: dict[int, set[datetime]] = {}
    for clock_id, _threshold, fired_at, cycle in fired:
        if cycle == runs[clock_id][1]:
            moments.setdefault(clock_id, set()).add(fired_at)
    caused: dict[int, list[dict]] = {}
    for clock_id, fired_at in moments.items():
        complaint_id, _, kind = runs[clock_id]
        # The sweep's escalation names the clock whose threshold raised it, and carries the mark's moment.
        caused[clock_id] = [{"level": (event.details or {}).get("level"), "at": local(event.at, tz)}
                            for event in trails[complaint_id]
                            if event.action == Action.escalate.value and event.actor_role == Role.system.value
                            and event.at in fired_at and kind in (event.comment or "")]
    return caused


def _count(rows: list[dict], key: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[key] or "-"] = counts.get(row[key] or "-", 0) + 1
    return dict(sorted(counts.items()))

