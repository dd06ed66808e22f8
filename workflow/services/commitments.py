"""Improvement commitments (janji perbaikan layanan): what an OPD promises to fix, by whom, by when.

Complaint data feeds policy (Perbup 4/2022 §2.1.5, Table 3.3 group 3): the follow-ups tag what failed
(procedure, facilities, cost, staff), the indicators sum the tags per OPD, and the OPD answers with
commitments that are tracked to completion. :func:`summary` puts the two side by side and names the
failures an OPD has not yet answered with a commitment.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from workflow.db import db
from workflow.domain.errors import InvalidInput, NotFound, PermissionDenied
from workflow.domain.rules import Actor
from workflow.domain.states import UNIT_SCOPED_ROLES, Role
from workflow.models import COMMITMENT_STATUSES, FAILURE_KINDS, ImprovementCommitment, Unit
from workflow.services.indicators import Period, indicators, percent
from workflow.services.sop import active_sop

# The tim koordinasi and Bagian Organisasi keep every OPD's commitments; an OPD's penghubung keeps its own.
KEEPERS = frozenset({Role.coordinator, Role.admin_instansi})
OPD_KEEPERS = frozenset({Role.penghubung})
FAILURE_LABELS = {"procedure": "Prosedur/proses pelayanan", "facilities": "Sarana dan prasarana", "cost": "Biaya",
                  "staff": "Kompetensi/perilaku petugas"}
STATUS_LABELS = {"planned": "Direncanakan", "in_progress": "Berjalan", "done": "Selesai", "dropped": "Dibatalkan"}
OPEN_STATUSES = frozenset({"planned", "in_progress"})


def create_commitment(actor: Actor, now: datetime, unit_code: str, year: int, title: str, owner: str, due_on: date,
                      failure_kind: str | None = None, description: str = "") -> ImprovementCommitment:
    """Record an OPD's commitment to improve its service, with an owner and a due date."""
    unit = db.session.scalar(select(Unit).filter_by(code=(unit_code or "").strip().upper()))
    problems = {}
    if unit is None or unit.kind != "opd":
        problems["unit"] = f"'{unit_code}': pilih OPD / choose an OPD"
    title, owner, description = (title or "").strip(), (owner or "").strip(), (description or "").strip()
    if not 1 <= len(title) <= 200:
        problems["title"] = "1–200 karakter / characters"
    if not 1 <= len(owner) <= 200:
        problems["owner"] = "sebutkan penanggung jawab (nama/jabatan) / name the owner (name/position)"
    if failure_kind and failure_kind not in FAILURE_KINDS:
        problems["failure_kind"] = f"pilih / choose: {', '.join(FAILURE_KINDS)}"
    if not 2000 <= year <= 2100:
        problems["year"] = "2000–2100"
    if due_on is None:
        problems["due_on"] = "wajib diisi / required"
    if len(description) > 4000:
        problems["description"] = "paling banyak 4000 karakter / at most 4000 characters"
    if problems:
        raise InvalidInput("Janji perbaikan tidak dapat disimpan. / The commitment cannot be saved.", problems)
    _may_keep(actor, unit)
    commitment = ImprovementCommitment(unit_id=unit.id, year=year, failure_kind=failure_kind or None, title=title,
                                       description=description, owner=owner, due_on=due_on, status="planned",
                                       progress_note="", created_by_id=actor.user_id, created_at=now,
                                       updated_by_id=actor.user_id, updated_at=now)
    db.session.add(commitment)
    db.session.flush()
    return commitment


def update_commitment(commitment_id: int, actor: Actor, now: datetime, status: str, progress_note: str = "",
                      done_on: date | None = None) -> ImprovementCommitment:
    """Move a commitment on (planned, in progress, done, dropped) with a note; done needs its date."""
    commitment = db.session.get(ImprovementCommitment, commitment_id)
    if commitment is None:
        raise NotFound("Janji perbaikan tidak ditemukan. / Commitment not found.", {"commitment_id": commitment_id})
    _may_keep(actor, commitment.unit)
    problems = {}
    if status not in COMMITMENT_STATUSES:
        problems["status"] = f"pilih / choose: {', '.join(COMMITMENT_STATUSES)}"
    progress_note = (progress_note or "").strip()
    if len(progress_note) > 4000:
        problems["progress_note"] = "paling banyak 4000 karakter / at most 4000 characters"
    today = _today(now)
    if status == "done" and done_on is not None and done_on > today:
        problems["done_on"] = f"tidak boleh setelah hari ini / not after today ({today.isoformat()})"
    if problems:
        raise InvalidInput("Janji perbaikan tidak dapat diperbarui. / The commitment cannot be updated.", problems)
    commitment.status = status
    commitment.done_on = (done_on or today) if status == "done" else None
    if progress_note:
        commitment.progress_note = progress_note
    commitment.updated_by_id, commitment.updated_at = actor.user_id, now
    db.session.flush()
    return commitment


def list_commitments(now: datetime, year: int | None = None, unit_code: str | None = None) -> list[dict]:
    """Return commitments (of ``year`` and/or one OPD), overdue ones flagged, oldest due first."""
    query = (select(ImprovementCommitment).options(selectinload(ImprovementCommitment.unit),
                                                   selectinload(ImprovementCommitment.updated_by))
             .order_by(ImprovementCommitment.due_on, ImprovementCommitment.id))
    if year is not None:
        query = query.where(ImprovementCommitment.year == year)
    if unit_code:
        query = query.join(Unit, Unit.id == ImprovementCommitment.unit_id).where(Unit.code == unit_code)
    today = _today(now)
    return [_view(c, today) for c in db.session.scalars(query)]


def summary(period: Period, now: datetime) -> dict:
    """Return, per OPD, what its follow-ups said failed in ``period`` beside its commitments of that year."""
    by_opd = {row["key"]: row for row in indicators(period, now, breakdown="opd")["breakdown"]["rows"] if row["key"]}
    commitments = list_commitments(now, year=period.year_number)
    units = dict(db.session.execute(select(Unit.code, Unit.name)).all())
    rows = []
    for code in sorted(set(by_opd) | {c["unit"] for c in commitments}):
        findings = by_opd.get(code, {}).get("findings", dict.fromkeys(("tagged", *FAILURE_KINDS), 0))
        own = [c for c in commitments if c["unit"] == code]
        answered = {c["failure_kind"] for c in own if c["status"] != "dropped"}
        rows.append({
            "unit": code, "name": units.get(code, code), "tagged": findings.get("tagged", 0),
            "failures": {kind: findings.get(kind, 0) for kind in FAILURE_KINDS},
            "substantiated": findings.get("substantiated", 0),
            "unanswered": [kind for kind in FAILURE_KINDS if findings.get(kind, 0) and kind not in answered],
            "commitments": len(own), "done": sum(1 for c in own if c["status"] == "done"),
            "open": sum(1 for c in own if c["status"] in OPEN_STATUSES),
            "overdue": sum(1 for c in own if c["overdue"]),
        })
    total = len([c for c in commitments if c["status"] != "dropped"])
    done = sum(1 for c in commitments if c["status"] == "done")
    return {"period": period.code, "rows": [r for r in rows if r["tagged"] or r["commitments"]],
            "commitments": total, "done": done, "percent_done": percent(done, total),
            "overdue": sum(1 for c in commitments if c["overdue"])}


def _view(commitment: ImprovementCommitment, today: date) -> dict:
    return {"id": commitment.id, "unit": commitment.unit.code, "unit_name": commitment.unit.name,
            "year": commitment.year, "failure_kind": commitment.failure_kind,
            "failure_label": FAILURE_LABELS.get(commitment.failure_kind, "Umum"), "title": commitment.title,
            "description": commitment.description, "owner": commitment.owner,
            "due_on": commitment.due_on.isoformat(), "status": commitment.status,
            "status_label": STATUS_LABELS[commitment.status], "progress_note": commitment.progress_note,
            "done_on": commitment.done_on.isoformat() if commitment.done_on else None,
            "overdue": commitment.status in OPEN_STATUSES and commitment.due_on < today,
            "updated_by": (commitment.updated_by.full_name or commitment.updated_by.username)
            if commitment.updated_by else None}


def _may_keep(actor: Actor, unit: Unit) -> None:
    if actor.role in KEEPERS:
        return
    if actor.role in OPD_KEEPERS and actor.role in UNIT_SCOPED_ROLES and unit.id in actor.unit_ids:
        return
    raise PermissionDenied("Janji perbaikan dicatat oleh tim koordinasi, Bagian Organisasi atau pejabat penghubung "
                           "OPD itu. / Commitments are kept by the coordination team, Bagian Organisasi or the OPD's "
                           "penghubung.", {"unit": unit.code})


def _today(now: datetime) -> date:
    return now.astimezone(ZoneInfo(active_sop()[1].sop.timezone)).date()
