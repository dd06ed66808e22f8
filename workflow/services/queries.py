"""Read models: what staff and reporters see of complaints, shaped once for every edge.

Times are returned as ISO-8601 in the holding unit's time zone (Klungkung: WITA, ``+08:00``);
a hidden reporter identity is left out unless the actor may see it.
"""

import math
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ARRAY, ColumnElement, Integer, and_, any_, cast, exists, func, literal, or_, select, text
from sqlalchemy.orm import aliased, selectinload

from workflow.db import db
from workflow.domain import clocks
from workflow.domain.errors import InvalidInput, NotFound
from workflow.domain.rules import Actor, can_see, can_see_identity
from workflow.domain.states import (
    OPEN_STATES,
    REGENCY_ROLES,
    UNIT_SCOPED_ROLES,
    Channel,
    ClockKind,
    ClockStatus,
    Role,
    State,
)
from workflow.models import Clock, Complaint, ComplaintEvent, Unit
from workflow.services.actions import actions_for, load_complaint, situation_of
from workflow.services.redaction import found_only_by_identity, shown_text
from workflow.services.sop import active_sop, sop_of

DEADLINE_KEYS = {kind: f"{kind.value}_due" for kind in ClockKind}
WORK_CLOCKS = (ClockKind.verification.value, ClockKind.response.value, ClockKind.resolution.value)
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class ComplaintFilter:
    """What a staff list asks for."""

    states: tuple[str, ...] = ()
    unit: str | None = None
    overdue: bool | None = None
    q: str | None = None
    page: int = 1
    per_page: int = 25
    # The staff queues' filters (web/staff): class, category, channel, receipt dates (regency time zone) …
    class_code: str | None = None
    category: str | None = None
    channel: str | None = None
    received_from: date | None = None
    received_to: date | None = None
    # … a work clock close to its deadline (see at_risk_days), no action for a while, a drafted follow-up
    # waiting for the penghubung, an escalation level of 1 or more …
    at_risk: bool = False
    stuck: bool = False
    awaiting_approval: bool = False
    escalated: bool = False
    # … and the order: "received" (newest first), "deadline" (nearest first), "supervision" (berkadar
    # pengawasan first, then by deadline).
    sort: str = "received"


def complaint_detail(complaint_id: int, actor: Actor, now: datetime) -> dict:
    """Return one complaint as ``actor`` may see it, with deadlines, clocks, events and allowed actions."""
    complaint = load_complaint(complaint_id)
    if not can_see(actor, situation_of(complaint)):
        raise NotFound("Pengaduan tidak ditemukan. / Complaint not found.", {"complaint_id": complaint_id})
    return describe(complaint, actor, now)


def describe(complaint: Complaint, actor: Actor, now: datetime) -> dict:
    """Shape a loaded complaint for ``actor`` (staff view)."""
    tz = zone_of(complaint)
    sop = sop_of(complaint.sop_version)
    category = sop.category(complaint.category_code)
    klass = sop.complaint_class(complaint.class_code) if complaint.class_code else None
    show_identity = not complaint.anonymous or can_see_identity(actor)
    # The reporter's own words (a story, a dispute) may name them: blanked out for whoever may not know them.
    def text(value: str | None) -> str | None:
        return shown_text(actor, complaint, value)

    events = db.session.scalars(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)
        .options(selectinload(ComplaintEvent.actor)).order_by(ComplaintEvent.id)).all()
    return {
        "id": complaint.id,
        "tracking_code": complaint.tracking_code,
        "state": complaint.state,
        "state_label": State(complaint.state).label,
        "title": text(complaint.title),
        "description": text(complaint.description),
        "channel": complaint.channel,
        "category": {"code": complaint.category_code, "name": category.name if category else None},
        "class": {"code": klass.code, "name": klass.name} if klass else None,
        "unit": {"code": complaint.unit.code, "name": complaint.unit.name} if complaint.unit else None,
        "location": {"desa": complaint.desa, "kecamatan": complaint.kecamatan, "address": complaint.address,
                     "lat": complaint.lat, "lng": complaint.lng},
        "occurred_on": complaint.occurred_on.isoformat() if complaint.occurred_on else None,
        "reporter": ({"name": complaint.reporter_name, "phone": complaint.reporter_phone,
                      "email": complaint.reporter_email} if show_identity else None),
        "gesi": ({"gender": complaint.gesi_gender, "disability": complaint.gesi_disability,
                  "marginal_group": complaint.gesi_marginal_group} if show_identity else None),
        "anonymous": complaint.anonymous,
        "confidential": complaint.confidential,
        "confidentiality_confirmed": complaint.confidentiality_confirmed,
        "needs_assistance": complaint.needs_assistance,
        "escalation_level": complaint.escalation_level,
        "bounce_count": complaint.bounce_count,
        "reopen_count": complaint.reopen_count,
        "closure": complaint.closure,
        "archive_reason": complaint.archive_reason,
        "duplicate_of": complaint.duplicate_of_id,
        "transfer_target": complaint.transfer_target,
        "external_ref": complaint.external_ref,
        "sop_version": complaint.sop_version.version,
        "received_at": local(complaint.received_at, tz),
        "verified_at": local(complaint.verified_at, tz),
        "closed_at": local(complaint.closed_at, tz),
        "version": complaint.version,
        "deadlines": deadlines(complaint, tz),
        "clocks": [clock_view(clock, now, tz) for clock in complaint.clocks],
        "events": [event_view(event, tz, staff=True) | {"comment": text(event.comment)} for event in events],
        "allowed_actions": actions_for(actor, complaint, now),
    }


def reporter_view(complaint: Complaint, actor: Actor, now: datetime) -> dict:
    """Shape a complaint for its reporter: no internal notes, no staff names, no hidden data."""
    tz = zone_of(complaint)
    sop = sop_of(complaint.sop_version)
    category = sop.category(complaint.category_code)
    events = db.session.scalars(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id,
                                     ComplaintEvent.internal.is_(False))
        .order_by(ComplaintEvent.id)).all()
    return {
        "tracking_code": complaint.tracking_code,
        "state": complaint.state,
        "state_label": State(complaint.state).label,
        "title": complaint.title,
        "category": {"code": complaint.category_code, "name": category.name if category else None},
        "unit": {"code": complaint.unit.code, "name": complaint.unit.name} if complaint.unit else None,
        "closure": complaint.closure,
        "anonymous": complaint.anonymous,
        "confidential": complaint.confidential,
        "received_at": local(complaint.received_at, tz),
        "closed_at": local(complaint.closed_at, tz),
        "version": complaint.version,
        "deadlines": deadlines(complaint, tz),
        "next_step": next_step(complaint, tz),
        "events": [event_view(event, tz, staff=False) for event in events],
        "allowed_actions": actions_for(actor, complaint, now),
    }


def receipt(complaint: Complaint) -> dict:
    """Return what filing answers: id, tracking code, state, receipt time and deadlines."""
    tz = zone_of(complaint)
    return {"id": complaint.id, "tracking_code": complaint.tracking_code, "state": complaint.state,
            "state_label": State(complaint.state).label,
            "received_at": local(complaint.received_at, tz), "deadlines": deadlines(complaint, tz)}


def list_complaints(actor: Actor, filters: ComplaintFilter, now: datetime, count_limit: int | None = None) -> dict:
    """Return one page of the complaints ``actor`` may see, in the filter's order, with the total.

    With ``count_limit`` the total is counted up to one more than the limit (``"counted_to"`` says where the
    count stopped): a queue of a million complaints needs no exact count to be paged through.
    """
    query = _filtered(actor, filters, now)
    total = _count(query, count_limit)
    counted_to = count_limit if count_limit is not None and total > count_limit else None
    pages = (total + filters.per_page - 1) // filters.per_page
    if counted_to is not None:  # there is always a next page past the counted ones
        pages = max(pages, filters.page + 1)
    rows = _page_of(query, filters)
    regency_tz = ZoneInfo(active_sop()[1].sop.timezone)
    found = {"items": [_summary(c, now, regency_tz, actor) for c in rows], "page": filters.page,
             "per_page": filters.per_page, "total": total, "pages": pages}
    return found | {"counted_to": counted_to} if count_limit is not None else found


def count_complaints(actor: Actor, filters: ComplaintFilter, now: datetime, limit: int | None = None) -> int:
    """Return how many complaints ``actor`` may see match ``filters`` (counting stops at ``limit`` + 1)."""
    return _count(_filtered(actor, filters, now), limit)


def _filtered(actor: Actor, filters: ComplaintFilter, now: datetime):
    if filters.page < 1 or not 1 <= filters.per_page <= MAX_PER_PAGE:
        raise InvalidInput("Halaman tidak valid. / Invalid page.",
                           {"page": ">= 1", "per_page": f"1–{MAX_PER_PAGE}"})
    unknown = [s for s in filters.states if s not in {state.value for state in State}]
    if unknown:
        raise InvalidInput("Status tidak dikenal. / Unknown state.",
                           {"state": f"{', '.join(unknown)}; pilih / choose: {', '.join(s.value for s in State)}"})
    query = _narrowed(scoped(select(Complaint), actor), filters, now)
    if filters.states:
        query = query.where(Complaint.state.in_(filters.states))
    if filters.unit:
        unit_id = db.session.scalar(select(Unit.id).filter_by(code=filters.unit))
        if unit_id is None:
            raise InvalidInput("Unit tidak dikenal. / Unknown unit.", {"unit": filters.unit})
        query = query.where(Complaint.unit_id == unit_id)
    if filters.overdue is not None:
        late = Clock.due_at < now
        query = query.where(with_running_clock(late) if filters.overdue else ~exists().where(
            Clock.complaint_id == Complaint.id, Clock.status == ClockStatus.running.value, Clock.kind.in_(WORK_CLOCKS),
            late))
    if filters.q:
        # The user's % and _ are text to find, not wildcards.
        escaped = filters.q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        query = query.where(or_(*(column.ilike(pattern, escape="\\") for column in
                                  (Complaint.tracking_code, Complaint.title, Complaint.description))))
        if not can_see_identity(actor):
            query = _without_hidden_reporters(query, filters.q)
    return query


def _count(query, limit: int | None) -> int:
    # A constant, not the id: an index that holds the filtered columns then answers without reading the rows.
    counted = query.with_only_columns(literal(1), maintain_column_froms=True).order_by(None)
    if limit is not None:
        counted = counted.limit(limit + 1)
    return db.session.scalar(select(func.count()).select_from(counted.subquery()))


def _page_of(query, filters: ComplaintFilter) -> list[Complaint]:
    """Return one page of ``query`` in the filter's order.

    Newest first reads the receipt-time index. Nearest deadline first is read in two parts instead of sorting
    every matching complaint by a per-complaint subquery (a queue of a million would be sorted on each page):
    the complaints with a running work clock, walked from the running clocks in deadline order, then those
    without one, oldest first — for "supervision" once for the supervisory class, then for the others. Each
    part reads only the ids it needs for the page; the complaints are then loaded by id.
    """
    offset, wanted = (filters.page - 1) * filters.per_page, filters.per_page
    options = (selectinload(Complaint.clocks), selectinload(Complaint.unit))
    if filters.sort == "received":
        return db.session.scalars(query.options(*options).order_by(Complaint.received_at.desc(), Complaint.id.desc())
                                  .limit(wanted).offset(offset)).all()
    groups = [query]
    if filters.sort == "supervision":
        groups = [query.where(Complaint.class_code == SUPERVISORY_CLASS),
                  query.where(or_(Complaint.class_code != SUPERVISORY_CLASS, Complaint.class_code.is_(None)))]
    ids: list[int] = []
    with serial_plans():
        for part in (read for group in groups for read in (_ids_by_deadline(group), _ids_without_deadline(group))):
            if len(ids) == wanted:
                break
            found = db.session.scalars(part.limit(offset + wanted - len(ids))).all()
            ids += found[offset:]
            offset = max(0, offset - len(found))
    loaded = {c.id: c for c in db.session.scalars(select(Complaint).where(Complaint.id.in_(ids)).options(*options))}
    return [loaded[i] for i in ids]


@contextmanager
def serial_plans():
    """Plan the statements inside without parallel workers (PostgreSQL; elsewhere nothing changes).

    For reads that stop after a few rows (a page in deadline order): PostgreSQL's parallel workers each read
    ahead of what the page needs, and start slowly on a busy machine — the first page of the supervision queue
    read 17,000 running clocks in 116 ms with two workers, 3,000 in 6 ms without, at a million complaints.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        yield
        return
    db.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    yield
    # Not reached when a statement failed: then the transaction is rolled back, and the setting with it.
    db.session.execute(text("SET LOCAL max_parallel_workers_per_gather TO DEFAULT"))


def _ids_by_deadline(query):
    # One row per complaint: the running work clock with its nearest deadline (ties: the first clock).
    clock, sooner = aliased(Clock), aliased(Clock)
    earlier = or_(sooner.due_at < clock.due_at, and_(sooner.due_at == clock.due_at, sooner.id < clock.id))
    nearest = ~exists().where(sooner.complaint_id == clock.complaint_id, sooner.status == ClockStatus.running.value,
                              sooner.kind.in_(WORK_CLOCKS), earlier)
    return (query.with_only_columns(Complaint.id).join(clock, clock.complaint_id == Complaint.id)
            .where(clock.status == ClockStatus.running.value, clock.kind.in_(WORK_CLOCKS), nearest)
            .order_by(clock.due_at, Complaint.received_at, Complaint.id))


def _ids_without_deadline(query):
    running = exists().where(Clock.complaint_id == Complaint.id, Clock.status == ClockStatus.running.value,
                             Clock.kind.in_(WORK_CLOCKS))
    return query.with_only_columns(Complaint.id).where(~running).order_by(Complaint.received_at, Complaint.id)


# What happens next in each open state, and the clock whose deadline says by when (first running one wins).
NEXT_STEPS = {
    State.received: (("verify", ClockKind.verification),),
    State.pending_info: (("supply_info", ClockKind.info),),
    State.dispositioned: (("respond", ClockKind.response), ("resolve", ClockKind.resolution)),
    State.in_progress: (("respond", ClockKind.response), ("resolve", ClockKind.resolution)),
    State.returned: (("redispose", ClockKind.resolution),),
    State.responded: (("answer", ClockKind.confirmation),),
}


def next_step(complaint: Complaint, tz: ZoneInfo) -> dict | None:
    """Return the complaint's next step and its deadline in ``tz`` (None once it has ended)."""
    for step, kind in NEXT_STEPS.get(State(complaint.state), ()):
        clock = complaint.clock(kind)
        if clock is not None and clock.status == ClockStatus.running.value:
            return {"step": step, "due": local(clock.due_at, tz)}
    return None


def deadlines(complaint: Complaint, tz: ZoneInfo) -> dict:
    """Return every clock's deadline in ``tz``, or None where that clock is not running."""
    result = dict.fromkeys(DEADLINE_KEYS.values())
    for clock in complaint.clocks:
        if clock.status == ClockStatus.running.value:
            result[DEADLINE_KEYS[ClockKind(clock.kind)]] = local(clock.due_at, tz)
    return result


def clock_view(clock: Clock, now: datetime, tz: ZoneInfo) -> dict:
    """Shape one clock: what a supervisor needs to audit it."""
    return {"kind": clock.kind, "status": clocks.display_status(clock, now),
            "limit_working_days": clock.limit_working_days, "started_at": local(clock.started_at, tz),
            "due_at": local(clock.due_at, tz), "remaining_working_days": clock.remaining_working_days,
            "breached_at": local(clock.breached_at, tz), "stopped_at": local(clock.stopped_at, tz)}


def event_view(event: ComplaintEvent, tz: ZoneInfo, staff: bool) -> dict:
    """Shape one audit event; reporters see roles, never staff names or internal details."""
    view = {"at": local(event.at, tz), "action": event.action, "from_state": event.from_state,
            "to_state": event.to_state, "actor_role": event.actor_role, "comment": event.comment}
    if staff:
        view.update(actor=event.actor.username if event.actor else None, internal=event.internal,
                    details=event.details)
    return view


def zone_of(complaint: Complaint) -> ZoneInfo:
    """Return the time zone a complaint's times are shown in: its unit's, else its SOP's."""
    if complaint.unit is not None:
        return ZoneInfo(complaint.unit.timezone)
    return ZoneInfo(sop_of(complaint.sop_version).sop.timezone)


def local(moment: datetime | None, tz: ZoneInfo) -> str | None:
    """Return ``moment`` as ISO-8601 with ``tz``'s offset."""
    return moment.astimezone(tz).isoformat() if moment else None


def scoped(query, actor: Actor):
    """Narrow a complaint query to what ``actor`` may see: the reach of ``rules.can_see``, in SQL."""
    if actor.role in REGENCY_ROLES:
        return query
    if actor.role in UNIT_SCOPED_ROLES:
        return query.where(Complaint.unit_id.in_(actor.unit_ids))
    if actor.role is Role.facilitator:
        return query.where(Complaint.entered_by_id == actor.user_id)
    return query.where(Complaint.id == actor.complaint_id) if actor.complaint_id else query.where(False)


def _summary(complaint: Complaint, now: datetime, regency_tz: ZoneInfo, actor: Actor) -> dict:
    tz = ZoneInfo(complaint.unit.timezone) if complaint.unit else regency_tz
    running = [c for c in complaint.clocks
               if c.status == ClockStatus.running.value and c.kind in WORK_CLOCKS]
    next_due = min(running, key=lambda c: c.due_at, default=None)
    return {"id": complaint.id, "tracking_code": complaint.tracking_code,
            "title": shown_text(actor, complaint, complaint.title),
            "state": complaint.state, "category": complaint.category_code, "class": complaint.class_code,
            "channel": complaint.channel, "unit": complaint.unit.code if complaint.unit else None,
            "escalation_level": complaint.escalation_level, "received_at": local(complaint.received_at, tz),
            "next_due": local(next_due.due_at, tz) if next_due else None,
            "overdue": any(clocks.is_overdue(c, now) for c in running), "version": complaint.version}


def _without_hidden_reporters(query, q: str):
    """Drop the anonymous complaints a text search found only by their hidden reporter's name, phone or e-mail.

    Few complaints are anonymous and fewer name their reporter in the text, so the candidates are read and
    checked against the text as the searcher would read it (``redaction``), which SQL cannot do alike on
    every database.
    """
    candidates = db.session.execute(query.order_by(None).where(
        Complaint.anonymous.is_(True),
        or_(Complaint.reporter_name.is_not(None), Complaint.reporter_phone.is_not(None),
            Complaint.reporter_email.is_not(None)))
        .with_only_columns(Complaint.id, Complaint.tracking_code, Complaint.title, Complaint.description,
                           Complaint.reporter_name, Complaint.reporter_phone, Complaint.reporter_email)).all()
    hidden = [row.id for row in candidates
              if found_only_by_identity(row, q, [row.tracking_code, row.title, row.description])]
    return query.where(Complaint.id.not_in(hidden)) if hidden else query


# Staff desk events that are not lifecycle actions (workflow/services/desk.py): never shown to reporters.
NOTE_ACTION, DRAFT_ACTION = "staff_note", "draft_response"
# A drafted follow-up waits for the penghubung until one of these comes after it.
DRAFT_SETTLED_BY = ("respond", "return", "redispose", "archive", "transfer_out")
SUPERVISORY_CLASS = "pengaduan_berkadar_pengawasan"
# A work clock is at risk when at most this many working days are left, or fewer than the SOP's warning
# point (warning_fraction of its limit gone), whichever comes first.
DUE_SOON_WORKING_DAYS = 2
SORTS = ("received", "deadline", "supervision")


def at_risk_days(limit_working_days: int, warning_fraction: float) -> int:
    """Return how many working days left make a clock of ``limit_working_days`` at risk."""
    warning_left = max(1, math.ceil(limit_working_days * (1 - warning_fraction)))
    return max(DUE_SOON_WORKING_DAYS, warning_left - 1)


def with_running_clock(condition) -> ColumnElement[bool]:
    """Return the SQL condition "has a running work clock that meets ``condition``" (a condition on :class:`Clock`).

    Running clocks belong to open complaints only, so the ones that match are few: they are read once and their
    complaints matched by primary key. As a correlated EXISTS, PostgreSQL misjudges how few running clocks are
    past due — most running deadlines lie ahead, almost every other clock's behind — and reads every complaint
    in reach to find them (0.4 s at a million); given the matches as one array, it looks each one up.
    """
    matching = and_(Clock.status == ClockStatus.running.value, Clock.kind.in_(WORK_CLOCKS), condition)
    if db.session.get_bind().dialect.name == "postgresql":
        found = select(func.array_agg(Clock.complaint_id)).where(matching).scalar_subquery()
        return Complaint.id == any_(cast(found, ARRAY(Integer)))
    return Complaint.id.in_(select(Clock.complaint_id).where(matching))


def _narrowed(query, filters: ComplaintFilter, now: datetime):
    _, sop = active_sop()
    problems = {}
    if filters.class_code and sop.complaint_class(filters.class_code) is None:
        problems["class"] = f"pilih / choose: {', '.join(c.code for c in sop.classes)}"
    if filters.category and sop.category(filters.category) is None:
        problems["category"] = f"kategori '{filters.category}' tidak dikenal / unknown category"
    if filters.channel and filters.channel not in {c.value for c in Channel}:
        problems["channel"] = f"pilih / choose: {', '.join(c.value for c in Channel)}"
    if filters.received_from and filters.received_to and filters.received_from > filters.received_to:
        problems["received_to"] = "harus setelah tanggal awal / must be after the start date"
    if filters.sort not in SORTS:
        problems["sort"] = f"pilih / choose: {', '.join(SORTS)}"
    if problems:
        raise InvalidInput("Filter tidak valid. / Invalid filter.", problems)
    if filters.class_code:
        query = query.where(Complaint.class_code == filters.class_code)
    if filters.category:
        query = query.where(Complaint.category_code == filters.category)
    if filters.channel:
        query = query.where(Complaint.channel == filters.channel)
    tz = ZoneInfo(sop.sop.timezone)
    if filters.received_from:
        query = query.where(Complaint.received_at >= datetime.combine(filters.received_from, time(), tz))
    if filters.received_to:
        query = query.where(Complaint.received_at < datetime.combine(filters.received_to + timedelta(days=1),
                                                                     time(), tz))
    if filters.escalated:
        query = query.where(Complaint.escalation_level >= 1)
    if filters.at_risk or filters.stuck:
        from workflow.services.calendars import calendar_for

        calendar = calendar_for(sop, None, now)
        if filters.at_risk:
            limits = db.session.scalars(select(Clock.limit_working_days).where(
                Clock.status == ClockStatus.running.value, Clock.kind.in_(WORK_CLOCKS)).distinct()).all()
            close = [and_(Clock.limit_working_days == limit,
                          Clock.due_at <= calendar.deadline(now, at_risk_days(limit, sop.escalation.warning_fraction)))
                     for limit in limits]
            query = query.where(with_running_clock(and_(Clock.due_at >= now, or_(*close))) if close else False)
        if filters.stuck:
            since = calendar.end_of_day(calendar.working_day_before(calendar.local_date(now),
                                                                    sop.escalation.stuck_working_days))
            query = query.where(Complaint.state.in_([s.value for s in OPEN_STATES]), Complaint.updated_at < since)
    if filters.awaiting_approval:
        draft, later = ComplaintEvent, ComplaintEvent.__table__.alias("later")
        settled = exists().where(later.c.complaint_id == draft.complaint_id, later.c.id > draft.id,
                                 later.c.action.in_(DRAFT_SETTLED_BY))
        waiting = exists().where(draft.complaint_id == Complaint.id, draft.action == DRAFT_ACTION, ~settled)
        query = query.where(Complaint.state == State.in_progress.value, waiting)
    return query
