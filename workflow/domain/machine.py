"""The complaint lifecycle as one declarative table, run by the ``transitions`` library.

``TRANSITIONS`` is the specification people review: each row says which action moves a complaint
from which states to which state, and which roles may take it. ``CLOCK_EFFECTS`` says what each
action does to the working-day clocks. One ``Machine`` is built from the table at import and fires
triggers on small :class:`Subject` snapshots, never one machine per ORM object.
"""

from dataclasses import dataclass

from transitions import Machine, MachineError

from workflow.domain.errors import InvalidTransition
from workflow.domain.states import OPEN_STATES, Action, ClockKind, Role, State

A, S, R = Action, State, Role
_UNIT = (R.unit_admin, R.penghubung)
_OPEN = sorted(OPEN_STATES, key=list(State).index)

TRANSITIONS: list[dict] = [
    # The system verifies only where the SOP allows automatic disposition by a certain routing rule, and then
    # records the reporter's own anonymous/confidential choice as the explicit decision (services/routing.py).
    {"trigger": A.verify, "source": [S.received], "dest": S.dispositioned, "roles": [R.admin_instansi, R.system]},
    {"trigger": A.request_info, "source": [S.received], "dest": S.pending_info, "roles": [R.admin_instansi]},
    {"trigger": A.request_info, "source": [S.in_progress], "dest": S.pending_info, "roles": _UNIT},
    {"trigger": A.supply_info, "source": [S.pending_info], "dest": S.received,
     "conditions": "resumes_to_received", "roles": [R.reporter, R.admin_instansi]},
    {"trigger": A.supply_info, "source": [S.pending_info], "dest": S.in_progress,
     "conditions": "resumes_to_in_progress", "roles": [R.reporter, R.admin_instansi, *_UNIT]},
    {"trigger": A.expire_info, "source": [S.pending_info], "dest": S.archived, "roles": [R.system]},
    {"trigger": A.archive, "source": [S.received, S.pending_info, S.returned], "dest": S.archived,
     "roles": [R.admin_instansi]},
    {"trigger": A.mark_duplicate, "source": [S.received, S.returned], "dest": S.archived,
     "roles": [R.admin_instansi]},
    {"trigger": A.acknowledge, "source": [S.dispositioned], "dest": S.in_progress, "roles": _UNIT},
    {"trigger": A.return_, "source": [S.dispositioned, S.in_progress], "dest": S.returned, "roles": _UNIT},
    {"trigger": A.redispose, "source": [S.returned], "dest": S.dispositioned, "roles": [R.admin_instansi]},
    {"trigger": A.transfer_out, "source": [S.received, S.returned], "dest": S.transferred,
     "roles": [R.admin_instansi]},
    # A unit handler posts the follow-up only where the SOP lets units post directly.
    {"trigger": A.respond, "source": [S.in_progress], "dest": S.responded, "roles": [R.penghubung, R.unit_admin],
     "sop_gates": {R.unit_admin: "units_may_respond"}},
    {"trigger": A.confirm, "source": [S.responded], "dest": S.closed, "roles": [R.reporter]},
    {"trigger": A.dispute, "source": [S.responded], "dest": S.in_progress, "roles": [R.reporter]},
    {"trigger": A.auto_close, "source": [S.responded], "dest": S.closed, "roles": [R.system]},
    {"trigger": A.close, "source": [S.responded], "dest": S.closed, "roles": [R.admin_instansi]},
    {"trigger": A.reopen, "source": [S.closed], "dest": S.in_progress, "roles": [R.admin_instansi, R.coordinator]},
    # Escalation is a level on the complaint, not a state: an internal transition.
    {"trigger": A.escalate, "source": _OPEN, "dest": None, "roles": [R.penghubung, R.coordinator, R.system]},
]

_WORK_CLOCKS = (ClockKind.verification, ClockKind.response, ClockKind.resolution)
K = ClockKind

# What each action does to the clocks, in order. "stop_all" stops every running or paused clock.
CLOCK_EFFECTS: dict[Action, list[tuple[str, ClockKind | None]]] = {
    A.verify: [("stop", K.verification), ("start", K.response), ("start", K.resolution)],
    A.request_info: [*(("pause", k) for k in _WORK_CLOCKS), ("start", K.info)],
    A.supply_info: [("stop", K.info), *(("resume", k) for k in _WORK_CLOCKS)],
    A.expire_info: [("expire", K.info), ("stop_all", None)],
    A.archive: [("stop_all", None)],
    A.mark_duplicate: [("stop_all", None)],
    A.acknowledge: [],
    # The returning unit's response clock ends without a verdict; the resolution clock runs on.
    A.return_: [("cancel", K.response)],
    # Redisposition gives the new unit its own response clock and never restarts resolution.
    A.redispose: [("start", K.response)],
    A.transfer_out: [("stop_all", None)],
    # While the reporter weighs the follow-up the unit's resolution clock waits.
    A.respond: [("stop", K.response), ("pause", K.resolution), ("start", K.confirmation)],
    A.confirm: [("stop", K.confirmation), ("stop", K.resolution)],
    A.dispute: [("stop", K.confirmation), ("resume", K.resolution)],
    A.auto_close: [("expire", K.confirmation), ("stop", K.resolution)],
    A.close: [("stop", K.confirmation), ("stop", K.resolution)],
    A.reopen: [("resume", K.resolution)],
    A.escalate: [],
}


@dataclass
class Subject:
    """The slice of a complaint the machine needs: its state and where pending info resumes to."""

    state: str
    resume_to: str | None = None

    def resumes_to_received(self) -> bool:
        """Return whether pending information returns the complaint to verification."""
        return self.resume_to == State.received.value

    def resumes_to_in_progress(self) -> bool:
        """Return whether pending information returns the complaint to the unit."""
        return self.resume_to == State.in_progress.value


def _machine_rows() -> list[dict]:
    rows = []
    for row in TRANSITIONS:
        spec = {"trigger": row["trigger"].value, "source": [s.value for s in row["source"]],
                "dest": row["dest"].value if row["dest"] else None}
        if "conditions" in row:
            spec["conditions"] = row["conditions"]
        rows.append(spec)
    return rows


class Lifecycle:
    """Fire lifecycle triggers on :class:`Subject` snapshots through one shared machine."""

    def __init__(self) -> None:
        self._machine = Machine(model=None, states=[s.value for s in State], transitions=_machine_rows(),
                                initial=None, auto_transitions=False, model_attribute="state",
                                ignore_invalid_triggers=False)

    def fire(self, action: Action, subject: Subject) -> str:
        """Apply ``action`` to ``subject`` and return its new state, or raise :class:`InvalidTransition`."""
        event = self._machine.events.get(action.value)
        if event is None:
            raise InvalidTransition(f"Aksi tidak dikenal: {action.value}.", {"action": action.value})
        try:
            moved = event.trigger(subject)
        except MachineError:
            moved = False
        if not moved:
            raise InvalidTransition(
                f"Aksi '{action.value}' tidak diizinkan pada status '{subject.state}' "
                f"({State(subject.state).label}).",
                {"action": action.value, "state": subject.state},
            )
        return subject.state

    def triggers_from(self, state: State) -> list[str]:
        """Return the triggers defined from ``state`` (the library's own view of the table)."""
        return self._machine.get_triggers(state.value)


LIFECYCLE = Lifecycle()


def rows_for(action: Action, state: State) -> list[dict]:
    """Return the table rows for ``action`` that start from ``state``."""
    return [row for row in TRANSITIONS if row["trigger"] == action and state in row["source"]]
