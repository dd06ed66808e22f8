"""One use case per lifecycle action, all through :func:`_transition`.

Each function checks its input, authorizes the actor against the transition table, moves the
complaint, applies the action's clock effects and writes the audit events — then flushes. The
edge commits once; if anything raises, the edge rolls back and nothing is half-stored.
"""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from sop import Sop
from workflow.db import db
from workflow.domain import clocks
from workflow.domain.errors import InvalidInput, NotFound, VersionConflict
from workflow.domain.machine import CLOCK_EFFECTS, LIFECYCLE, Subject
from workflow.domain.rules import Actor, Situation, allowed_actions, authorize
from workflow.domain.states import (
    STOPPED_CLOCK_STATUSES,
    Action,
    ArchiveReason,
    ClockKind,
    ClockStatus,
    Closure,
    State,
)
from workflow.models import Clock, Complaint, ComplaintEvent, Unit
from workflow.services import findings, hooks, inputs, sla
from workflow.services.calendars import calendar_for
from workflow.services.sop import active_sop, sop_of

# Actions whose audit event stays among staff: the reporter sees the outcome, not the internal hops.
INTERNAL_ACTIONS = frozenset({Action.return_, Action.redispose, Action.escalate})
Mutation = Callable[[Complaint, Sop], dict | None]


def verify(complaint_id: int, actor: Actor, now: datetime, params: inputs.Verify) -> Complaint:
    """Verify a complaint: decide confidentiality, confirm class and category, dispose it to a unit."""
    def mutate(complaint: Complaint, sop: Sop) -> dict:
        # The complaint is pinned to the SOP in force when it was verified.
        version, current = active_sop()
        unit = _unit(params.unit)
        category = params.category or complaint.category_code
        problems = {}
        if current.complaint_class(params.class_) is None:
            problems["class"] = f"kelas '{params.class_}' tidak dikenal; pilih: {_codes(current.classes)}"
        if current.category(category) is None:
            problems["category"] = f"kategori '{category}' tidak dikenal / unknown category"
        if problems:
            raise InvalidInput("Verifikasi tidak dapat disimpan. / Verification cannot be saved.", problems)
        complaint.sop_version = version
        complaint.unit, complaint.class_code, complaint.category_code = unit, params.class_, category
        complaint.anonymous, complaint.confidential = params.anonymous, params.confidential
        complaint.confidentiality_confirmed = True
        complaint.verified_at = now
        return {"unit": unit.code, "class": params.class_, "category": category, "anonymous": params.anonymous,
                "confidential": params.confidential, "sop_version": version.version}

    return _transition(complaint_id, Action.verify, actor, now, params, mutate)


def request_info(complaint_id: int, actor: Actor, now: datetime, params: inputs.NeedsComment) -> Complaint:
    """Ask the reporter for missing information; clocks pause until it arrives."""
    def mutate(complaint: Complaint, sop: Sop) -> dict:
        complaint.resume_to = complaint.state
        return {"resume_to": complaint.resume_to}

    return _transition(complaint_id, Action.request_info, actor, now, params, mutate)


def supply_info(complaint_id: int, actor: Actor, now: datetime, params: inputs.NeedsComment) -> Complaint:
    """Record the information the reporter supplied; the complaint resumes where it left off."""
    def mutate(complaint: Complaint, sop: Sop) -> dict:
        complaint.resume_to = None
        return {}

    return _transition(complaint_id, Action.supply_info, actor, now, params, mutate)


def expire_info(complaint_id: int, actor: Actor, now: datetime, params: inputs.ActionInput) -> Complaint:
    """Archive a complaint whose information window ran out (system)."""
    def mutate(complaint: Complaint, sop: Sop) -> dict:
        complaint.resume_to = None
        complaint.archive_reason = ArchiveReason.incomplete.value
        return {"reason": ArchiveReason.incomplete.value}

    return _transition(complaint_id, Action.expire_info, actor, now, params, mutate)


def archive(complaint_id: int, actor: Actor, now: datetime, params: inputs.Archive) -> Complaint:
    """Archive a complaint without resolution, with a reason."""
    def mutate(complaint: Complaint, sop: Sop) -> dict:
        complaint.resume_to = None
        complaint.archive_reason = params.reason
        return {"reason": params.reason}

    return _transition(complaint_id, Action.archive, actor, now, params, mutate)


def mark_duplicate(complaint_id: int, actor: Actor, now: datetime, params: inputs.MarkDuplicate) -> Complaint:
    """Archive a complaint as a duplicate, linked to its original (never deleted)."""
    def mutate(complaint: Complaint, sop: Sop) -> dict:
        original = _find(params.duplicate_of)
        if original is None or original.id == complaint.id:
            raise InvalidInput("Pengaduan asli tidak ditemukan. / Original complaint not found.",
                               {"duplicate_of": "sebutkan kode pelacakan atau id pengaduan lain / "
                                                "name another complaint's tracking code or id"})
        complaint.duplicate_of_id = original.id
        complaint.archive_reason = ArchiveReason.duplicate.value
        return {"duplicate_of": original.tracking_code}

    # The duplicate's reporter reads the original's tracking code in the event's public comment; the original
    # is looked up again (and refused if wrong) inside the transition, after the actor is authorized.
    original = _find(params.duplicate_of)
    if original is not None and original.id != complaint_id:
        notice = (f"Pengaduan ini sama dengan pengaduan {original.tracking_code} dan ditangani bersamanya. / "
                  f"This complaint repeats complaint {original.tracking_code} and is handled with it.")
        params = params.model_copy(update={"comment": f"{params.comment}\n{notice}" if params.comment else notice})
    return _transition(complaint_id, Action.mark_duplicate, actor, now, params, mutate)


def acknowledge(complaint_id: int, actor: Actor, now: datetime, params: inputs.ActionInput) -> Complaint:
    """Accept a disposition: the unit starts working on the complaint."""
    return _transition(complaint_id, Action.acknowledge, actor, now, params, None)


def return_(complaint_id: int, actor: Actor, now: datetime, params: inputs.Return) -> Complaint:
    """Hand a complaint back to the administrator as not this unit's authority (counted as a bounce)."""
    def mutate(complaint: Complaint, sop: Sop) -> dict:
        unit = complaint.unit
        complaint.unit = None
        complaint.bounce_count += 1
        return {"from_unit": unit.code, "bounce_count": complaint.bounce_count,
                "too_many_bounces": complaint.bounce_count >= sop.sop.max_bounces}

    return _transition(complaint_id, Action.return_, actor, now, params, mutate)


def redispose(complaint_id: int, actor: Actor, now: datetime, params: inputs.Redispose) -> Complaint:
    """Dispose a returned complaint to another unit; its resolution clock runs on."""
    def mutate(complaint: Complaint, sop: Sop) -> dict:
        complaint.unit = _unit(params.unit)
        return {"unit": complaint.unit.code}

    return _transition(complaint_id, Action.redispose, actor, now, params, mutate)


def transfer_out(complaint_id: int, actor: Actor, now: datetime, params: inputs.TransferOut) -> Complaint:
    """Transfer a complaint to an agency outside the regency (or the SP4N-LAPOR! hub)."""
    def mutate(complaint: Complaint, sop: Sop) -> dict:
        complaint.transfer_target = params.target
        if params.external_ref:
            complaint.external_ref = params.external_ref
        return {"target": params.target, "external_ref": params.external_ref}

    return _transition(complaint_id, Action.transfer_out, actor, now, params, mutate)


def respond(complaint_id: int, actor: Actor, now: datetime, params: inputs.NeedsComment) -> Complaint:
    """Post the unit's follow-up; the reporter's confirmation window opens."""
    return _transition(complaint_id, Action.respond, actor, now, params, None)


def confirm(complaint_id: int, actor: Actor, now: datetime, params: inputs.ActionInput) -> Complaint:
    """Close a complaint the reporter confirms as resolved."""
    return _transition(complaint_id, Action.confirm, actor, now, params, _closing(Closure.confirmed, now))


def dispute(complaint_id: int, actor: Actor, now: datetime, params: inputs.NeedsComment) -> Complaint:
    """Send a follow-up back to the unit: the reporter is not satisfied."""
    return _transition(complaint_id, Action.dispute, actor, now, params, None)


def auto_close(complaint_id: int, actor: Actor, now: datetime, params: inputs.ActionInput) -> Complaint:
    """Close a complaint whose confirmation window ran out (system)."""
    return _transition(complaint_id, Action.auto_close, actor, now, params, _closing(Closure.auto, now))


def close(complaint_id: int, actor: Actor, now: datetime, params: inputs.NeedsComment) -> Complaint:
    """Close a responded complaint by the administrator's decision, with a reason."""
    return _transition(complaint_id, Action.close, actor, now, params, _closing(Closure.admin, now))


def reopen(complaint_id: int, actor: Actor, now: datetime, params: inputs.NeedsComment) -> Complaint:
    """Reopen a closed complaint within the reopen window; the unit works on it again."""
    def mutate(complaint: Complaint, sop: Sop) -> dict:
        complaint.closure, complaint.closed_at = None, None
        complaint.reopen_count += 1
        return {"reopen_count": complaint.reopen_count}

    return _transition(complaint_id, Action.reopen, actor, now, params, mutate)


def escalate(complaint_id: int, actor: Actor, now: datetime, params: inputs.Escalate) -> Complaint:
    """Raise the escalation level (by one, or to ``level``), with a reason."""
    def mutate(complaint: Complaint, sop: Sop) -> dict:
        level = params.level or complaint.escalation_level + 1
        if level <= complaint.escalation_level:
            raise InvalidInput("Tingkat eskalasi harus lebih tinggi dari sekarang. / The level must be higher than "
                               "the current one.", {"level": f"> {complaint.escalation_level}"})
        complaint.escalation_level = level
        return {"level": level}

    return _transition(complaint_id, Action.escalate, actor, now, params, mutate)


# The registry the edges dispatch through: action → (use case, the input it accepts).
ACTIONS: dict[Action, tuple[Callable[..., Complaint], type[inputs.ActionInput]]] = {
    Action.verify: (verify, inputs.Verify),
    Action.request_info: (request_info, inputs.NeedsComment),
    Action.supply_info: (supply_info, inputs.NeedsComment),
    Action.expire_info: (expire_info, inputs.ActionInput),
    Action.archive: (archive, inputs.Archive),
    Action.mark_duplicate: (mark_duplicate, inputs.MarkDuplicate),
    Action.acknowledge: (acknowledge, inputs.ActionInput),
    Action.return_: (return_, inputs.Return),
    Action.redispose: (redispose, inputs.Redispose),
    Action.transfer_out: (transfer_out, inputs.TransferOut),
    # The follow-up may carry what failed and whether it was substantiated (complaint data into policy).
    Action.respond: (findings.respond, inputs.Respond),
    Action.confirm: (confirm, inputs.ActionInput),
    Action.dispute: (dispute, inputs.NeedsComment),
    Action.auto_close: (auto_close, inputs.ActionInput),
    Action.close: (close, inputs.NeedsComment),
    Action.reopen: (reopen, inputs.NeedsComment),
    Action.escalate: (escalate, inputs.Escalate),
}


def take_action(complaint_id: int, action: str, actor: Actor, now: datetime, body: dict | None) -> Complaint:
    """Parse ``body`` for ``action`` and run its use case (the one entry point for every edge)."""
    try:
        known = Action(action)
    except ValueError:
        raise InvalidInput(f"Aksi '{action}' tidak dikenal. / Unknown action.",
                           {"action": f"pilih / choose: {', '.join(a.value for a in Action)}"}) from None
    use_case, model = ACTIONS[known]
    return use_case(complaint_id, actor, now, inputs.parse(model, body))


def load_complaint(complaint_id: int) -> Complaint:
    """Return a complaint with its clocks and unit, or raise :class:`NotFound`."""
    complaint = db.session.scalar(
        select(Complaint).where(Complaint.id == complaint_id)
        .options(selectinload(Complaint.clocks), selectinload(Complaint.unit), selectinload(Complaint.sop_version)))
    if complaint is None:
        raise NotFound("Pengaduan tidak ditemukan. / Complaint not found.", {"complaint_id": complaint_id})
    return complaint


def situation_of(complaint: Complaint) -> Situation:
    """Return what the guards need to know about ``complaint``."""
    confirmation, info = complaint.clock(ClockKind.confirmation), complaint.clock(ClockKind.info)
    reopen_until = None
    if complaint.closed_at is not None:
        sop = sop_of(complaint.sop_version)
        calendar = calendar_for(sop, complaint.unit, complaint.closed_at)
        reopen_until = calendar.deadline(complaint.closed_at, sop.sop.reopen_window_working_days)
    return Situation(
        complaint_id=complaint.id, state=State(complaint.state), unit_id=complaint.unit_id,
        entered_by_id=complaint.entered_by_id, resume_to=complaint.resume_to,
        escalation_level=complaint.escalation_level,
        confirmation_due=_running_due(confirmation), info_due=_running_due(info), reopen_until=reopen_until,
    )


def sop_gates(sop: Sop) -> frozenset[str]:
    """Return the SOP switches the transition table's gates read."""
    return frozenset({"units_may_respond"}) if sop.sop.units_may_respond else frozenset()


def actions_for(actor: Actor, complaint: Complaint, now: datetime) -> list[str]:
    """Return the actions ``actor`` may take on ``complaint`` now."""
    return allowed_actions(actor, situation_of(complaint), now, sop_gates(sop_of(complaint.sop_version)))


def _transition(complaint_id: int, action: Action, actor: Actor, now: datetime,
                params: inputs.ActionInput, mutate: Mutation | None) -> Complaint:
    complaint = load_complaint(complaint_id)
    sop = sop_of(complaint.sop_version)
    authorize(actor, action, situation_of(complaint), now, sop_gates(sop))
    if params.expected_version is not None and params.expected_version != complaint.version:
        raise VersionConflict(
            "Pengaduan sudah diubah orang lain; muat ulang lalu coba lagi. / The complaint was changed by "
            "someone else; reload and try again.",
            {"expected_version": params.expected_version, "version": complaint.version})
    from_state = complaint.state
    new_state = LIFECYCLE.fire(action, Subject(complaint.state, complaint.resume_to))
    try:
        details = (mutate(complaint, sop) if mutate else None) or {}
        complaint.state = new_state
        complaint.updated_at = now
        # Written even when equal to the stored value, else the column's wall-clock onupdate would replace it.
        flag_modified(complaint, "updated_at")
        sop = sop_of(complaint.sop_version)  # verify may have re-pinned the SOP
        events = [ComplaintEvent(
            complaint_id=complaint.id, at=now, actor_id=actor.user_id, actor_role=actor.role.value,
            action=action.value, from_state=from_state, to_state=new_state, comment=params.comment,
            internal=action in INTERNAL_ACTIONS, details=details)]
        events += _apply_clock_effects(complaint, action, now, sop)
        db.session.add_all(events)
        hooks.changed(complaint, events[0])
        db.session.flush()
    except (StaleDataError, OperationalError) as error:
        # Any flush (autoflush included) may find that someone else updated the row first. SQLite
        # says so as "database is locked" when another connection committed since this one read.
        if isinstance(error, OperationalError) and "locked" not in str(error.orig):
            raise
        raise VersionConflict(
            "Pengaduan baru saja diubah orang lain; muat ulang lalu coba lagi. / The complaint was just "
            "changed by someone else; reload and try again.", {"complaint_id": complaint_id}) from None
    return complaint


def _apply_clock_effects(complaint: Complaint, action: Action, now: datetime, sop: Sop) -> list[ComplaintEvent]:
    calendar = calendar_for(sop, complaint.unit, now)
    events = []
    for effect, kind in CLOCK_EFFECTS[action]:
        if effect == "stop_all":
            targets = [c for c in complaint.clocks if c.status not in _STOPPED]
        elif effect == "start":
            targets = [complaint.clock(kind) or _new_clock(complaint, kind)]
        else:
            targets = [c for c in [complaint.clock(kind)] if c is not None]
        for clock in targets:
            if clocks.apply_effect(effect, clock, now, _limit(clock.kind, complaint, sop), calendar):
                sla.schedule(clock, complaint, sop, calendar)
                events.append(_clock_event(complaint, clock, effect, now))
    return events


_STOPPED = frozenset(s.value for s in STOPPED_CLOCK_STATUSES)


def _limit(kind: str, complaint: Complaint, sop: Sop) -> int:
    limits = {
        ClockKind.verification.value: sop.clocks.verification_working_days,
        ClockKind.response.value: sop.clocks.response_working_days,
        ClockKind.confirmation.value: sop.clocks.confirmation_working_days,
        ClockKind.info.value: sop.clocks.info_working_days,
    }
    if kind == ClockKind.resolution.value:
        return sop.resolution_limit(complaint.class_code, complaint.category_code, complaint.kecamatan)
    return limits[kind]


def _new_clock(complaint: Complaint, kind: ClockKind) -> Clock:
    clock = Clock(kind=kind.value, status=ClockStatus.cancelled.value)
    complaint.clocks.append(clock)
    return clock


def _clock_event(complaint: Complaint, clock: Clock, effect: str, now: datetime) -> ComplaintEvent:
    names = {"stop_all": "stop"}
    details = {"clock": clock.kind, "status": clock.status,
               "due_at": clock.due_at.isoformat() if clock.due_at else None}
    if clock.remaining_working_days is not None:
        details["remaining_working_days"] = clock.remaining_working_days
    if clock.breached_at is not None:
        details["breached_at"] = clock.breached_at.isoformat()
    return ComplaintEvent(complaint_id=complaint.id, at=now, actor_id=None, actor_role="system",
                          action=f"clock_{names.get(effect, effect)}", internal=True, details=details)


def _closing(closure: Closure, now: datetime) -> Mutation:
    def mutate(complaint: Complaint, sop: Sop) -> dict:
        complaint.closure, complaint.closed_at = closure.value, now
        return {"closure": closure.value}

    return mutate


def _unit(code: str) -> Unit:
    unit = db.session.scalar(select(Unit).filter_by(code=code, active=True))
    if unit is None or unit.kind == "regency":
        raise InvalidInput("Unit tujuan tidak dikenal. / Unknown unit.",
                           {"unit": f"'{code}' bukan OPD/UPPP aktif; lihat GET /api/v1/sop"})
    return unit


def _find(reference: str) -> Complaint | None:
    if reference.isdecimal() and len(reference) <= 9:  # an id; longer digit runs are no id of ours
        return db.session.get(Complaint, int(reference))
    return db.session.scalar(select(Complaint).filter_by(tracking_code=reference.upper()))


def _running_due(clock: Clock | None) -> datetime | None:
    return clock.due_at if clock is not None and clock.status == ClockStatus.running.value else None


def _codes(items) -> str:
    return ", ".join(item.code for item in items)
