"""The SLA sweep: warn, record breaches, climb the escalation ladder, close windows that ran out.

Each clock carries ``next_check_at``, the moment of its next unfired threshold, so a pass reads
only the clocks whose moment has come (an index range scan), never every open complaint. Each
threshold is recorded once per clock run in ``sla_marks`` (unique key); on PostgreSQL a pass
claims its clocks with ``FOR UPDATE SKIP LOCKED``, so several sweeps at once share the work.
"""

from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from sop import Sop
from workflow.db import db
from workflow.domain import sla
from workflow.domain.calendar import WorkingCalendar
from workflow.domain.errors import DomainError
from workflow.domain.rules import Actor
from workflow.domain.states import ClockKind, ClockStatus, Role
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
    """Act on up to ``limit`` clocks whose next threshold has come; return what was done.

    Flushes only; the job's edge commits. A clock a person changed meanwhile is skipped and
    retried on the next pass.
    """
    report: Counter = Counter()
    query = (select(Clock).where(Clock.status == ClockStatus.running.value, Clock.next_check_at <= now)
             .order_by(Clock.next_check_at, Clock.id).limit(limit)
             .options(joinedload(Clock.complaint).joinedload(Complaint.unit)))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Clock)
    calendars: dict = {}
    for clock in db.session.scalars(query).unique().all():
        report["clocks"] += 1
        try:
            with db.session.begin_nested():
                _check(clock, now, report, calendars)
        except (DomainError, IntegrityError):
            report["skipped"] += 1
    db.session.flush()
    return report


def _check(clock: Clock, now: datetime, report: Counter, calendars: dict) -> None:
    complaint = clock.complaint
    sop = sop_of(complaint.sop_version)
    key = (complaint.sop_version_id, complaint.unit_id)
    if key not in calendars:
        calendars[key] = calendar_for(sop, complaint.unit, now)
    calendar = calendars[key]
    fired = _fired(clock)
    for threshold in _thresholds(clock, complaint, sop, calendar):
        if threshold.at > now or threshold.name in fired:
            continue
        if threshold.name == sla.EXPIRE:
            _expire(clock, complaint, now)
            report[f"{clock.kind}_expired"] += 1
            return  # the action stopped the clock
        db.session.add(SlaMark(clock_id=clock.id, threshold=threshold.name, cycle=clock.started_at, fired_at=now))
        db.session.flush()  # the unique key refuses a threshold another sweep recorded first
        _fire(threshold.name, clock, complaint, now)
        report[threshold.name] += 1
    schedule(clock, complaint, sop, calendar)


def _fire(name: str, clock: Clock, complaint: Complaint, now: datetime) -> None:
    from workflow.services.actions import escalate

    details = {"clock": clock.kind, "due_at": clock.due_at.isoformat(),
               "limit_working_days": clock.limit_working_days}
    if name == sla.WARNING:
        _event(complaint, now, "sla_warning", details, internal=True)
    elif name == sla.REMINDER:
        _event(complaint, now, "info_reminder", details, internal=False,
               comment="Mohon lengkapi informasi yang diminta sebelum batas waktu, atau pengaduan akan diarsipkan. "
                       "/ Please supply the requested information before the deadline, or the complaint will "
                       "be archived.")
    elif name == sla.BREACH:
        clock.breached_at = clock.due_at
        _event(complaint, now, "sla_breach", details, internal=True)
        if complaint.escalation_level < 1:
            escalate(complaint.id, Actor.system(), now, inputs.Escalate(
                comment=f"Batas waktu {clock.kind} terlewati. / The {clock.kind} deadline was missed.", level=1))
    elif name == sla.LEVEL2:
        _event(complaint, now, "sla_level2", details, internal=True)
        if complaint.escalation_level < 2:
            escalate(complaint.id, Actor.system(), now, inputs.Escalate(
                comment=f"Dua kali batas waktu {clock.kind} atau terlalu lama terbuka. / Twice the {clock.kind} "
                        "limit, or open too long.", level=2))
            _event(complaint, now, "ombudsman_notice", {}, internal=False, comment=OMBUDSMAN_NOTICE)


def _expire(clock: Clock, complaint: Complaint, now: datetime) -> None:
    from workflow.services.actions import auto_close, expire_info

    use_case = auto_close if clock.kind == ClockKind.confirmation.value else expire_info
    use_case(complaint.id, Actor.system(), now, inputs.ActionInput())


def _event(complaint: Complaint, now: datetime, action: str, details: dict, internal: bool,
           comment: str | None = None) -> None:
    event = ComplaintEvent(complaint_id=complaint.id, at=now, actor_id=None, actor_role=Role.system.value,
                           action=action, comment=comment, internal=internal, details=details)
    db.session.add(event)
    hooks.changed(complaint, event)


def _thresholds(clock: Clock, complaint: Complaint, sop: Sop, calendar: WorkingCalendar) -> list[sla.Threshold]:
    open_deadline = None
    if clock.kind == ClockKind.resolution.value:
        open_deadline = calendar.deadline(complaint.received_at, sop.escalation.level2_open_working_days)
    return sla.thresholds(clock, calendar, policy_of(sop), open_deadline)


def _fired(clock: Clock) -> set[str]:
    if clock.id is None or clock.started_at is None:
        return set()
    return set(db.session.scalars(select(SlaMark.threshold).filter_by(clock_id=clock.id, cycle=clock.started_at)))
