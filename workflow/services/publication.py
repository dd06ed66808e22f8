"""What the public may see of a complaint: one rule for the public pages, the open data and Open311.

* Confidential complaints are never published: not listed, not in open data, not found by code.
* Reporter fields (name, phone, email, GESI data) are never published, anonymous or not.
* Content (title, description, place, coordinates, media, staff notes) is published only once the
  administrator has confirmed the confidentiality decision at verification; until then a
  complaint shows its category, status and dates only.
* Staff notes are the comments staff wrote on public steps; internal events never, and never the
  reporter's own words (information supplied, a dispute, a note, a rating): they may name or
  locate the reporter.
* Free text that is published (title, description, staff notes) has the reporter's name, phone and
  e-mail blanked out, in the forms they were given: a reporter who wrote their own name into the
  description, or a handler who greeted them by name, does not publish it. (A nickname or a part of
  the name is not caught: the administrator's confidentiality decision remains the real guard.)
"""

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import selectinload

from workflow.db import db
from workflow.domain.errors import InvalidInput, NotFound
from workflow.domain.states import FINAL_STATES, Action, Role, State
from workflow.models import Complaint, ComplaintEvent
from workflow.services.queries import local, zone_of
from workflow.services.redaction import REDACTED, identity_forms, redact  # noqa: F401  (one rule, shared)
from workflow.services.sop import sop_of

# Public steps whose comment carries the reporter's own words.
REPORTER_WORDS = frozenset({Action.supply_info.value, Action.dispute.value, Action.confirm.value, "note", "rate"})


def published() -> ColumnElement[bool]:
    """Return the SQL condition a complaint must meet to appear anywhere public."""
    return Complaint.confidential.is_(False)


def is_published(complaint: Complaint) -> bool:
    """Return whether ``complaint`` may appear anywhere public (lists, pages, open data, Open311)."""
    return not complaint.confidential


def content_shown(complaint: Complaint) -> bool:
    """Return whether a published complaint's content may be shown: only after the administrator decided."""
    return is_published(complaint) and complaint.confidentiality_confirmed


def staff_notes(events: Iterable[ComplaintEvent]) -> list[ComplaintEvent]:
    """Return the public events that carry a staff comment the public may read, oldest first."""
    return [event for event in events
            if not event.internal and event.comment and event.actor_role != Role.reporter.value
            and event.action not in REPORTER_WORDS]


def status_note(complaint: Complaint, events: Iterable[ComplaintEvent]) -> str | None:
    """Return the last staff note of a complaint whose content is shown, else None."""
    notes = staff_notes(events)
    return redact(complaint, notes[-1].comment) if notes and content_shown(complaint) else None


def public_events(complaint_ids: Iterable[int], also: Iterable[str] = ()) -> dict[int, list[ComplaintEvent]]:
    """Return the public events of each complaint (plus internal ones named in ``also``), oldest first."""
    ids, extra = list(complaint_ids), list(also)
    grouped: dict[int, list[ComplaintEvent]] = defaultdict(list)
    if not ids:
        return grouped
    visible = ComplaintEvent.internal.is_(False)
    rows = db.session.scalars(
        select(ComplaintEvent)
        .where(ComplaintEvent.complaint_id.in_(ids), or_(visible, ComplaintEvent.action.in_(extra)) if extra
               else visible)
        .order_by(ComplaintEvent.id))
    for event in rows:
        grouped[event.complaint_id].append(event)
    return grouped


# --- the public list, one complaint, open data ------------------------------------------------------

PER_PAGE = 20
MAX_PAGE = 10_000


def public_list(page: int = 1, category: str | None = None, status: str | None = None,
                per_page: int = PER_PAGE) -> dict:
    """Return one page of published complaints, newest first: redacted summaries and the page count."""
    if not 1 <= page <= MAX_PAGE:
        raise InvalidInput("Halaman tidak valid. / Invalid page.", {"page": f"1–{MAX_PAGE}"})
    if status not in (None, "open", "closed"):
        raise InvalidInput("Status tidak dikenal. / Unknown status.", {"status": "open, closed"})
    query = select(Complaint).where(published())
    if category:
        query = query.where(Complaint.category_code == category)
    final = [s.value for s in FINAL_STATES]
    if status == "open":
        query = query.where(Complaint.state.not_in(final))
    elif status == "closed":
        query = query.where(Complaint.state.in_(final))
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(
        query.options(selectinload(Complaint.unit), selectinload(Complaint.sop_version))
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": [public_view(c) for c in rows], "page": page, "per_page": per_page, "total": total,
            "pages": max(1, (total + per_page - 1) // per_page)}


def public_complaint(tracking_code: str) -> dict:
    """Return one published complaint with its public steps and staff notes, or raise :class:`NotFound`."""
    code = (tracking_code or "").strip().upper()
    complaint = db.session.scalar(select(Complaint).where(published(), Complaint.tracking_code == code)
                                  .options(selectinload(Complaint.unit), selectinload(Complaint.sop_version)))
    if complaint is None:
        raise NotFound("Pengaduan tidak ditemukan atau tidak dipublikasikan. / Complaint not found or not "
                       "published.", {"tracking_code": code})
    events = public_events([complaint.id])[complaint.id]
    return public_view(complaint, events)


def public_view(complaint: Complaint, events: list[ComplaintEvent] | None = None) -> dict:
    """Shape a published complaint for everyone: never the reporter, content only once it may be shown."""
    tz = zone_of(complaint)
    category = sop_of(complaint.sop_version).category(complaint.category_code)
    shown = content_shown(complaint)
    state = State(complaint.state)
    view = {
        "tracking_code": complaint.tracking_code,
        "category": {"code": complaint.category_code, "name": category.name if category else complaint.category_code},
        "state": state.value,
        "state_label": state.label,
        "open": state not in FINAL_STATES,
        "received_at": local(complaint.received_at, tz),
        "closed_at": local(complaint.closed_at, tz),
        "content_shown": shown,
        "title": redact(complaint, complaint.title) if shown else None,
        "kecamatan": complaint.kecamatan if shown else None,
        "unit": complaint.unit.name if complaint.unit and shown else None,
        "transfer_target": complaint.transfer_target if shown else None,
        "archive_reason": complaint.archive_reason,
        "closure": complaint.closure,
    }
    if events is not None:
        view.update(
            description=redact(complaint, complaint.description) if shown else None,
            desa=complaint.desa if shown else None,
            steps=[{"at": local(e.at, tz), "action": e.action, "to_state": e.to_state}
                   for e in events if not e.internal and e.to_state is not None],
            notes=[{"at": local(e.at, tz), "action": e.action, "comment": redact(complaint, e.comment)}
                   for e in staff_notes(events)] if shown else [])
    return view


OPEN_DATA_COLUMNS = ("kode_pelacakan", "tanggal_diterima", "kanal", "kategori", "nama_kategori", "kelas",
                     "kecamatan", "instansi", "nama_instansi", "status", "keterangan_status", "terbuka",
                     "cara_selesai", "tanggal_selesai", "alasan_arsip")


def open_data_rows() -> list[tuple]:
    """Return the open-data rows: every published complaint, de-identified (no reporter, no free text).

    Category, not title: a title is the reporter's own words and can name or locate them. The desa
    is left out too (a small village, a date and a category can point to one household); the
    kecamatan only once the administrator has confirmed the complaint may be shown.
    """
    rows = []
    complaints = db.session.scalars(
        select(Complaint).where(published()).options(selectinload(Complaint.unit),
                                                      selectinload(Complaint.sop_version))
        .order_by(Complaint.received_at, Complaint.id))
    for complaint in complaints:
        tz = zone_of(complaint)
        category = sop_of(complaint.sop_version).category(complaint.category_code)
        state = State(complaint.state)
        shown = content_shown(complaint)
        rows.append((
            complaint.tracking_code, complaint.received_at.astimezone(tz).date().isoformat(), complaint.channel,
            complaint.category_code, category.name if category else "", complaint.class_code or "",
            (complaint.kecamatan or "") if shown else "", complaint.unit.code if complaint.unit else "",
            complaint.unit.name if complaint.unit else "", state.value, state.label,
            "ya" if state not in FINAL_STATES else "tidak", complaint.closure or "",
            complaint.closed_at.astimezone(tz).date().isoformat() if complaint.closed_at else "",
            complaint.archive_reason or ""))
    return rows
