"""Use cases for in-app notices: a staff user reads their own notices and marks them read."""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from workflow.db import db
from workflow.domain.errors import InvalidInput, NotFound, PermissionDenied
from workflow.domain.rules import Actor
from workflow.domain.states import STAFF_ROLES
from workflow.models import Complaint, Notice
from workflow.services.queries import local, zone_of
from workflow.services.sop import active_sop

MAX_PER_PAGE = 100


def list_notices(actor: Actor, page: int = 1, per_page: int = 25, unread_only: bool = False) -> dict:
    """Return one page of the actor's notices, unread first, newest first, with the totals."""
    user_id = _user_of(actor)
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput("Halaman tidak valid. / Invalid page.", {"page": ">= 1", "per_page": f"1–{MAX_PER_PAGE}"})
    mine = Notice.user_id == user_id
    query = select(Notice).where(mine)
    if unread_only:
        query = query.where(Notice.read_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    unread = db.session.scalar(select(func.count(Notice.id)).where(mine, Notice.read_at.is_(None)))
    notices = db.session.scalars(
        query.order_by(Notice.read_at.is_not(None), Notice.created_at.desc(), Notice.id.desc())
        .offset((page - 1) * per_page).limit(per_page)
        .options(selectinload(Notice.complaint).selectinload(Complaint.unit))).all()
    fallback = ZoneInfo(active_sop()[1].sop.timezone)
    return {"items": [view(notice, fallback) for notice in notices], "page": page, "per_page": per_page,
            "total": total, "pages": -(-total // per_page), "unread": unread}


def mark_read(actor: Actor, notice_id: int, now: datetime) -> dict:
    """Mark one of the actor's notices read (again is harmless: the first time is kept); return it."""
    user_id = _user_of(actor)
    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.user_id != user_id:
        # Another user's notice is reported as missing, so ids cannot be probed.
        raise NotFound("Pemberitahuan tidak ditemukan. / Notice not found.", {"notice_id": notice_id})
    if notice.read_at is None:
        notice.read_at = now
        db.session.flush()
    return view(notice, ZoneInfo(active_sop()[1].sop.timezone))


def view(notice: Notice, fallback: ZoneInfo) -> dict:
    """Shape one notice, its times shown with the complaint's unit offset."""
    complaint = notice.complaint
    tz = zone_of(complaint) if complaint is not None else fallback
    return {"id": notice.id, "kind": notice.kind, "text": notice.text,
            "complaint": {"id": complaint.id, "tracking_code": complaint.tracking_code} if complaint else None,
            "created_at": local(notice.created_at, tz), "read_at": local(notice.read_at, tz),
            "read": notice.read_at is not None}


def _user_of(actor: Actor) -> int:
    if actor.role not in STAFF_ROLES or actor.user_id is None:
        raise PermissionDenied("Pemberitahuan hanya untuk petugas. / Notices are for staff.",
                               {"role": actor.role.value})
    return actor.user_id
