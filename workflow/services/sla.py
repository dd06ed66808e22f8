"""The SLA sweep: warn, record breaches, climb the escalation ladder, close windows that ran out.

Each clock carries ``next_check_at``, the moment of its next unfired threshold, so a pass reads
only the clocks whose moment has come (an index range scan), never every open complaint. Each
threshold is recorded once per clock run in ``sla_marks`` (unique key); on PostgreSQL a pass
claims its clocks with ``FOR UPDATE SKIP LOCKED``, so several sweeps at once share the work.
"""

from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.exc import StaleDataError

from sop import Sop
from workflow.db import db
from workflow.domain import sla
from workflow.domain.calendar import WorkingCalendar
from workflow.domain.errors import DomainError, VersionConflict
from workflow.domain.rules import Actor
from workflow.domain.states import Action, ClockKind, ClockStatus, Role
from workflow.models import Clock, Complaint, ComplaintEvent, SlaMark
from workflow.services import hooks, inputs
from workflow.services.calendars import calendar_for
from workflow.services.sop import sop_of

OMBUDSMAN_NOTICE = (
    "Pengaduan Anda belum selesai jauh melewati batas waktu. Anda dapat melaporkannya ke Ombudsman RI "
    "Perwakilan Provinsi Bali (ombudsman.go.id, 137). / Your complaint is long overdue; you may report it to "
    "the Ombudsman of the Republic of Indonesia, Bali office.")


def policy_of(sop: Sop) -> sla.Policy:
    """Return the SOP's escalation numbers."""
    return sla.Policy(warning_fraction=sop.escalation.warning_fraction,
                      level2_multiple=sop.escalation.level2_multiple,
                      reminder_fraction=sop.clocks.info_reminder_fraction)


def schedule(clock: Clock, complaint: Complaint, sop: Sop, calendar: WorkingCalendar) -> None:
    """Set when the sweep must next look at ``clock``: its earliest threshold not yet recorded."""
    fired = _fired(clock)
    pending = [t.at for t in _thresholds(clock, complaint, sop, calendar) if t.name not in fired]
    clock.next_check_at = min(pending, default=None)


def sweep(now: datetime, limit: int = 500) -> Counter:
    """Act on up to ``limit`` clocks whose next threshold has come, as one batch; return what was done.

    Set-based: one query claims the due clocks with their complaints, one reads their recorded
    thresholds, one flush writes every mark, audit event, escalation and next check of the batch.
    Flushes only; the job's edge commits. If a person changed a complaint meanwhile, the flush
    raises :class:`VersionConflict` and the edge retries the batch.
    """
    report: Counter = Counter()
    query = (select(Clock).join(Clock.complaint)
             .where(Clock.status == ClockStatus.running.value, Clock.next_check_at <= now)
             .order_by(Clock.next_check_at, Clock.id).limit(limit)
             .options(contains_eager(Clock.complaint).selectinload(Complaint.unit)))
    if db.session.get_bind().dialect.name == "postgresql":
        # Two sweeps share the work; a complaint a person is changing right now waits for the next pass.
        query = query.with_for_update(skip_locked=True, of=[Clock, Complaint])
    due = db.session.scalars(query).unique().all()
    if not due:
        return report
    fired: dict[int, set[str]] = {clock.id: set() for clock in due}
    cycles = {clock.id: clock.started_at for clock in due}
    for clock_id, threshold, cycle in db.session.execute(
            select(SlaMark.clock_id, SlaMark.threshold, SlaMark.cycle).where(SlaMark.clock_id.in_(fired))):
        if cycle == cycles[clock_id]:
            fired[clock_id].add(threshold)
    calendars: dict = {}
    expiring, events = [], []
    for clock in due:
        report["clocks"] += 1
        complaint = clock.complaint
        sop = sop_of(complaint.sop_version)
        key = (complaint.sop_version_id, complaint.unit_id)
        calendar = calendars.get(key) or calendars.setdefault(key, calendar_for(sop, complaint.unit, now))
        pending = []
        for threshold in _thresholds(clock, complaint, sop, calendar):
            if threshold.name in fired[clock.id]:
                continue
            if threshold.at > now:
                pending.append(threshold.at)
            elif threshold.name == sla.EXPIRE:
                expiring.append(clock)
            else:
                db.session.add(SlaMark(clock_id=clock.id, threshold=threshold.name, cycle=clock.started_at,
                                       fired_at=now))
                fired[clock.id].add(threshold.name)
                events += _fire(threshold.name, clock, complaint, now)
                report[threshold.name] += 1
        clock.next_check_at = min(pending, default=None)
    db.session.add_all(event for _, event in events)
    _flush()
    for complaint, event in events:
        hooks.changed(complaint, event)
    for clock in expiring:
        try:
            with db.session.begin_nested():
                _expire(clock, clock.complaint, now)
            report[f"{clock.kind}_expired"] += 1
        except DomainError:  # a person moved the complaint on first; its clock is no longer due
            report["skipped"] += 1
    _flush()
    return report


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError:
        raise VersionConflict("Pengaduan diubah selama penyapuan; diulang pada putaran berikutnya. / A complaint "
                              "changed during the sweep; the batch is retried.") from None


def _fire(name: str, clock: Clock, complaint: Complaint, now: datetime) -> list[tuple[Complaint, ComplaintEvent]]:
    details = {"clock": clock.kind, "due_at": clock.due_at.isoformat(),
               "limit_working_days": clock.limit_working_days}
    if name == sla.WARNING:
        return [_event(complaint, now, "sla_warning", details, internal=True)]
    if name == sla.REMINDER:
        return [_event(complaint, now, "info_reminder", details, internal=False,
                       comment="Mohon lengkapi informasi yang diminta sebelum batas waktu, atau pengaduan akan "
                               "diarsipkan. / Please supply the requested information before the deadline, or the "
                               "complaint will be archived.")]
    if name == sla.BREACH:
        clock.breached_at = clock.due_at
        return [_event(complaint, now, "sla_breach", details, internal=True),
                *_raise_level(complaint, 1, now, f"Batas waktu {clock.kind} terlewati. / The {clock.kind} "
                                                 "deadline was missed.")]
    events = [_event(complaint, now, "sla_level2", details, internal=True)]
    raised = _raise_level(complaint, 2, now, f"Dua kali batas waktu {clock.kind} atau terlalu lama terbuka. / "
                                             f"Twice the {clock.kind} limit, or open too long.")
    if raised:
        events += [*raised, _event(complaint, now, "ombudsman_notice", {}, internal=False, comment=OMBUDSMAN_NOTICE)]
    return events


def _raise_level(complaint: Complaint, level: int, now: datetime, reason: str) -> list:
    # The same audit record as a hand escalation (actions.escalate), written by the system.
    if complaint.escalation_level >= level:
        return []
    complaint.escalation_level = level
    return [(complaint, ComplaintEvent(
        complaint_id=complaint.id, at=now, actor_id=None, actor_role=Role.system.value,
        action=Action.escalate.value, from_state=complaint.state, to_state=complaint.state, comment=reason,
        internal=True, details={"level": level}))]


def _expire(clock: Clock, complaint: Complaint, now: datetime) -> None:
    from workflow.services.actions import auto_close, expire_info

    use_case = auto_close if clock.kind == ClockKind.confirmation.value else expire_info
    use_case(complaint.id, Actor.system(), now, inputs.ActionInput())


def _event(complaint: Complaint, now: datetime, action: str, details: dict, internal: bool,
           comment: str | None = None) -> tuple[Complaint, ComplaintEvent]:
    return complaint, ComplaintEvent(complaint_id=complaint.id, at=now, actor_id=None, actor_role=Role.system.value,
                                     action=action, comment=comment, internal=internal, details=details)


def _thresholds(clock: Clock, complaint: Complaint, sop: Sop, calendar: WorkingCalendar) -> list[sla.Threshold]:
    open_deadline = None
    if clock.kind == ClockKind.resolution.value:
        open_deadline = calendar.deadline(complaint.received_at, sop.escalation.level2_open_working_days)
    return sla.thresholds(clock, calendar, policy_of(sop), open_deadline)


def _fired(clock: Clock) -> set[str]:
    if clock.id is None or clock.started_at is None:
        return set()
    return set(db.session.scalars(select(SlaMark.threshold).filter_by(clock_id=clock.id, cycle=clock.started_at)))
