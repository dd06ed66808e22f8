"""The SLA sweep: warn, record breaches, climb the escalation ladder, close windows that ran out.

Each clock carries ``next_check_at``, the moment of its next unfired threshold, so a pass reads
only the clocks whose moment has come (an index range scan), never every open complaint. Each
threshold is recorded once per clock run in ``sla_marks`` (unique key); on PostgreSQL a pass
claims its clocks with ``FOR UPDATE SKIP LOCKED``, so several sweeps at once share the work.

A pass is set-based: it reads a batch of due clocks with their complaints as plain rows, decides
in Python what each threshold does (calendars and thresholds computed once per batch, not once per
clock), then writes the whole batch in a few statements — the marks, the audit events (sealed into
their hash chains by :func:`workflow.services.audit.seal_rows`), the escalation levels (one UPDATE
that also bumps each complaint's version), the next checks, and through :func:`hooks.changed_many`
the outbox messages. Windows that ran out still go through their use cases (``auto_close``,
``expire_info``), one at a time, since they change the complaint's state.
"""

import gc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.orm import defer

from sop import Sop
from workflow.db import UTCDateTime, db
from workflow.domain import sla
from workflow.domain.calendar import WorkingCalendar
from workflow.domain.errors import DomainError, VersionConflict
from workflow.domain.rules import Actor
from workflow.domain.states import Action, ClockKind, ClockStatus, Role
from workflow.models import Clock, Complaint, ComplaintEvent, SlaMark, SopVersion, Unit
from workflow.services import audit, bulk, hooks, indicators, inputs
from workflow.services.calendars import calendar_for
from workflow.services.sop import sop_of

OMBUDSMAN_NOTICE = (
    "Pengaduan Anda belum selesai jauh melewati batas waktu. Anda dapat melaporkannya ke Ombudsman RI "
    "Perwakilan Provinsi Bali (ombudsman.go.id, 137). / Your complaint is long overdue; you may report it to "
    "the Ombudsman of the Republic of Indonesia, Bali office.")
# Clocks per transaction: large enough that the statements per batch cost little per clock, small
# enough that a batch holds its row locks (and a person's conflicting action waits) for well under a second.
DEFAULT_BATCH = 2000
CONFLICT = ("Pengaduan diubah selama penyapuan; diulang pada putaran berikutnya. / A complaint changed during "
            "the sweep; the batch is retried.")
# What listeners may read of a swept complaint without loading it (the notices, the connectors).
VIEW_COLUMNS = ("state", "received_at", "sop_version_id", "unit_id", "escalation_level", "version", "tracking_code",
                "title", "channel", "reporter_name", "reporter_phone", "reporter_email", "anonymous", "confidential",
                "closure", "archive_reason", "transfer_target", "bounce_count", "external_ref", "resume_to")
_CLOCK_COLUMNS = (Clock.id, Clock.complaint_id, Clock.kind, Clock.status, Clock.limit_working_days, Clock.started_at,
                  Clock.due_at, Clock.breached_at)


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


def sweep(now: datetime, limit: int = DEFAULT_BATCH) -> Counter:
    """Act on up to ``limit`` clocks whose next threshold has come, as one batch; return what was done.

    One query claims the due clocks with their complaints, one reads their recorded thresholds, and
    a few statements write every mark, audit event, escalation, next check and message of the batch.
    Flushes only; the job's edge commits. If a person changed a complaint meanwhile, the escalation
    UPDATE finds another version and raises :class:`VersionConflict`; the edge retries the batch.
    """
    report: Counter = Counter()
    db.session.flush()  # the batch is read on the connection, past the session: nothing may be pending
    rows = _claim(now, limit)
    if not rows:
        return report
    with _no_cycle_collection():
        _sweep_batch(rows, now, report)
    return report


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    # A batch allocates a few hundred thousand short-lived objects (rows, events, messages) that reference
    # counting frees; the cycle collector would rescan them, and the whole heap, many times over for
    # nothing (a quarter of the batch's time). It runs again, as before, once the batch is written.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _sweep_batch(rows: list, now: datetime, report: Counter) -> None:
    batch = _Batch(now)
    fired = _fired_in(rows)
    for row in rows:
        report["clocks"] += 1
        complaint = batch.complaint(row)
        clock = SweptClock(*row[:len(_CLOCK_COLUMNS)])
        complaint.clocks.append(clock)
        batch.clocks.append(clock)
        pending = []
        for threshold in batch.thresholds(clock, complaint):
            if threshold.name in fired.get(clock.id, ()):
                continue
            if threshold.at > now:
                pending.append(threshold.at)
            elif threshold.name == sla.EXPIRE:
                batch.expiring.append(clock)
            else:
                batch.marks.append({"clock_id": clock.id, "threshold": threshold.name, "cycle": clock.started_at,
                                    "fired_at": now})
                fired.setdefault(clock.id, set()).add(threshold.name)
                batch.fire(threshold.name, clock, complaint)
                report[threshold.name] += 1
        clock.next_check_at = min(pending, default=None)
    batch.write()
    for clock in batch.expiring:
        try:
            with db.session.begin_nested():
                _expire(clock, now)
            report[f"{clock.kind}_expired"] += 1
        except DomainError:  # a person moved the complaint on first; its clock is no longer due
            report["skipped"] += 1
    db.session.flush()


@dataclass(eq=False)
class SweptClock:
    """A clock as the sweep read it (and the breach and next check it decided)."""

    id: int
    complaint_id: int
    kind: str
    status: str
    limit_working_days: int
    started_at: datetime | None
    due_at: datetime | None
    breached_at: datetime | None
    next_check_at: datetime | None = None
    breached_now: bool = False


class SweptComplaint:
    """A complaint as the sweep read it: the columns listeners read, its unit, SOP version and swept clocks.

    Anything else a listener asks for is read from the complaint itself, loaded then (rarely needed).
    """

    def __init__(self, row, unit: Unit | None, sop_version: SopVersion):
        self.__dict__.update(zip(VIEW_COLUMNS, row[len(_CLOCK_COLUMNS):], strict=True))
        self.id, self.unit, self.sop_version = row.complaint_id, unit, sop_version
        self.clocks: list[SweptClock] = []
        self.raised = False

    def clock(self, kind: ClockKind) -> "SweptClock | Clock | None":
        """Return the complaint's clock of ``kind``: the swept one, else the stored one."""
        value = getattr(kind, "value", kind)
        swept = next((c for c in self.clocks if c.kind == value), None)
        return swept if swept is not None else db.session.get(Complaint, self.id).clock(ClockKind(value))

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(db.session.get(Complaint, self.id), name)


class SweptEvent:
    """An audit event the sweep wrote, as listeners read it: its columns as attributes (id, action, details …)."""

    def __init__(self, row: dict):
        self.__dict__.update(row)


@dataclass
class _Batch:
    """What one batch decides: marks, events, escalations and next checks, written together at the end."""

    now: datetime
    marks: list[dict] = field(default_factory=list)
    events: list[tuple[SweptComplaint, dict]] = field(default_factory=list)
    expiring: list[SweptClock] = field(default_factory=list)
    complaints: dict[int, SweptComplaint] = field(default_factory=dict)
    clocks: list[SweptClock] = field(default_factory=list)
    _calendars: dict = field(default_factory=dict)
    _thresholds: dict = field(default_factory=dict)
    _open_deadlines: dict = field(default_factory=dict)
    _units: dict = field(default_factory=dict)
    _versions: dict = field(default_factory=dict)

    def complaint(self, row) -> SweptComplaint:
        """Return the view of the row's complaint (one per complaint, however many of its clocks are due)."""
        found = self.complaints.get(row.complaint_id)
        if found is None:
            found = self.complaints[row.complaint_id] = SweptComplaint(
                row, self._unit(row.unit_id), self._sop_version(row.sop_version_id))
        return found

    def _unit(self, unit_id: int | None) -> Unit | None:
        # A few dozen units serve thousands of complaints: read them all once (the notices walk their parents).
        if not self._units:
            self._units.update((unit.id, unit) for unit in db.session.scalars(select(Unit)))
        return self._units.get(unit_id)

    def _sop_version(self, version_id: int) -> SopVersion:
        if version_id not in self._versions:
            # Its large document is read only if the version has not been parsed in this process yet.
            self._versions[version_id] = db.session.scalars(
                select(SopVersion).where(SopVersion.id == version_id).options(defer(SopVersion.document))).one()
        return self._versions[version_id]

    def thresholds(self, clock: SweptClock, complaint: SweptComplaint) -> list[sla.Threshold]:
        """Return the clock's thresholds; clocks with the same deadline and calendar share one computation."""
        key = (complaint.sop_version_id, complaint.unit_id)
        if key not in self._calendars:
            sop = sop_of(complaint.sop_version)
            self._calendars[key] = (sop, calendar_for(sop, complaint.unit, self.now), policy_of(sop))
        sop, calendar, policy = self._calendars[key]
        open_deadline = None
        if clock.kind == ClockKind.resolution.value:
            day = (key, calendar.local_date(complaint.received_at))
            if day not in self._open_deadlines:
                self._open_deadlines[day] = calendar.deadline(complaint.received_at,
                                                              sop.escalation.level2_open_working_days)
            open_deadline = self._open_deadlines[day]
        memo = (key, clock.kind, clock.status, clock.due_at, clock.limit_working_days, open_deadline)
        if memo not in self._thresholds:
            self._thresholds[memo] = sla.thresholds(clock, calendar, policy, open_deadline)
        return self._thresholds[memo]

    def fire(self, name: str, clock: SweptClock, complaint: SweptComplaint) -> None:
        """Record the audit events (and the escalation) of threshold ``name`` of ``clock``."""
        details = {"clock": clock.kind, "due_at": clock.due_at.isoformat(),
                   "limit_working_days": clock.limit_working_days}
        if name == sla.WARNING:
            self._event(complaint, "sla_warning", details, internal=True)
        elif name == sla.REMINDER:
            self._event(complaint, "info_reminder", details, internal=False,
                        comment="Mohon lengkapi informasi yang diminta sebelum batas waktu, atau pengaduan akan "
                                "diarsipkan. / Please supply the requested information before the deadline, or "
                                "the complaint will be archived.")
        elif name == sla.BREACH:
            clock.breached_at, clock.breached_now = clock.due_at, True
            self._event(complaint, "sla_breach", details, internal=True)
            self._raise_level(complaint, 1, f"Batas waktu {clock.kind} terlewati. / The {clock.kind} deadline "
                                            "was missed.")
        else:
            self._event(complaint, "sla_level2", details, internal=True)
            if self._raise_level(complaint, 2, f"Dua kali batas waktu {clock.kind} atau terlalu lama terbuka. / "
                                               f"Twice the {clock.kind} limit, or open too long."):
                self._event(complaint, "ombudsman_notice", {}, internal=False, comment=OMBUDSMAN_NOTICE)

    def _raise_level(self, complaint: SweptComplaint, level: int, reason: str) -> bool:
        # The same audit record as a hand escalation (actions.escalate), written by the system.
        if complaint.escalation_level >= level:
            return False
        complaint.escalation_level, complaint.raised = level, True
        self._event(complaint, Action.escalate.value, {"level": level}, internal=True, comment=reason,
                    from_state=complaint.state, to_state=complaint.state)
        return True

    def _event(self, complaint: SweptComplaint, action: str, details: dict, internal: bool,
               comment: str | None = None, from_state: str | None = None, to_state: str | None = None) -> None:
        self.events.append((complaint, {
            "complaint_id": complaint.id, "at": self.now, "actor_id": None, "actor_role": Role.system.value,
            "action": action, "from_state": from_state, "to_state": to_state, "comment": comment,
            "internal": internal, "details": details}))

    def write(self) -> None:
        """Write the batch: marks, sealed events, escalations, next checks; then tell the listeners."""
        bulk.copy_rows(SlaMark.__table__, self.marks)
        rows = [row for _, row in self.events]
        audit.seal_rows(db.session, rows)
        bulk.copy_rows(ComplaintEvent.__table__, rows, with_ids=True)
        _raise_levels([c for c in self.complaints.values() if c.raised])
        _reschedule(self.clocks)
        # The indicators count escalation levels and breaches: their facts move before the commit.
        breached: dict[int, set[str]] = {}
        for clock in self.clocks:
            if clock.breached_now:
                breached.setdefault(clock.complaint_id, set()).add(clock.kind)
        indicators.note_escalations({
            complaint.id: (complaint.escalation_level, frozenset(breached.get(complaint.id, ())))
            for complaint in self.complaints.values() if complaint.raised or complaint.id in breached})
        hooks.changed_many([(complaint, SweptEvent(row)) for complaint, row in self.events])


def _claim(now: datetime, limit: int) -> list:
    columns = [*_CLOCK_COLUMNS, *(getattr(Complaint, name) for name in VIEW_COLUMNS)]
    query = (select(*columns).join(Complaint, Complaint.id == Clock.complaint_id)
             .where(Clock.status == ClockStatus.running.value, Clock.next_check_at <= now)
             .order_by(Clock.next_check_at, Clock.id).limit(limit))
    if bulk.on_postgres():
        # Two sweeps share the work; a complaint a person is changing right now waits for the next pass.
        # NO KEY UPDATE: the key-share lock that writing a message or notice about a complaint takes on
        # it (the foreign key) must not make the sweep pass it by.
        query = query.with_for_update(skip_locked=True, key_share=True, of=[Clock, Complaint])
    # On the connection: plain rows, without the ORM's loading step.
    return db.session.connection().execute(query).all()


def _fired_in(rows) -> dict[int, set[str]]:
    """Return the thresholds already recorded in each clock's current run."""
    cycles = {row.id: row.started_at for row in rows}
    fired: dict[int, set[str]] = {}
    for clock_id, threshold, cycle in db.session.connection().execute(
            select(SlaMark.clock_id, SlaMark.threshold, SlaMark.cycle).where(bulk.among(SlaMark.clock_id, cycles))):
        if cycle == cycles[clock_id]:
            fired.setdefault(clock_id, set()).add(threshold)
    return fired


def _raise_levels(complaints: list[SweptComplaint]) -> None:
    """Store the new escalation levels in one UPDATE that checks and bumps each complaint's version.

    ``updated_at`` stays: the sweep's escalation is not an action on the complaint, which stays in the
    stuck queue until a person acts; and a change to no indexed column is written on the row's own page.
    """
    if not complaints:
        return
    rows = [{"id": c.id, "escalation_level": c.escalation_level, "version": c.version} for c in complaints]
    table = Complaint.__table__
    if bulk.on_postgres():
        source, params = bulk.unnest(table, ("id", "escalation_level", "version"), rows)
        # Only bulk.unnest's parameter list is formatted in (bandit B608 below: justified); every value is bound.
        changed = db.session.execute(text(
            f"UPDATE complaints SET escalation_level = v.escalation_level, "  # nosec B608
            f"version = complaints.version + 1 FROM {source} AS v(id, escalation_level, version) "
            f"WHERE complaints.id = v.id AND complaints.version = v.version"), params).rowcount
    else:
        changed = db.session.execute(
            update(table).where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
            .values(escalation_level=bindparam("b_level"), version=table.c.version + 1,
                    updated_at=table.c.updated_at),
            [{"b_id": r["id"], "b_version": r["version"], "b_level": r["escalation_level"]} for r in rows]).rowcount
    if changed != len(rows):
        # Someone changed one of these complaints since the claim: nothing of the batch may stand.
        raise VersionConflict(CONFLICT, {"complaints": len(rows) - changed})


def _reschedule(clocks: list[SweptClock]) -> None:
    """Store each swept clock's next check (and its breach, when recorded now) in one UPDATE."""
    rows = [{"id": c.id, "next_check_at": c.next_check_at, "breached_at": c.breached_at} for c in clocks]
    table = Clock.__table__
    if bulk.on_postgres():
        source, params = bulk.unnest(table, ("id", "next_check_at", "breached_at"), rows)
        # Only bulk.unnest's parameter list is formatted in (bandit B608 below: justified); every value is bound.
        db.session.execute(text(
            f"UPDATE clocks SET next_check_at = v.next_check_at, breached_at = v.breached_at "  # nosec B608
            f"FROM {source} AS v(id, next_check_at, breached_at) WHERE clocks.id = v.id"), params)
    else:
        db.session.execute(
            update(table).where(table.c.id == bindparam("b_id"))
            .values(next_check_at=bindparam("b_next", type_=UTCDateTime),
                    breached_at=bindparam("b_breached", type_=UTCDateTime)),
            [{"b_id": r["id"], "b_next": r["next_check_at"], "b_breached": r["breached_at"]} for r in rows])


def _expire(clock: SweptClock, now: datetime) -> None:
    from workflow.services.actions import auto_close, expire_info

    use_case = auto_close if clock.kind == ClockKind.confirmation.value else expire_info
    use_case(clock.complaint_id, Actor.system(), now, inputs.ActionInput())


def _thresholds(clock: Clock, complaint: Complaint, sop: Sop, calendar: WorkingCalendar) -> list[sla.Threshold]:
    open_deadline = None
    if clock.kind == ClockKind.resolution.value:
        open_deadline = calendar.deadline(complaint.received_at, sop.escalation.level2_open_working_days)
    return sla.thresholds(clock, calendar, policy_of(sop), open_deadline)


def _fired(clock: Clock) -> set[str]:
    if clock.id is None or clock.started_at is None:
        return set()
    return set(db.session.scalars(select(SlaMark.threshold).filter_by(clock_id=clock.id, cycle=clock.started_at)))

