"""The reporter's satisfaction rating: 1 to 5 with an optional comment, once per complaint.

A rating is about the handling, so it can be given once the unit has answered (the complaint is
``responded`` or ``closed``) and never changed: the unique key on the complaint keeps a second one
out even when two arrive at once. The rating keeps the unit that handled the complaint, so
satisfaction can be read per unit (the leader dashboard reads :class:`workflow.models.Rating`).
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from workflow.db import db
from workflow.domain.errors import InvalidInput, InvalidTransition, NotFound
from workflow.domain.rules import Actor
from workflow.domain.states import Role, State
from workflow.models import ComplaintEvent, Rating
from workflow.services.actions import load_complaint

RATEABLE_STATES = frozenset({State.responded.value, State.closed.value})
MAX_COMMENT = 1000
SCORES = range(1, 6)


def rate(complaint_id: int, actor: Actor, now: datetime, score: int | str | None,
         comment: str | None = None) -> Rating:
    """Record the reporter's rating of how their complaint was handled, with a ``rate`` audit event."""
    complaint = load_complaint(complaint_id)
    if actor.role is not Role.reporter or actor.complaint_id != complaint.id:
        raise NotFound("Pengaduan tidak ditemukan. / Complaint not found.", {"complaint_id": complaint_id})
    problems = {}
    value = _score(score)
    if value is None:
        problems["score"] = "pilih 1 sampai 5 / choose 1 to 5"
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > MAX_COMMENT:
        problems["comment"] = f"paling banyak {MAX_COMMENT} karakter / at most {MAX_COMMENT} characters"
    if problems:
        raise InvalidInput("Penilaian tidak dapat disimpan. / The rating cannot be saved.", problems)
    if complaint.state not in RATEABLE_STATES:
        raise InvalidTransition("Penilaian dapat diberikan setelah unit menanggapi pengaduan. / A rating can be "
                                "given once the unit has answered the complaint.", {"state": complaint.state})
    if rating_of(complaint.id) is not None:
        raise _already_rated(complaint.id)
    rating = Rating(complaint_id=complaint.id, score=value, comment=comment, unit_id=complaint.unit_id, rated_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(rating)
    except IntegrityError:  # another request rated it first
        raise _already_rated(complaint.id) from None
    db.session.add(ComplaintEvent(
        complaint_id=complaint.id, at=now, actor_id=None, actor_role=Role.reporter.value, action="rate",
        from_state=None, to_state=None, comment=comment, details={"score": value}))
    db.session.flush()
    return rating


def rating_of(complaint_id: int) -> Rating | None:
    """Return the rating given to a complaint, if any."""
    return db.session.scalar(select(Rating).where(Rating.complaint_id == complaint_id))


def _score(score: int | str | None) -> int | None:
    if isinstance(score, bool):
        return None
    if isinstance(score, str):
        score = int(score.strip()) if score.strip().isdecimal() else None
    return score if isinstance(score, int) and score in SCORES else None


def _already_rated(complaint_id: int) -> InvalidTransition:
    return InvalidTransition("Pengaduan ini sudah dinilai; penilaian hanya sekali. / This complaint has already been "
                             "rated; a rating is given once.", {"complaint_id": complaint_id})
