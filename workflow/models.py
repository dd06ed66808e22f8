"""Persistence: units, users, tokens, SOP versions, complaints, clocks and the audit trail.

Database constraints back the workflow rules, so a bug in a service cannot store an impossible
complaint (a closed complaint without ``closed_at``, an archived one without a reason …).
"""

import hashlib
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.db import UTCDateTime, db, utcnow
from workflow.domain.states import (
    OPEN_STATES,
    UNIT_STATES,
    ArchiveReason,
    Channel,
    ClockKind,
    ClockStatus,
    Closure,
    Role,
    State,
    values,
)


def _in(column: str, allowed: list[str]) -> str:
    quoted = ", ".join(f"'{v}'" for v in allowed)
    return f"{column} IN ({quoted})"


def _repr(obj, *fields: str) -> str:
    inner = ", ".join(f"{f}={getattr(obj, f)!r}" for f in fields)
    return f"<{type(obj).__name__} {inner}>"


class Unit(db.Model):
    """A unit of the regency's tree: the regency (instansi), an OPD, or a service unit (UPPP)."""

    __tablename__ = "units"
    __table_args__ = (CheckConstraint(_in("kind", ["regency", "opd", "uppp"]), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    working_days: Mapped[str] = mapped_column(String(32), default="mon,tue,wed,thu,fri")
    observes_regional_days: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped["Unit | None"] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return _repr(self, "id", "code")


class User(db.Model):
    """A staff account with one role and, for unit roles, one unit."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", sorted(values(Role))), name="role"),
        CheckConstraint("role NOT IN ('unit_admin', 'penghubung') OR unit_id IS NOT NULL", name="unit_role_has_unit"),
        CheckConstraint("role NOT IN ('reporter', 'system')", name="staff_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Sign-in back-off (workflow/services/people.py): wrong passwords in a row, and until when sign-in is refused.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit | None] = relationship()

    # Flask-Login's user protocol. The id carries a stamp of the password hash, so a password
    # change (or reset) ends every other signed-in session of this user.
    is_authenticated, is_anonymous = True, False

    @property
    def is_active(self) -> bool:
        """Return whether the account may sign in."""
        return self.active

    def get_id(self) -> str:
        """Return the session id: the user id and a stamp of the current password."""
        return f"{self.id}.{hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]}"

    def __repr__(self) -> str:
        return _repr(self, "id", "username", "role")


class ApiToken(db.Model):
    """A bearer token for the API; only its sha256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return _repr(self, "id", "user_id")


class SopVersion(db.Model):
    """One stored version of an SOP; exactly one version of each SOP is active."""

    __tablename__ = "sop_versions"
    __table_args__ = (
        UniqueConstraint("code", "version"),
        Index("uq_sop_versions_active_code", "code", unique=True,
              sqlite_where=db.text("active"), postgresql_where=db.text("active")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    checksum: Mapped[str] = mapped_column(String(64))
    # Large and immutable: loaded only when a version is parsed the first time (see services.sop.parsed).
    document: Mapped[dict] = mapped_column(JSON, deferred=True)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    loaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def __repr__(self) -> str:
        return _repr(self, "id", "code", "version", "active")


class CalendarOverride(db.Model):
    """A day an administrator declares off (or working) for everyone or for one unit."""

    __tablename__ = "calendar_overrides"
    __table_args__ = (UniqueConstraint("day", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    working: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return _repr(self, "day", "unit_id", "working")


class ReferenceStamp(db.Model):
    """The version of the reference data (SOP versions, calendar overrides, units, staff): one row, or none.

    Database triggers write a new random stamp in every transaction that changes those tables, so each
    process may keep what it read of them while the stamp stays the same (services.reference).
    """

    __tablename__ = "reference_stamp"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    stamp: Mapped[str] = mapped_column(String(36))


_UNIT_STATES = sorted(s.value for s in UNIT_STATES)
_OPEN = _in("state", sorted(s.value for s in OPEN_STATES))
_RUNNING = "status = 'running'"
_DRAFTS = "action = 'draft_response'"  # services.queries.DRAFT_ACTION
# Complaints imported by a connector carry the source system's id in external_ref (unique per channel).
_IMPORTED_REF = "external_ref IS NOT NULL AND channel IN ('lapor', 'mesadu')"


class Complaint(db.Model):
    """A complaint, its reporter, its place in the lifecycle, and the unit that holds it."""

    __tablename__ = "complaints"
    __table_args__ = (
        CheckConstraint(_in("state", values(State)), name="state"),
        CheckConstraint(_in("channel", values(Channel)), name="channel"),
        CheckConstraint("(state = 'closed') = (closed_at IS NOT NULL)", name="closed_has_closed_at"),
        CheckConstraint("(state = 'closed') = (closure IS NOT NULL)", name="closed_has_closure"),
        CheckConstraint("closure IS NULL OR " + _in("closure", values(Closure)), name="closure"),
        CheckConstraint("(state = 'archived') = (archive_reason IS NOT NULL)", name="archived_has_reason"),
        CheckConstraint("archive_reason IS NULL OR " + _in("archive_reason", values(ArchiveReason)),
                        name="archive_reason"),
        CheckConstraint("duplicate_of_id IS NULL OR archive_reason = 'duplicate'", name="duplicate_is_archived"),
        CheckConstraint("(state = 'pending_info') = (resume_to IS NOT NULL)", name="pending_has_resume_to"),
        CheckConstraint("resume_to IS NULL OR resume_to IN ('received', 'in_progress')", name="resume_to"),
        CheckConstraint(f"NOT ({_in('state', _UNIT_STATES)}) OR unit_id IS NOT NULL", name="held_by_unit"),
        CheckConstraint(f"NOT ({_in('state', _UNIT_STATES)}) OR class_code IS NOT NULL", name="verified_has_class"),
        CheckConstraint("(state = 'transferred') = (transfer_target IS NOT NULL)", name="transferred_has_target"),
        CheckConstraint("escalation_level BETWEEN 0 AND 3", name="escalation_level"),
        CheckConstraint("bounce_count >= 0 AND reopen_count >= 0", name="counters"),
        CheckConstraint("lat IS NULL OR (lat BETWEEN -90 AND 90)", name="lat"),
        CheckConstraint("lng IS NULL OR (lng BETWEEN -180 AND 180)", name="lng"),
        Index("ix_complaints_state_received_at", "state", "received_at"),
        # The open complaints (a few in a hundred), newest last, with what the stuck and open queues filter on:
        # counted and read without touching the closed million. Not the escalation level, which the sweep
        # changes by the thousand: left out of every index, that change is written on the row's own page.
        Index("ix_complaints_open_received_at", "received_at", "unit_id", "updated_at", "state",
              sqlite_where=db.text(_OPEN), postgresql_where=db.text(_OPEN)),
        Index("ix_complaints_unit_id_state", "unit_id", "state"),
        # Duplicate suggestions read a window of receipt times before they score anything.
        Index("ix_complaints_received_at", "received_at"),
        # A connector imports each hub or Mesadu complaint once, even when two pulls or deliveries race.
        Index("uq_complaints_channel_external_ref", "channel", "external_ref", unique=True,
              sqlite_where=db.text(_IMPORTED_REF), postgresql_where=db.text(_IMPORTED_REF)),
        # Room on each page for a changed row that moves no index (an escalation): written beside the old one.
        {"postgresql_with": {"fillfactor": 90}},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(20), unique=True)
    pin_hash: Mapped[str] = mapped_column(String(64))
    # Wrong PINs in a row, and until when the code refuses every PIN (workflow/services/tracking.py).
    pin_failures: Mapped[int] = mapped_column(Integer, default=0)
    pin_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default=State.received.value)
    resume_to: Mapped[str | None] = mapped_column(String(16))
    closure: Mapped[str | None] = mapped_column(String(16))
    archive_reason: Mapped[str | None] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category_code: Mapped[str] = mapped_column(String(64), index=True)
    class_code: Mapped[str | None] = mapped_column(String(64))
    occurred_on: Mapped[date | None] = mapped_column(Date)
    desa: Mapped[str | None] = mapped_column(String(100))
    kecamatan: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(300))
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)

    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_phone: Mapped[str | None] = mapped_column(String(32))
    reporter_email: Mapped[str | None] = mapped_column(String(254))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    confidentiality_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    # A reporter who needs help to follow up (elderly, disabled, no phone): a facilitator stays in the loop.
    needs_assistance: Mapped[bool] = mapped_column(Boolean, default=False)
    gesi_gender: Mapped[str | None] = mapped_column(String(16))
    gesi_disability: Mapped[bool | None] = mapped_column(Boolean)
    gesi_marginal_group: Mapped[str | None] = mapped_column(String(64))

    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    sop_version_id: Mapped[int] = mapped_column(ForeignKey("sop_versions.id"))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    transfer_target: Mapped[str | None] = mapped_column(String(200))
    external_ref: Mapped[str | None] = mapped_column(String(100))

    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    bounce_count: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)

    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    unit: Mapped[Unit | None] = relationship()
    sop_version: Mapped[SopVersion] = relationship()
    clocks: Mapped[list["Clock"]] = relationship(back_populates="complaint", order_by="Clock.id",
                                                 cascade="all, delete-orphan")
    events: Mapped[list["ComplaintEvent"]] = relationship(back_populates="complaint",
                                                          order_by="ComplaintEvent.id")

    # Optimistic locking: an UPDATE that finds another version raises StaleDataError.
    __mapper_args__ = {"version_id_col": version}

    def clock(self, kind: ClockKind) -> "Clock | None":
        """Return this complaint's clock of ``kind``, if it ever started."""
        return next((c for c in self.clocks if c.kind == kind.value), None)

    def __repr__(self) -> str:
        return _repr(self, "id", "tracking_code", "state")


class Clock(db.Model):
    """One working-day clock of a complaint (verification, response, resolution, windows)."""

    __tablename__ = "clocks"
    __table_args__ = (
        UniqueConstraint("complaint_id", "kind"),
        CheckConstraint(_in("kind", values(ClockKind)), name="kind"),
        CheckConstraint(_in("status", values(ClockStatus)), name="status"),
        CheckConstraint("status <> 'running' OR due_at IS NOT NULL", name="running_has_due"),
        CheckConstraint("status <> 'paused' OR (paused_at IS NOT NULL AND remaining_working_days IS NOT NULL)",
                        name="paused_keeps_remaining"),
        CheckConstraint("status IN ('running', 'paused') OR stopped_at IS NOT NULL", name="stopped_has_time"),
        CheckConstraint("limit_working_days > 0", name="limit_positive"),
        # The sweep reads the clocks whose next threshold has come: its cost follows what is due, not what is open.
        Index("ix_clocks_status_next_check_at", "status", "next_check_at"),
        # Queues, inboxes and Open311 read the running clocks (those of open complaints, a few in a hundred) by
        # deadline, kind and limit: answered from this small index without reading the table. No index of all
        # clocks by deadline: nothing reads it (the breach audit scans a period), and each costs every write.
        Index("ix_clocks_running_due_at", "due_at", "kind", "limit_working_days", "complaint_id",
              sqlite_where=db.text(_RUNNING), postgresql_where=db.text(_RUNNING)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    limit_working_days: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remaining_working_days: Mapped[int | None] = mapped_column(Integer)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the SLA sweep must next look at this clock (its next unfired threshold); None while paused
    # or stopped. The sweep reads only clocks whose moment has come, through the index above.
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    complaint: Mapped[Complaint] = relationship(back_populates="clocks")

    def __repr__(self) -> str:
        return _repr(self, "complaint_id", "kind", "status", "due_at")


class ComplaintEvent(db.Model):
    """One append-only audit event: who did what to a complaint, when, from which state to which."""

    __tablename__ = "complaint_events"
    __table_args__ = (
        CheckConstraint(_in("actor_role", values(Role)), name="actor_role"),
        # Drafted follow-ups waiting for the penghubung (workflow/services/desk.py): found without reading the
        # other events of every complaint in progress.
        Index("ix_complaint_events_drafts", "complaint_id", "id", sqlite_where=db.text(_DRAFTS),
              postgresql_where=db.text(_DRAFTS)),
        # Coverage (Table 3.3): did a handler act in a period? One index probe per handler.
        Index("ix_complaint_events_actor_id_at", "actor_id", "at"),
        # The hash chain of each complaint has one link per position: two writers cannot fork it. It also finds a
        # complaint's events (a few dozen, ordered among themselves): a second index on the complaint cost every
        # event written another entry on a random page.
        Index("uq_complaint_events_complaint_id_seq", "complaint_id", "seq", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    # Tamper evidence: the event's position in its complaint's chain and the sha256 over its content
    # and the previous event's hash (set on flush by workflow.services.audit).
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))

    complaint: Mapped[Complaint] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return _repr(self, "complaint_id", "action", "from_state", "to_state")


class IdempotencyRecord(db.Model):
    """A request sent with an ``Idempotency-Key`` and the complaint it filed, replayed on retries."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    # Claimed before the complaint exists, so a concurrent retry waits on the unique key.
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return _repr(self, "scope", "key", "complaint_id")


class SlaMark(db.Model):
    """One SLA threshold a clock crossed (warning, breach, level 2, reminder), recorded exactly once.

    The unique key makes the sweep idempotent: a second pass, or a second sweep running at the same
    time, cannot record the same threshold of the same clock run twice.
    """

    __tablename__ = "sla_marks"
    __table_args__ = (
        UniqueConstraint("clock_id", "threshold", "cycle"),
        CheckConstraint(_in("threshold", ["warning", "breach", "level2", "reminder"]), name="threshold"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clock_id: Mapped[int] = mapped_column(ForeignKey("clocks.id", ondelete="CASCADE"))
    threshold: Mapped[str] = mapped_column(String(16))
    # The clock run the mark belongs to (its start time): a restarted clock is watched afresh.
    cycle: Mapped[datetime] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return _repr(self, "clock_id", "threshold", "cycle")


class Open311Client(db.Model):
    """An Open311 GeoReport v2 client allowed to file requests; only the sha256 of its API key is kept."""

    __tablename__ = "open311_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return _repr(self, "id", "name", "revoked_at")


OUTBOX_STATUSES = ["pending", "delivered", "failed"]


class OutboxMessage(db.Model):
    """One message that must leave the system (hub delivery, e-mail, SMS …), written in the same
    transaction as the change that caused it and delivered after commit by ``flask outbox deliver``.

    ``key`` is the idempotency key: unique here, and sent to the receiver so a retry after a crash
    between sending and marking is recognised there instead of delivered twice.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(_in("status", OUTBOX_STATUSES), name="status"),
        CheckConstraint("attempts >= 0", name="attempts"),
        CheckConstraint("status <> 'pending' OR next_attempt_at IS NOT NULL", name="pending_has_next_attempt"),
        CheckConstraint("(status = 'delivered') = (delivered_at IS NOT NULL)", name="delivered_has_time"),
        # The worker takes the pending messages in this order: a claim reads the first few of them, never
        # the backlog (delivered messages are not in it at all).
        Index("ix_outbox_messages_due", "next_attempt_at", "id", sqlite_where=db.text("status = 'pending'"),
              postgresql_where=db.text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    recipient: Mapped[str | None] = mapped_column(String(254))
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return _repr(self, "id", "kind", "key", "status", "attempts")


class Attachment(db.Model):
    """A photo or document attached to a complaint, stored outside the web root under a random name.

    Images are stored re-encoded without their metadata (GPS, device); ``public_safe`` marks a file
    whose content may be shown beyond the complaint's handlers (documents keep their author metadata).
    """

    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint(_in("uploaded_by_role", values(Role)), name="uploaded_by_role"),
        CheckConstraint("size > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    public_safe: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_by_role: Mapped[str] = mapped_column(String(32))

    complaint: Mapped[Complaint] = relationship()

    def __repr__(self) -> str:
        return _repr(self, "id", "complaint_id", "content_type", "size")


class Notice(db.Model):
    """An in-app notice for one staff user (an assignment, a return, a warning, a breach, an escalation).

    Written by the ``inapp`` outbox sender; ``key`` is the outbox message's key, so a delivery
    repeated after a crash finds the notice it already wrote.
    """

    __tablename__ = "notices"
    __table_args__ = (
        # A user's notices are read unread first, newest first.
        Index("ix_notices_user_id_read_at", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    complaint: Mapped[Complaint | None] = relationship()

    def __repr__(self) -> str:
        return _repr(self, "id", "user_id", "kind", "read_at")


class Rating(db.Model):
    """A reporter's satisfaction with how their complaint was handled: 1 to 5, with an optional comment.

    Given once per complaint (the unique key makes a second rating impossible, even two at once);
    ``unit_id`` keeps the unit that handled the complaint when it was rated, for satisfaction per unit.
    """

    __tablename__ = "ratings"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), unique=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    complaint: Mapped[Complaint] = relationship()
    unit: Mapped[Unit | None] = relationship()

    def __repr__(self) -> str:
        return _repr(self, "complaint_id", "score")


class AccountEvent(db.Model):
    """One append-only record of a change to a staff account: created, role or unit changed, deactivated,
    password changed or reset, locked after failed sign-ins, handed over to a successor.
    """

    __tablename__ = "account_events"
    __table_args__ = (Index("ix_account_events_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Who made the change; None when the system did (a lock after failed sign-ins).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])

    def __repr__(self) -> str:
        return _repr(self, "id", "user_id", "action")


# --- Indicators, reports, the action plan (workflow/services/indicators.py and friends) ---------------

FAILURE_KINDS = ["procedure", "facilities", "cost", "staff"]


class _IndicatorCounts:
    """The counts one complaint contributes to the indicators (0 or 1 each, sums for bounces and days).

    Shared by the per-complaint fact and the monthly roll-up, so a roll-up row is the plain sum of facts.
    What each count means is written in docs/indicators.md.
    """

    received: Mapped[int] = mapped_column(Integer, default=0)
    open: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    closed_confirmed: Mapped[int] = mapped_column(Integer, default=0)
    closed_auto: Mapped[int] = mapped_column(Integer, default=0)
    closed_admin: Mapped[int] = mapped_column(Integer, default=0)
    transferred: Mapped[int] = mapped_column(Integer, default=0)
    archived: Mapped[int] = mapped_column(Integer, default=0)
    archived_out_of_scope: Mapped[int] = mapped_column(Integer, default=0)
    archived_duplicate: Mapped[int] = mapped_column(Integer, default=0)
    archived_unintelligible: Mapped[int] = mapped_column(Integer, default=0)
    archived_spam: Mapped[int] = mapped_column(Integer, default=0)
    archived_incomplete: Mapped[int] = mapped_column(Integer, default=0)
    archived_withdrawn: Mapped[int] = mapped_column(Integer, default=0)
    verification_met: Mapped[int] = mapped_column(Integer, default=0)
    verification_breached: Mapped[int] = mapped_column(Integer, default=0)
    response_met: Mapped[int] = mapped_column(Integer, default=0)
    response_breached: Mapped[int] = mapped_column(Integer, default=0)
    resolved_on_time: Mapped[int] = mapped_column(Integer, default=0)
    resolution_breached: Mapped[int] = mapped_column(Integer, default=0)
    escalated: Mapped[int] = mapped_column(Integer, default=0)
    escalated_level2: Mapped[int] = mapped_column(Integer, default=0)
    escalated_level3: Mapped[int] = mapped_column(Integer, default=0)
    bounced: Mapped[int] = mapped_column(Integer, default=0)
    bounces: Mapped[int] = mapped_column(Integer, default=0)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    reopens: Mapped[int] = mapped_column(Integer, default=0)
    ever_closed: Mapped[int] = mapped_column(Integer, default=0)
    resolve_days_count: Mapped[int] = mapped_column(Integer, default=0)
    resolve_days_sum: Mapped[int] = mapped_column(Integer, default=0)
    rated: Mapped[int] = mapped_column(Integer, default=0)
    rating_sum: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    tagged: Mapped[int] = mapped_column(Integer, default=0)
    failure_procedure: Mapped[int] = mapped_column(Integer, default=0)
    failure_facilities: Mapped[int] = mapped_column(Integer, default=0)
    failure_cost: Mapped[int] = mapped_column(Integer, default=0)
    failure_staff: Mapped[int] = mapped_column(Integer, default=0)
    substantiated: Mapped[int] = mapped_column(Integer, default=0)
    unsubstantiated: Mapped[int] = mapped_column(Integer, default=0)
    dispositioned: Mapped[int] = mapped_column(Integer, default=0)
    open_overdue: Mapped[int] = mapped_column(Integer, default=0)


class IndicatorFact(_IndicatorCounts, db.Model):
    """One complaint as the indicators count it: its month of receipt, its breakdown keys and its counts.

    Rewritten in the same transaction whenever the complaint, one of its clocks, its rating or its
    finding changes; the roll-ups below change by the difference, so they always equal the sum of facts.
    """

    __tablename__ = "indicator_facts"
    # Changed on every action and indexed only by its key: room on each page keeps the change beside the old row.
    __table_args__ = ({"postgresql_with": {"fillfactor": 90}},)

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True)
    # YYYYMM of the local day of receipt (the regency's time zone): the period a complaint belongs to.
    month: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(32))
    opd: Mapped[str] = mapped_column(String(32))
    class_code: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    kecamatan: Mapped[str] = mapped_column(String(100))
    gender: Mapped[str] = mapped_column(String(16))
    disability: Mapped[str] = mapped_column(String(8))
    marginal_group: Mapped[str] = mapped_column(String(64))
    # Working days from receipt to the follow-up that closed it; None while the complaint is not resolved.
    resolve_days: Mapped[int | None] = mapped_column(Integer)

    def __repr__(self) -> str:
        return _repr(self, "complaint_id", "month", "unit")


class IndicatorRollup(_IndicatorCounts, db.Model):
    """The facts of one month summed per breakdown key (dimension ``all`` has the single key '')."""

    __tablename__ = "indicator_rollups"

    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)

    def __repr__(self) -> str:
        return _repr(self, "month", "dimension", "key", "received")


class IndicatorDuration(db.Model):
    """How many resolved complaints of one month and breakdown key took ``working_days`` (medians, p90)."""

    __tablename__ = "indicator_durations"
    __table_args__ = (CheckConstraint("working_days >= 0", name="working_days"),)

    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    working_days: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return _repr(self, "month", "dimension", "key", "working_days", "n")


class ComplaintFinding(db.Model):
    """What failed, as the unit tagged it with its follow-up (Perbup 4/2022 §2.1.5), and whether the
    complaint was substantiated; the latest follow-up's tags win, each one stays in its audit event."""

    __tablename__ = "complaint_findings"

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    procedure: Mapped[bool] = mapped_column(Boolean, default=False)
    facilities: Mapped[bool] = mapped_column(Boolean, default=False)
    cost: Mapped[bool] = mapped_column(Boolean, default=False)
    staff: Mapped[bool] = mapped_column(Boolean, default=False)
    substantiated: Mapped[bool | None] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def __repr__(self) -> str:
        return _repr(self, "complaint_id", "substantiated")


COMMITMENT_STATUSES = ["planned", "in_progress", "done", "dropped"]


class ImprovementCommitment(db.Model):
    """A service-improvement commitment (janji perbaikan layanan) of an OPD, tracked to completion."""

    __tablename__ = "improvement_commitments"
    __table_args__ = (
        CheckConstraint(_in("status", COMMITMENT_STATUSES), name="status"),
        CheckConstraint("failure_kind IS NULL OR " + _in("failure_kind", FAILURE_KINDS), name="failure_kind"),
        CheckConstraint("(status = 'done') = (done_on IS NOT NULL)", name="done_has_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    failure_kind: Mapped[str | None] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="planned")
    progress_note: Mapped[str] = mapped_column(Text, default="")
    done_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship()
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])

    def __repr__(self) -> str:
        return _repr(self, "id", "unit_id", "status", "due_on")


REALISATION_STATUSES = ["not_started", "in_progress", "done", "not_done"]


class ProgrammeRealisation(db.Model):
    """The realisation of one action-plan activity (Table 3.2) in one year: status, notes, who updated it."""

    __tablename__ = "programme_realisations"
    __table_args__ = (
        UniqueConstraint("activity_code", "year"),
        CheckConstraint(_in("status", REALISATION_STATUSES), name="status"),
        CheckConstraint("percent IS NULL OR (percent BETWEEN 0 AND 100)", name="percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_code: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    percent: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    updated_by: Mapped[User | None] = relationship()
    evidence: Mapped[list["ProgrammeEvidence"]] = relationship(order_by="ProgrammeEvidence.id")

    def __repr__(self) -> str:
        return _repr(self, "activity_code", "year", "status")


class ProgrammeUpdate(db.Model):
    """One change to a realisation, kept for the record: who set which status and notes, when."""

    __tablename__ = "programme_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    realisation_id: Mapped[int] = mapped_column(ForeignKey("programme_realisations.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16))
    percent: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return _repr(self, "realisation_id", "at", "status")


class ProgrammeEvidence(db.Model):
    """A file that evidences a realisation (a decree, minutes, photos), stored like complaint attachments."""

    __tablename__ = "programme_evidence"
    __table_args__ = (CheckConstraint("size > 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    realisation_id: Mapped[int] = mapped_column(ForeignKey("programme_realisations.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def __repr__(self) -> str:
        return _repr(self, "id", "realisation_id", "content_type", "size")


class TrainingAttendance(db.Model):
    """A handler's attendance at a bimtek activity of the action plan (Table 3.3, group 2)."""

    __tablename__ = "training_attendance"
    __table_args__ = (UniqueConstraint("activity_code", "user_id", "attended_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_code: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    attended_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(300), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def __repr__(self) -> str:
        return _repr(self, "activity_code", "user_id", "attended_on")


class AssessmentRound(db.Model):
    """One round of the self-assessment (Table 2.2): open for responses, then closed with its priorities."""

    __tablename__ = "assessment_rounds"
    __table_args__ = (
        CheckConstraint(_in("status", ["open", "closed"]), name="status"),
        CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name="closed_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    # The statements and aspects are those of this SOP version, so a later SOP cannot change a past round.
    sop_version_id: Mapped[int] = mapped_column(ForeignKey("sop_versions.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    place: Mapped[str] = mapped_column(String(200), default="")
    held_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    sop_version: Mapped[SopVersion] = relationship()

    def __repr__(self) -> str:
        return _repr(self, "id", "year", "status")


class AssessmentResponse(db.Model):
    """One respondent's answers in one round (one response per respondent per round)."""

    __tablename__ = "assessment_responses"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("assessment_rounds.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)

    answers: Mapped[list["AssessmentAnswer"]] = relationship(order_by="AssessmentAnswer.statement",
                                                             cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return _repr(self, "round_id", "user_id")


class AssessmentAnswer(db.Model):
    """The score (1–4) a respondent gave one statement."""

    __tablename__ = "assessment_answers"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 4", name="score"),)

    response_id: Mapped[int] = mapped_column(ForeignKey("assessment_responses.id", ondelete="CASCADE"),
                                             primary_key=True)
    statement: Mapped[int] = mapped_column(Integer, primary_key=True)
    score: Mapped[int] = mapped_column(Integer)

    def __repr__(self) -> str:
        return _repr(self, "response_id", "statement", "score")


class AssessmentPriority(db.Model):
    """An aspect's priority in a closed round, its reason, and whether a person ordered it within a tie."""

    __tablename__ = "assessment_priorities"
    __table_args__ = (
        UniqueConstraint("round_id", "priority"),
        CheckConstraint("priority >= 1", name="priority"),
    )

    round_id: Mapped[int] = mapped_column(ForeignKey("assessment_rounds.id"), primary_key=True)
    aspect: Mapped[str] = mapped_column(String(64), primary_key=True)
    priority: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    # True where the aspect's mean ties another's and the coordinator chose the order.
    tie_ordered: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return _repr(self, "round_id", "aspect", "priority")
