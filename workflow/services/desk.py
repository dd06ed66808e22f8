"""The staff desk: queues per role with counts, the complaint page, internal notes, drafted follow-ups
and bulk acknowledgement.

Notes and drafts are audit events without a state change (``internal``, never shown to the reporter,
never sent to listeners): a unit handler drafts the follow-up, the pejabat penghubung reads the draft
and posts it with the lifecycle action ``respond``.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from workflow.db import db
from workflow.domain import clocks as clock_rules
from workflow.domain.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from workflow.domain.rules import Actor, can_see
from workflow.domain.states import (
    FINAL_STATES,
    STAFF_ROLES,
    WINDOW_CLOCKS,
    Action,
    ArchiveReason,
    ClockStatus,
    Role,
    State,
)
from workflow.models import Clock, Complaint, ComplaintEvent, Unit
from workflow.services import inputs
from workflow.services.actions import load_complaint, situation_of, take_action
from workflow.services.calendars import calendar_for
from workflow.services.queries import (
    DRAFT_ACTION,
    DRAFT_SETTLED_BY,
    NOTE_ACTION,
    ComplaintFilter,
    at_risk_days,
    count_complaints,
    describe,
    list_complaints,
    local,
    zone_of,
)
from workflow.services.sop import active_sop, sop_of

OPEN = tuple(s.value for s in State if s not in FINAL_STATES)

# Each queue is a preset filter; the staff screens name them (web/staff) and let people refine them.
QUEUES: dict[str, ComplaintFilter] = {
    "incoming": ComplaintFilter(states=(State.received.value,), sort="deadline"),
    "returned": ComplaintFilter(states=(State.returned.value,), sort="deadline"),
    "pending_info": ComplaintFilter(states=(State.pending_info.value,), sort="deadline"),
    "dispositioned": ComplaintFilter(states=(State.dispositioned.value,), sort="deadline"),
    "in_progress": ComplaintFilter(states=(State.in_progress.value,), sort="deadline"),
    "due_soon": ComplaintFilter(at_risk=True, sort="deadline"),
    "at_risk": ComplaintFilter(at_risk=True, sort="deadline"),
    "breached": ComplaintFilter(overdue=True, sort="deadline"),
    "stuck": ComplaintFilter(stuck=True, sort="deadline"),
    "awaiting_approval": ComplaintFilter(awaiting_approval=True, sort="deadline"),
    "escalated": ComplaintFilter(states=OPEN, escalated=True, sort="deadline"),
    "open": ComplaintFilter(states=OPEN, sort="deadline"),
    "supervision": ComplaintFilter(sort="supervision"),
    "all": ComplaintFilter(sort="received"),
}

ROLE_QUEUES: dict[Role, tuple[str, ...]] = {
    Role.admin_instansi: ("incoming", "returned", "pending_info", "breached", "all"),
    Role.unit_admin: ("dispositioned", "in_progress", "due_soon", "all"),
    Role.penghubung: ("at_risk", "breached", "stuck", "awaiting_approval", "dispositioned", "in_progress", "all"),
    Role.coordinator: ("escalated", "breached", "stuck", "open", "all"),
    Role.inspector: ("supervision", "breached", "escalated", "all"),
    Role.leader: ("open", "breached", "all"),
    Role.sysadmin: ("all",),
    Role.facilitator: ("all",),
}
BULK_ACTIONS = (Action.acknowledge.value,)
MAX_BULK = 100
# Queues are counted up to here and shown as "10.000+" beyond: every staff page shows every count of the role,
# and "all" or "supervision" would otherwise count a million rows each time.
COUNT_LIMIT = 10_000


@dataclass(frozen=True)
class BulkResult:
    """What a bulk action did: the complaints it moved and, for the others, why not."""

    done: list[str]
    refused: dict[str, str]


def queues_for(actor: Actor) -> tuple[str, ...]:
    """Return the queues ``actor`` works from, the first being their default."""
    return ROLE_QUEUES.get(actor.role, ("all",))


def queue_counts(actor: Actor, now: datetime, shown: dict | None = None) -> dict[str, int]:
    """Return how many complaints each of ``actor``'s queues holds; ``COUNT_LIMIT`` + 1 stands for "more".

    ``shown`` is a queue page just read (:func:`queue_page`): unless a refinement narrowed it, its total is
    that queue's count, and the queue is not counted twice.
    """
    known = {shown["queue"]: shown["total"]} if shown is not None and shown["unrefined"] else {}
    return {code: known[code] if code in known else count_complaints(actor, queue_filter(actor, code), now,
                                                                     COUNT_LIMIT)
            for code in queues_for(actor)}


def queue_filter(actor: Actor, code: str, **refinements) -> ComplaintFilter:
    """Return the filter of queue ``code`` refined by what a person asked for (state, unit, class …)."""
    if code not in queues_for(actor):
        raise NotFound("Antrian tidak ditemukan. / Queue not found.",
                       {"queue": f"pilih / choose: {', '.join(queues_for(actor))}"})
    preset = QUEUES[code]
    chosen = {key: value for key, value in refinements.items() if value not in (None, "", ())}
    outside = [s for s in chosen.get("states", ()) if preset.states and s not in preset.states]
    if outside:
        raise InvalidInput("Status ini tidak ada dalam antrian ini. / This state is not in this queue.",
                           {"state": f"pilih / choose: {', '.join(preset.states)}"})
    return replace(preset, **chosen)


def queue_page(actor: Actor, code: str, filters: ComplaintFilter, now: datetime) -> dict:
    """Return one page of a queue, each row with its nearest deadline marked on time, at risk or breached."""
    page = list_complaints(actor, filters, now, count_limit=COUNT_LIMIT)
    ids = [item["id"] for item in page["items"]]
    if ids:
        _, sop = active_sop()
        calendar = calendar_for(sop, None, now)
        found = db.session.scalars(select(Clock).where(Clock.complaint_id.in_(ids))).all()
        by_complaint: dict[int, list[Clock]] = {}
        for clock in found:
            by_complaint.setdefault(clock.complaint_id, []).append(clock)
        for item in page["items"]:
            running = [c for c in by_complaint.get(item["id"], ())
                       if c.status == ClockStatus.running.value and c.kind not in _WINDOWS]
            nearest = min(running, key=lambda c: c.due_at, default=None)
            item["mark"] = clock_mark(nearest, now, calendar, sop.escalation.warning_fraction) if nearest else None
    preset = QUEUES[code]
    return page | {"queue": code, "unrefined": replace(filters, page=preset.page, per_page=preset.per_page) == preset}


def clock_mark(clock, now: datetime, calendar, warning_fraction: float) -> dict:
    """Return what a person reads of one clock: its mark and the working days left or late."""
    status = clock_rules.display_status(clock, now)
    view = {"kind": clock.kind, "status": status, "limit_working_days": clock.limit_working_days}
    if clock.status == ClockStatus.running.value and clock.due_at is not None:
        if now > clock.due_at:
            late = calendar.working_days_between(clock.due_at, now)
            return view | {"mark": "breached" if clock.kind not in _WINDOWS else "expired", "days_late": late,
                           "days_left": None}
        left = calendar.working_days_left(now, clock.due_at)
        risky = clock.kind not in _WINDOWS and left <= at_risk_days(clock.limit_working_days, warning_fraction)
        return view | {"mark": "at_risk" if risky else "on_time", "days_left": left, "days_late": None}
    if clock.status == ClockStatus.paused.value:
        return view | {"mark": "paused", "days_left": clock.remaining_working_days, "days_late": None}
    late = None
    if clock.status == ClockStatus.breached.value and clock.due_at is not None and clock.stopped_at is not None:
        late = calendar.working_days_between(clock.due_at, clock.stopped_at)
    return view | {"mark": clock.status, "days_left": None, "days_late": late}


def complaint_page(complaint_id: int, actor: Actor, now: datetime) -> dict:
    """Return everything the staff complaint page shows ``actor``: facts, clocks, timeline, actions,
    attachments, the routing and duplicate suggestions (while it waits for verification or redisposition),
    the latest drafted follow-up and the choices each action form offers."""
    from workflow.services.attachments import list_attachments
    from workflow.services.duplicates import suggest_duplicates
    from workflow.services.routing import suggest_routing

    complaint = load_complaint(complaint_id)
    if actor.role not in STAFF_ROLES or not can_see(actor, situation_of(complaint)):
        raise NotFound("Pengaduan tidak ditemukan. / Complaint not found.", {"complaint_id": complaint_id})
    page = describe(complaint, actor, now)
    sop = sop_of(complaint.sop_version)
    calendar = calendar_for(sop, complaint.unit, now)
    tz = zone_of(complaint)
    page["clock_marks"] = [
        clock_mark(clock, now, calendar, sop.escalation.warning_fraction)
        | {"due_at": local(clock.due_at, tz), "started_at": local(clock.started_at, tz),
           "breached_at": local(clock.breached_at, tz), "stopped_at": local(clock.stopped_at, tz)}
        for clock in complaint.clocks if clock.status != ClockStatus.cancelled.value]
    allowed = set(page["allowed_actions"])
    routing_actions = {Action.verify.value, Action.redispose.value, Action.transfer_out.value}
    page["routing"] = ([s.as_dict() for s in suggest_routing(complaint.id, actor, now)]
                       if allowed & routing_actions else [])
    page["duplicates"] = ([m.as_dict() for m in suggest_duplicates(complaint.id, actor, now)]
                          if Action.mark_duplicate.value in allowed else [])
    page["attachments"] = list_attachments(complaint.id, actor)
    page["draft"] = latest_draft(complaint.id, tz)
    page["may_note"] = _may_write(actor, complaint)
    page["may_draft"] = page["may_note"] and complaint.state == State.in_progress.value and actor.role in (
        Role.unit_admin, Role.penghubung)
    page["choices"] = form_choices()
    return page


def form_choices() -> dict:
    """Return what the action forms offer: active units, classes, categories and archive reasons."""
    _, sop = active_sop()
    units = db.session.scalars(select(Unit).where(Unit.active.is_(True), Unit.kind != "regency")
                               .order_by(Unit.kind, Unit.name)).all()
    return {
        "units": [{"code": u.code, "name": u.name, "kind": u.kind} for u in units],
        "classes": [{"code": c.code, "name": c.name, "name_en": c.name_en} for c in sop.classes],
        "categories": [{"code": c.code, "name": c.name, "name_en": c.name_en} for c in sop.categories],
        "archive_reasons": [r.value for r in ArchiveReason if r is not ArchiveReason.duplicate],
    }


def latest_draft(complaint_id: int, tz: ZoneInfo) -> dict | None:
    """Return the drafted follow-up still waiting to be posted, if any."""
    events = db.session.scalars(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint_id,
                                     ComplaintEvent.action.in_((DRAFT_ACTION, *DRAFT_SETTLED_BY)))
        .options(selectinload(ComplaintEvent.actor)).order_by(ComplaintEvent.id.desc()).limit(1)).all()
    if not events or events[0].action != DRAFT_ACTION:
        return None
    draft = events[0]
    return {"text": draft.comment, "at": local(draft.at, tz), "by": draft.actor.username if draft.actor else None}


def add_note(complaint_id: int, actor: Actor, now: datetime, text: str) -> ComplaintEvent:
    """Write an internal note on a complaint: staff read it, the reporter never does."""
    return _desk_event(complaint_id, actor, now, NOTE_ACTION, text, "note")


def draft_response(complaint_id: int, actor: Actor, now: datetime, text: str) -> ComplaintEvent:
    """Draft the follow-up of a complaint in progress, for the pejabat penghubung to post."""
    complaint = load_complaint(complaint_id)
    if not can_see(actor, situation_of(complaint)):
        raise NotFound("Pengaduan tidak ditemukan. / Complaint not found.", {"complaint_id": complaint_id})
    if actor.role not in (Role.unit_admin, Role.penghubung):
        raise PermissionDenied("Hanya petugas unit yang menyusun tanggapan. / Only the unit drafts the follow-up.",
                               {"role": actor.role.value})
    if complaint.state != State.in_progress.value:
        raise InvalidInput("Tanggapan disusun saat pengaduan sedang diproses. / A follow-up is drafted while the "
                           "complaint is in progress.", {"state": complaint.state})
    return _desk_event(complaint_id, actor, now, DRAFT_ACTION, text, "draft")


def act_on_many(complaint_ids: list[int], action: str, actor: Actor, now: datetime) -> BulkResult:
    """Take one bulk action (acknowledge) on several complaints; each succeeds or fails on its own."""
    if action not in BULK_ACTIONS:
        raise InvalidInput("Aksi ini tidak dapat dilakukan sekaligus. / This action cannot be taken in bulk.",
                           {"action": f"pilih / choose: {', '.join(BULK_ACTIONS)}"})
    ids = list(dict.fromkeys(complaint_ids))
    if not ids or len(ids) > MAX_BULK:
        raise InvalidInput("Pilih pengaduan terlebih dahulu. / Select complaints first.",
                           {"complaint_ids": f"1–{MAX_BULK}"})
    done, refused = [], {}
    for complaint_id in ids:
        try:
            with db.session.begin_nested():
                complaint = take_action(complaint_id, action, actor, now, {})
            done.append(complaint.tracking_code)
        except DomainError as error:
            # A complaint out of reach is named by the id that was sent: its tracking code would reveal it.
            code = None if isinstance(error, NotFound) else db.session.scalar(
                select(Complaint.tracking_code).where(Complaint.id == complaint_id))
            refused[code or str(complaint_id)] = error.message
    return BulkResult(done, refused)


_WINDOWS = frozenset(k.value for k in WINDOW_CLOCKS)


def _may_write(actor: Actor, complaint: Complaint) -> bool:
    return actor.role in (Role.admin_instansi, Role.unit_admin, Role.penghubung, Role.coordinator,
                          Role.inspector) and can_see(actor, situation_of(complaint))


def _desk_event(complaint_id: int, actor: Actor, now: datetime, action: str, text: str,
                field: str) -> ComplaintEvent:
    complaint = load_complaint(complaint_id)
    if not can_see(actor, situation_of(complaint)) or actor.role not in STAFF_ROLES:
        raise NotFound("Pengaduan tidak ditemukan. / Complaint not found.", {"complaint_id": complaint_id})
    if not _may_write(actor, complaint):
        raise PermissionDenied("Peran ini hanya membaca. / This role only reads.", {"role": actor.role.value})
    text = inputs.parse(inputs.NeedsComment, {"comment": text}).comment if text and text.strip() else ""
    if not text:
        raise InvalidInput("Tulis teksnya terlebih dahulu. / Write the text first.", {field: "wajib / required"})
    event = ComplaintEvent(complaint_id=complaint.id, at=now, actor_id=actor.user_id, actor_role=actor.role.value,
                           action=action, from_state=complaint.state, to_state=complaint.state, comment=text,
                           internal=True, details={})
    db.session.add(event)
    db.session.flush()
    return event

