"""The action-plan tracker (Perbup 4/2022 Table 3.2) and the coverage figures of Table 3.3.

The programme groups, programmes and activities, with their years and responsible units, are SOP
data (``sop/<name>/programmes.toml``). Here their realisation is recorded per activity and year
(status, percent, notes, who and when; every change kept in ``programme_updates``), evidenced by
files stored like complaint attachments (type checked from the content, images without metadata,
outside the web root), and shown as the regulation's matrix. Table 3.3's measurable indicators are
computed: UPPPs with an active complaint handler in a period (group 1) and the share of handlers
trained in a bimtek activity of the plan (group 2).
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from sop import Sop
from sop.schema import Activity
from workflow.db import db
from workflow.domain.errors import InvalidInput, NotFound, PermissionDenied
from workflow.domain.rules import Actor
from workflow.domain.states import STAFF_ROLES, UNIT_SCOPED_ROLES, Role
from workflow.models import (
    REALISATION_STATUSES,
    ComplaintEvent,
    ProgrammeEvidence,
    ProgrammeRealisation,
    ProgrammeUpdate,
    TrainingAttendance,
    Unit,
    User,
)
from workflow.services import attachments
from workflow.services.indicators import Period, percent
from workflow.services.sop import active_sop

# Who keeps the tracker for the whole plan: Bagian Organisasi, the tim koordinasi, the Inspektorat, Diskominfo's
# system administrators. A unit's handlers and penghubung record the activities their unit is responsible for.
PLAN_KEEPERS = frozenset({Role.admin_instansi, Role.coordinator, Role.inspector, Role.sysadmin})
# Complaint handlers, for coverage and training: the administrator, unit handlers and penghubung.
HANDLER_ROLES = (Role.admin_instansi.value, Role.unit_admin.value, Role.penghubung.value)
STATUS_LABELS = {"not_started": "Belum dimulai", "in_progress": "Berjalan", "done": "Terlaksana",
                 "not_done": "Tidak terlaksana"}
MAX_NOTES = 4000


def plan() -> Sop:
    """Return the active SOP, whose ``programmes`` hold the action plan."""
    return active_sop()[1]


def record_realisation(activity_code: str, year: int, actor: Actor, now: datetime, status: str,
                       percent_done: int | None = None, notes: str = "") -> ProgrammeRealisation:
    """Record how far an activity got in a year; every change is kept with who made it."""
    activity = _activity(activity_code)
    _may_record(actor, activity)
    problems = {}
    if year not in activity.years:
        problems["year"] = f"{year}: kegiatan ini direncanakan untuk / planned for {list(activity.years)}"
    if status not in REALISATION_STATUSES:
        problems["status"] = f"'{status}': pilih / choose {', '.join(REALISATION_STATUSES)}"
    if percent_done is not None and not 0 <= percent_done <= 100:
        problems["percent"] = "0–100"
    notes = (notes or "").strip()
    if len(notes) > MAX_NOTES:
        problems["notes"] = f"paling banyak {MAX_NOTES} karakter / at most {MAX_NOTES} characters"
    if problems:
        raise InvalidInput("Realisasi tidak dapat disimpan. / The realisation cannot be saved.", problems)
    realisation = _realisation(activity.code, year) or ProgrammeRealisation(activity_code=activity.code, year=year)
    realisation.status, realisation.percent, realisation.notes = status, percent_done, notes
    realisation.updated_by_id, realisation.updated_at = actor.user_id, now
    db.session.add(realisation)
    db.session.flush()
    db.session.add(ProgrammeUpdate(realisation_id=realisation.id, at=now, user_id=actor.user_id, status=status,
                                   percent=percent_done, notes=notes))
    db.session.flush()
    return realisation


def attach_evidence(activity_code: str, year: int, actor: Actor, now: datetime, filename: str | None,
                    stream: BinaryIO) -> ProgrammeEvidence:
    """Store a file that evidences an activity's realisation in a year (checked like complaint attachments)."""
    activity = _activity(activity_code)
    _may_record(actor, activity)
    realisation = _realisation(activity.code, year)
    if realisation is None:
        raise InvalidInput("Catat realisasinya dulu, lalu lampirkan bukti. / Record the realisation first, then "
                           "attach evidence.", {"year": f"belum ada realisasi {activity.code} untuk {year}"})
    name = attachments._clean_name(filename)
    data = attachments._read(stream, name)
    content_type = attachments._content_type(data, name)
    if content_type in attachments.IMAGE_FORMATS:
        data = attachments._without_metadata(data, content_type, name)
    evidence = ProgrammeEvidence(
        realisation_id=realisation.id, stored_name=attachments._store(data),
        sha256=hashlib.sha256(data).hexdigest(), original_name=name, content_type=content_type,
        size=len(data), uploaded_at=now, uploaded_by_id=actor.user_id)
    db.session.add(evidence)
    realisation.updated_by_id, realisation.updated_at = actor.user_id, now
    db.session.flush()
    return evidence


@dataclass(frozen=True)
class OpenedEvidence:
    """An evidence file staff may download."""

    evidence: ProgrammeEvidence
    path: Path
    download_name: str


def open_evidence(evidence_id: int, actor: Actor) -> OpenedEvidence:
    """Return an evidence file for download (staff only; evidence is about the plan, not about people)."""
    evidence = db.session.get(ProgrammeEvidence, evidence_id)
    path = Path(current_app.config["ATTACHMENT_DIR"]) / evidence.stored_name if evidence else None
    if evidence is None or actor.role not in STAFF_ROLES or not path.is_file():
        raise NotFound("Bukti tidak ditemukan. / Evidence not found.", {"evidence_id": evidence_id})
    return OpenedEvidence(evidence, path, evidence.original_name)


def matrix(years: list[int] | None = None) -> dict:
    """Return the plan as the regulation's table: groups, programmes, activities, and realisation per year."""
    sop = plan()
    programmes = sop.programmes
    years = years or list(programmes.years)
    found = db.session.scalars(select(ProgrammeRealisation).where(ProgrammeRealisation.year.in_(years))
                               .options(selectinload(ProgrammeRealisation.evidence),
                                        selectinload(ProgrammeRealisation.updated_by))).all()
    by_key = {(r.activity_code, r.year): r for r in found}
    units = {u.code: u.name for u in sop.units}
    tz = ZoneInfo(sop.sop.timezone)
    groups = []
    for group in programmes.groups:
        rows = []
        for programme in group.programmes:
            activities = []
            for activity in programme.activities:
                cells = {}
                for year in years:
                    realisation = by_key.get((activity.code, year))
                    cells[year] = {"planned": year in activity.years,
                                   "realisation": _realisation_view(realisation, tz) if realisation else None}
                activities.append({"code": activity.code, "name": activity.name, "responsible": activity.responsible,
                                   "units": [{"code": u, "name": units.get(u, u)} for u in activity.units],
                                   "training": activity.training, "years": cells})
            rows.append({"code": programme.code, "name": programme.name, "name_en": programme.name_en,
                         "activities": activities})
        groups.append({"code": group.code, "name": group.name, "name_en": group.name_en, "programmes": rows})
    return {"plan": programmes.plan, "years": years, "groups": groups,
            "success_indicators": [i.model_dump() for i in programmes.success_indicators]}


def realisation_summary(year: int) -> dict:
    """Return how the activities planned for ``year`` stand: counts per status and the share done."""
    sop = plan()
    planned = [a.code for _, _, a in sop.programmes.activities() if year in a.years]
    statuses = dict(db.session.execute(select(ProgrammeRealisation.activity_code, ProgrammeRealisation.status)
                                       .where(ProgrammeRealisation.year == year)).all())
    counts = {status: sum(1 for code in planned if statuses.get(code) == status) for status in REALISATION_STATUSES}
    counts["not_recorded"] = sum(1 for code in planned if code not in statuses)
    return {"year": year, "planned": len(planned), **counts, "percent_done": percent(counts["done"], len(planned))}


def _realisation_view(realisation: ProgrammeRealisation, tz: ZoneInfo) -> dict:
    return {"id": realisation.id, "status": realisation.status, "status_label": STATUS_LABELS[realisation.status],
            "percent": realisation.percent, "notes": realisation.notes,
            "updated_by": realisation.updated_by.full_name or realisation.updated_by.username
            if realisation.updated_by else None,
            "updated_at": realisation.updated_at.astimezone(tz).isoformat(),
            "evidence": [{"id": e.id, "name": e.original_name, "content_type": e.content_type, "size": e.size,
                          "sha256": e.sha256} for e in realisation.evidence]}


def _activity(code: str) -> Activity:
    activity = plan().programmes.activity(code)
    if activity is None:
        raise NotFound("Kegiatan tidak ada dalam rencana aksi. / No such activity in the action plan.",
                       {"activity": code})
    return activity


def _realisation(code: str, year: int) -> ProgrammeRealisation | None:
    return db.session.scalar(select(ProgrammeRealisation).filter_by(activity_code=code, year=year))


def _may_record(actor: Actor, activity: Activity) -> None:
    if actor.role in PLAN_KEEPERS:
        return
    if actor.role in UNIT_SCOPED_ROLES:
        unit_ids = set(db.session.scalars(select(Unit.id).where(Unit.code.in_(activity.units))))
        if unit_ids & set(actor.unit_ids):
            return
    raise PermissionDenied("Hanya tim koordinasi, Bagian Organisasi atau unit penanggung jawab yang dapat mencatat "
                           "realisasi kegiatan ini. / Only the coordination team, Bagian Organisasi or the "
                           "responsible unit may record this activity.", {"activity": activity.code})


# --- training (Table 3.3, group 2) --------------------------------------------------------------------

def record_attendance(activity_code: str, username: str, attended_on: date, actor: Actor, now: datetime,
                      note: str = "") -> TrainingAttendance:
    """Record that a handler attended a bimtek activity of the plan on a day."""
    if actor.role not in PLAN_KEEPERS:
        raise PermissionDenied("Kehadiran bimtek dicatat oleh tim koordinasi atau Bagian Organisasi. / Training "
                               "attendance is recorded by the coordination team or Bagian Organisasi.")
    activity = _activity(activity_code)
    problems = {}
    if not activity.training:
        trainings = ", ".join(a.code for _, _, a in plan().programmes.activities() if a.training)
        problems["activity"] = f"{activity.code} bukan kegiatan bimtek / is not a training activity ({trainings})"
    user = db.session.scalar(select(User).filter_by(username=(username or "").strip()))
    if user is None:
        problems["user"] = f"pengguna '{username}' tidak dikenal / unknown user"
    elif user.role not in HANDLER_ROLES:
        problems["user"] = f"'{user.username}' bukan pengelola pengaduan / is not a complaint handler"
    today = now.astimezone(ZoneInfo(plan().sop.timezone)).date()
    if attended_on > today or attended_on.year < min(activity.years):
        problems["attended_on"] = (f"{attended_on.isoformat()}: antara / between {min(activity.years)}-01-01 dan/and "
                                   f"{today.isoformat()}")
    if len(note or "") > 300:
        problems["note"] = "paling banyak 300 karakter / at most 300 characters"
    if problems:
        raise InvalidInput("Kehadiran tidak dapat dicatat. / The attendance cannot be recorded.", problems)
    found = db.session.scalar(select(TrainingAttendance).filter_by(activity_code=activity.code, user_id=user.id,
                                                                   attended_on=attended_on))
    if found is not None:
        return found
    attendance = TrainingAttendance(activity_code=activity.code, user_id=user.id, attended_on=attended_on,
                                    note=(note or "").strip(), recorded_by_id=actor.user_id, recorded_at=now)
    db.session.add(attendance)
    db.session.flush()
    return attendance


def attendance_list(year: int | None = None) -> list[dict]:
    """Return recorded attendance, newest first (of ``year`` if given)."""
    query = (select(TrainingAttendance).options(selectinload(TrainingAttendance.user).selectinload(User.unit))
             .order_by(TrainingAttendance.attended_on.desc(), TrainingAttendance.id.desc()))
    if year is not None:
        query = query.where(TrainingAttendance.attended_on.between(date(year, 1, 1), date(year, 12, 31)))
    return [{"id": a.id, "activity": a.activity_code, "attended_on": a.attended_on.isoformat(),
             "user": a.user.username, "name": a.user.full_name, "role": a.user.role,
             "unit": a.user.unit.code if a.user.unit else None, "note": a.note}
            for a in db.session.scalars(query)]


# --- coverage (Table 3.3, groups 1 and 2) ---------------------------------------------------------------

def coverage(period: Period) -> dict:
    """Return Table 3.3's figures for ``period``: UPPPs with an active handler, and handlers trained.

    A handler is an active account of an administrator, unit handler or penghubung. A UPPP's team is
    active when one of its handlers acted on a complaint in the period (an audit event under their
    name). A handler is trained once they attended a bimtek activity of the plan by the period's end.
    """
    sop = plan()
    start, end = period.bounds(ZoneInfo(sop.sop.timezone))
    uppps = db.session.execute(select(Unit.id, Unit.code, Unit.name)
                               .where(Unit.kind == "uppp", Unit.active.is_(True)).order_by(Unit.code)).all()
    handlers = db.session.execute(select(User.id, User.unit_id, User.role)
                                  .where(User.active.is_(True), User.role.in_(HANDLER_ROLES))).all()
    # One index probe per handler on (actor_id, at); handlers are a few hundred, events millions.
    acted = set(db.session.scalars(select(User.id).where(
        User.id.in_([h.id for h in handlers]),
        exists().where(ComplaintEvent.actor_id == User.id, ComplaintEvent.at >= start, ComplaintEvent.at < end))))
    trainings = [a.code for _, _, a in sop.programmes.activities() if a.training]
    trained = set(db.session.scalars(select(TrainingAttendance.user_id).where(
        TrainingAttendance.activity_code.in_(trainings), TrainingAttendance.attended_on <= period.end).distinct()))
    rows = []
    for uppp in uppps:
        team = [h for h in handlers if h.unit_id == uppp.id and h.role != Role.admin_instansi.value]
        rows.append({"code": uppp.code, "name": uppp.name, "handlers": len(team),
                     "active": any(h.id in acted for h in team), "trained": sum(1 for h in team if h.id in trained)})
    with_team = sum(1 for r in rows if r["handlers"])
    active = sum(1 for r in rows if r["active"])
    attended = db.session.execute(select(TrainingAttendance.activity_code, TrainingAttendance.user_id).where(
        TrainingAttendance.attended_on.between(period.start, period.end))).all()
    return {
        "period": period.code,
        "uppp": {"total": len(rows), "with_handler": with_team, "active": active,
                 "percent_active": percent(active, len(rows)), "rows": rows},
        "handlers": {"total": len(handlers), "trained": sum(1 for h in handlers if h.id in trained),
                     "percent_trained": percent(sum(1 for h in handlers if h.id in trained), len(handlers)),
                     "active": sum(1 for h in handlers if h.id in acted)},
        "training_in_period": [{"activity": code, "attendances": sum(1 for a in attended if a[0] == code),
                                "people": len({a[1] for a in attended if a[0] == code})} for code in trainings],
    }
