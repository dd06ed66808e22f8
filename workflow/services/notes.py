"""The reporter adds information to their complaint: when asked, or at any other time while it is open.

When the complaint waits for information (``pending_info``) the text is the answer, and
``supply_info`` resumes the clocks. At any other open moment it is recorded as a ``note`` audit
event: no state change, no clock effect. The unit reads it in the complaint's history (and the
change listeners hear of it); the public never does, since it is the reporter's own words.
"""

from datetime import datetime

from workflow.db import db
from workflow.domain.errors import InvalidInput, InvalidTransition, NotFound
from workflow.domain.rules import Actor, is_final
from workflow.domain.states import Role, State
from workflow.models import Complaint, ComplaintEvent
from workflow.services import actions, hooks, inputs
from workflow.services.actions import load_complaint

NOTE = "note"
MAX_NOTE = 4000


def add_information(complaint_id: int, actor: Actor, now: datetime, text: str | None) -> Complaint:
    """Add the reporter's information: supply it if it was asked for, otherwise record it as a note."""
    complaint = load_complaint(complaint_id)
    _check_reporter(complaint, actor)
    text = _text(text)
    if complaint.state == State.pending_info.value:
        return actions.supply_info(complaint.id, actor, now, inputs.NeedsComment(comment=text))
    add_note(complaint.id, actor, now, text)
    return complaint


def add_note(complaint_id: int, actor: Actor, now: datetime, text: str | None) -> ComplaintEvent:
    """Record the reporter's note on an open complaint as an audit event; the state does not change."""
    complaint = load_complaint(complaint_id)
    _check_reporter(complaint, actor)
    text = _text(text)
    if is_final(State(complaint.state)):
        raise InvalidTransition(
            f"Pengaduan sudah berstatus '{State(complaint.state).label}'; informasi tidak dapat ditambahkan. "
            f"Ajukan pengaduan baru bila masalahnya muncul lagi. / The complaint is {complaint.state}; no more "
            f"information can be added. File a new complaint if the problem comes back.", {"state": complaint.state})
    event = ComplaintEvent(complaint_id=complaint.id, at=now, actor_id=None, actor_role=actor.role.value,
                           action=NOTE, from_state=complaint.state, to_state=None, comment=text, internal=False,
                           details={})
    db.session.add(event)
    hooks.changed(complaint, event)
    db.session.flush()
    return event


def _check_reporter(complaint: Complaint, actor: Actor) -> None:
    # Only the reporter proved by tracking code and PIN; other complaints do not exist for them.
    if actor.role is not Role.reporter or actor.complaint_id != complaint.id:
        raise NotFound("Pengaduan tidak ditemukan. / Complaint not found.", {"complaint_id": complaint.id})


def _text(text: str | None) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Tulis informasi yang ingin ditambahkan. / Write the information to add.",
                           {"information": "wajib diisi / required"})
    if len(text) > MAX_NOTE:
        raise InvalidInput("Informasi terlalu panjang. / The information is too long.",
                           {"information": f"paling banyak {MAX_NOTE} karakter / at most {MAX_NOTE} characters"})
    return text
