"""The escalation inbox: what is at risk, breached, stuck or bounced too often, in the actor's reach."""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import selectinload

from workflow.db import db
from workflow.domain.errors import InvalidInput, PermissionDenied
from workflow.domain.rules import Actor
from workflow.domain.states import OPEN_STATES, REGENCY_ROLES, UNIT_SCOPED_ROLES, ClockStatus
from workflow.models import Clock, Complaint, SlaMark
from workflow.services.calendars import calendar_for
from workflow.services.queries import WORK_CLOCKS, local
from workflow.services.redaction import shown_text
from workflow.services.sop import active_sop

KINDS = ("at_risk", "breached", "stuck", "bounced")
LIMIT = 100


def escalation_inbox(actor: Actor, kind: str, now: datetime) -> dict:
    """Return up to 100 complaints of one inbox ``kind`` the actor may see, longest waiting first."""
    if kind not in KINDS:
        raise InvalidInput("Jenis kotak masuk tidak dikenal. / Unknown inbox.", {"kind": f"pilih / choose: "
                                                                                          f"{', '.join(KINDS)}"})
    if actor.role not in REGENCY_ROLES | UNIT_SCOPED_ROLES:
        raise PermissionDenied("Kotak masuk eskalasi hanya untuk petugas. / The escalation inbox is for staff.")
    _, sop = active_sop()
    calendar = calendar_for(sop, None, now)
    tz = ZoneInfo(sop.sop.timezone)
    open_states = [s.value for s in OPEN_STATES]
    scope = Complaint.unit_id.in_(actor.unit_ids) if actor.role in UNIT_SCOPED_ROLES else True
    running = and_(Clock.status == ClockStatus.running.value, Clock.kind.in_(WORK_CLOCKS))
    if kind in ("breached", "at_risk"):
        query = select(Complaint, Clock).join(Clock, Clock.complaint_id == Complaint.id).where(running, scope)
        if kind == "breached":
            query = query.where(Clock.due_at < now).order_by(Clock.due_at)
        else:
            warned = exists().where(SlaMark.clock_id == Clock.id, SlaMark.threshold == "warning",
                                    SlaMark.cycle == Clock.started_at)
            query = query.where(Clock.due_at >= now, warned).order_by(Clock.due_at)
        rows = db.session.execute(query.limit(LIMIT).options(selectinload(Complaint.unit))).all()
        items = [_item(c, tz, actor) | {"clock": k.kind, "due_at": local(k.due_at, tz),
                                 "reason": _reason(kind, k.kind),
                                 "working_days": calendar.working_days_between(min(k.due_at, now), max(k.due_at, now))}
                 for c, k in rows]
    elif kind == "stuck":
        since = calendar.end_of_day(calendar.working_day_before(calendar.local_date(now),
                                                                sop.escalation.stuck_working_days))
        query = (select(Complaint).where(Complaint.state.in_(open_states), Complaint.updated_at < since, scope)
                 .order_by(Complaint.updated_at))
        items = [_item(c, tz, actor) | {"reason": "Tidak ada tindakan sejak / no action since "
                                                  + local(c.updated_at, tz),
                                        "working_days": calendar.working_days_between(c.updated_at, now)}
                 for c in db.session.scalars(query.limit(LIMIT).options(selectinload(Complaint.unit)))]
    else:
        query = (select(Complaint).where(Complaint.state.in_(open_states), scope,
                                         Complaint.bounce_count >= sop.sop.max_bounces)
                 .order_by(Complaint.bounce_count.desc(), Complaint.received_at))
        items = [_item(c, tz, actor) | {"reason": f"Dikembalikan {c.bounce_count}× (bukan wewenang) / returned "
                                           f"{c.bounce_count} times", "working_days":
                                 calendar.working_days_between(c.received_at, now)}
                 for c in db.session.scalars(query.limit(LIMIT).options(selectinload(Complaint.unit)))]
    return {"kind": kind, "items": items}


def _item(complaint: Complaint, tz: ZoneInfo, actor: Actor) -> dict:
    return {"id": complaint.id, "tracking_code": complaint.tracking_code,
            "title": shown_text(actor, complaint, complaint.title),
            "state": complaint.state, "unit": complaint.unit.code if complaint.unit else None,
            "escalation_level": complaint.escalation_level, "received_at": local(complaint.received_at, tz)}


def _reason(kind: str, clock: str) -> str:
    if kind == "breached":
        return f"Batas waktu {clock} terlewati / {clock} deadline missed"
    return f"Batas waktu {clock} hampir habis / {clock} deadline close"

