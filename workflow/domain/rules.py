"""Who may do what, to which complaint, and when: the guards around the transition table."""

from dataclasses import dataclass, field
from datetime import datetime

from workflow.domain.errors import InvalidTransition, NotFound, PermissionDenied
from workflow.domain.machine import Subject, rows_for
from workflow.domain.states import (
    IDENTITY_ROLES,
    MAX_ESCALATION_LEVEL,
    REGENCY_ROLES,
    UNIT_SCOPED_ROLES,
    Action,
    Role,
    State,
)


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff user with a role and the units in reach, a reporter, or the system.

    ``unit_ids`` holds the actor's unit and every unit below it; ``complaint_id`` binds a reporter
    to the one complaint their tracking code and PIN open.
    """

    role: Role
    user_id: int | None = None
    unit_ids: frozenset[int] = field(default_factory=frozenset)
    complaint_id: int | None = None
    name: str = ""

    @classmethod
    def system(cls) -> "Actor":
        """Return the actor for the engine's own clocks and jobs."""
        return cls(role=Role.system, name="system")

    @classmethod
    def reporter(cls, complaint_id: int) -> "Actor":
        """Return the actor for a reporter who proved their tracking code and PIN."""
        return cls(role=Role.reporter, complaint_id=complaint_id, name="reporter")


@dataclass(frozen=True)
class Situation:
    """What the guards need to know about one complaint at one moment."""

    complaint_id: int
    state: State
    unit_id: int | None = None
    entered_by_id: int | None = None
    resume_to: str | None = None
    escalation_level: int = 0
    confirmation_due: datetime | None = None
    info_due: datetime | None = None
    reopen_until: datetime | None = None


def can_see(actor: Actor, situation: Situation) -> bool:
    """Return whether ``actor`` may see the complaint at all."""
    if actor.role in REGENCY_ROLES or actor.role is Role.system:
        return True
    if actor.role in UNIT_SCOPED_ROLES:
        return situation.unit_id is not None and situation.unit_id in actor.unit_ids
    if actor.role is Role.facilitator:
        return situation.entered_by_id is not None and situation.entered_by_id == actor.user_id
    if actor.role is Role.reporter:
        return situation.complaint_id == actor.complaint_id
    return False


def can_see_identity(actor: Actor) -> bool:
    """Return whether ``actor`` may see a hidden (anonymous) reporter's identity."""
    return actor.role in IDENTITY_ROLES


def authorize(actor: Actor, action: Action, situation: Situation, now: datetime,
              sop_gates: frozenset[str] = frozenset()) -> None:
    """Raise the right domain error unless ``actor`` may take ``action`` now; return quietly if so.

    Out-of-scope complaints are reported as not found, so ids cannot be probed.
    """
    if not can_see(actor, situation):
        # Word for word what an id that does not exist answers (services.actions.load_complaint).
        raise NotFound("Pengaduan tidak ditemukan. / Complaint not found.", {"complaint_id": situation.complaint_id})
    subject = Subject(situation.state.value, situation.resume_to)
    rows = [row for row in rows_for(action, situation.state)
            if "conditions" not in row or getattr(subject, row["conditions"])()]
    if not rows:
        raise InvalidTransition(
            f"Aksi '{action.value}' tidak diizinkan pada status '{situation.state.value}' "
            f"({situation.state.label}).", {"action": action.value, "state": situation.state.value})
    if not any(_role_permitted(actor.role, row, sop_gates) for row in rows):
        raise PermissionDenied(f"Peran '{actor.role.value}' tidak boleh melakukan aksi '{action.value}'.",
                               {"action": action.value, "role": actor.role.value})
    _check_timing(action, situation, now)


def allowed_actions(actor: Actor, situation: Situation, now: datetime,
                    sop_gates: frozenset[str] = frozenset()) -> list[str]:
    """Return the actions ``actor`` may take on the complaint now (what the screens offer)."""
    allowed = []
    for action in Action:
        try:
            authorize(actor, action, situation, now, sop_gates)
        except (InvalidTransition, PermissionDenied, NotFound):
            continue
        allowed.append(action.value)
    return allowed


def _role_permitted(role: Role, row: dict, sop_gates: frozenset[str]) -> bool:
    if role not in row["roles"]:
        return False
    gate = row.get("sop_gates", {}).get(role)
    return gate is None or gate in sop_gates


def _check_timing(action: Action, situation: Situation, now: datetime) -> None:
    def refuse(message: str) -> None:
        raise InvalidTransition(message, {"action": action.value, "state": situation.state.value})

    if action is Action.dispute and situation.confirmation_due and now > situation.confirmation_due:
        refuse("Batas waktu konfirmasi sudah lewat; tanggapan tidak dapat lagi dibantah.")
    if action is Action.auto_close and (situation.confirmation_due is None or now <= situation.confirmation_due):
        refuse("Batas waktu konfirmasi belum lewat; pengaduan belum dapat ditutup otomatis.")
    if action is Action.expire_info and (situation.info_due is None or now <= situation.info_due):
        refuse("Batas waktu kelengkapan informasi belum lewat.")
    if action is Action.reopen and (situation.reopen_until is None or now > situation.reopen_until):
        refuse("Batas waktu untuk membuka kembali pengaduan ini sudah lewat.")
    if action is Action.escalate and situation.escalation_level >= MAX_ESCALATION_LEVEL:
        refuse("Pengaduan sudah berada pada tingkat eskalasi tertinggi.")


def is_final(state: State) -> bool:
    """Return whether ``state`` ends the lifecycle."""
    return state in {State.closed, State.transferred, State.archived}
