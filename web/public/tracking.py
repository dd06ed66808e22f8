"""Tracking: a reporter opens their complaint with its code and PIN, then adds information, answers and rates.

The code and PIN are checked once, through the same lockout as the API (``services.tracking``);
the browser then holds the opened complaint in its signed session cookie until it signs out or
closes, so the PIN never travels again and never sits in a page. Every form posts with a CSRF token.
"""

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from web import tracking_rate
from web.clock import now
from web.i18n import format_day
from web.public import bp
from web.public.texts import BADGES, NEXT_STEP, SHORT_STATUS, STATUS, event_label
from web.transaction import commits
from workflow.db import db
from workflow.domain.errors import AuthenticationRequired, InvalidInput, InvalidTransition
from workflow.domain.rules import Actor
from workflow.domain.states import Action, State
from workflow.models import Complaint
from workflow.services import actions, attachments, inputs, notes, queries, ratings
from workflow.services.actions import load_complaint
from workflow.services.tracking import TrackingLocked, reporter_for

SESSION_KEY = "lacak"
MULTIPART_OVERHEAD = 256 * 1024


@bp.get("/lacak")
def track_form():
    """Ask for the tracking code and PIN."""
    code = (request.args.get("kode") or "").strip().upper()
    return _login_page(code)


@bp.post("/lacak")
@tracking_rate
def track_login():
    """Check the tracking code and PIN and open the complaint in this browser."""
    code = (request.form.get("kode") or "").strip().upper()
    try:
        complaint = reporter_for(code, request.form.get("pin"), now())[1]
    except TrackingLocked as locked:
        db.session.commit()  # the attempt counts even though the request fails
        return _login_page(code, locked.message, status=429,
                           headers={"Retry-After": str(locked.details["retry_after_seconds"])})
    except AuthenticationRequired:
        db.session.commit()
        return _login_page(code, _("Kode pelacakan atau PIN salah. Periksa tanda terima Anda, lalu coba lagi."),
                           status=401)
    db.session.commit()
    session[SESSION_KEY] = {"code": complaint.tracking_code, "id": complaint.id}
    return redirect(url_for("public.track", code=complaint.tracking_code), 303)


@bp.get("/lacak/<code>")
def track(code: str):
    """Show the complaint to its reporter, or ask for the PIN first."""
    opened = _opened(code)
    if opened is None:
        return _login_page(code.strip().upper())
    return _status_page(opened)


@bp.post("/lacak/<code>/informasi")
@commits
def add_information(code: str):
    """Add information (and photos) to the complaint: the answer to a request, or a note at any time."""
    complaint = _require(code)
    actor, moment = Actor.reporter(complaint.id), now()
    photos = _photos()
    text = (request.form.get("information") or "").strip()
    try:
        if text or not photos:
            notes.add_information(complaint.id, actor, moment, text)
        for photo in photos:
            attachments.attach(complaint.id, actor, moment, photo.filename, photo.stream)
    except (InvalidInput, InvalidTransition) as error:
        db.session.rollback()
        return _status_page(load_complaint(complaint.id), errors={"information": error.message}, status=422)
    return _done(complaint, _("Terima kasih, informasi Anda sudah kami terima."))


@bp.post("/lacak/<code>/jawab")
@commits
def answer(code: str):
    """Answer the unit's response: satisfied (the complaint closes) or not, with a reason."""
    complaint = _require(code)
    actor, moment = Actor.reporter(complaint.id), now()
    choice = request.form.get("answer")
    reason = (request.form.get("reason") or "").strip()
    try:
        if choice == "puas":
            actions.confirm(complaint.id, actor, moment, inputs.ActionInput(comment=reason or None))
            message = _("Terima kasih. Pengaduan Anda kami nyatakan selesai.")
        elif choice == "belum":
            if not reason:
                raise InvalidInput(_("Tuliskan mengapa Anda belum puas."), {"reason": "required"})
            actions.dispute(complaint.id, actor, moment, inputs.NeedsComment(comment=reason))
            message = _("Jawaban Anda sudah dikirim; pengaduan kembali ke instansi untuk ditindaklanjuti.")
        else:
            raise InvalidInput(_("Pilih apakah Anda puas atau belum puas."), {"answer": "required"})
    except (InvalidInput, InvalidTransition) as error:
        db.session.rollback()
        return _status_page(load_complaint(complaint.id), errors={"answer": error.message}, status=422)
    return _done(complaint, message)


@bp.post("/lacak/<code>/nilai")
@commits
def rate(code: str):
    """Record the reporter's satisfaction rating, once."""
    complaint = _require(code)
    try:
        ratings.rate(complaint.id, Actor.reporter(complaint.id), now(), request.form.get("score"),
                     request.form.get("comment"))
    except (InvalidInput, InvalidTransition) as error:
        db.session.rollback()
        return _status_page(load_complaint(complaint.id), errors={"score": error.message}, status=422)
    return _done(complaint, _("Terima kasih atas penilaian Anda."))


@bp.post("/lacak/keluar")
def track_logout():
    """Close the complaint in this browser (on a shared phone or computer)."""
    session.pop(SESSION_KEY, None)
    return redirect(url_for("public.track_form"), 303)


def _opened(code: str) -> Complaint | None:
    held = session.get(SESSION_KEY) or {}
    if not isinstance(held, dict) or held.get("code") != code.strip().upper():
        return None
    complaint = db.session.get(Complaint, held.get("id"))
    return load_complaint(complaint.id) if complaint is not None and complaint.tracking_code == held["code"] else None


def _require(code: str) -> Complaint:
    complaint = _opened(code)
    if complaint is None:
        raise AuthenticationRequired(_("Buka pengaduan dengan kode pelacakan dan PIN terlebih dahulu."),
                                     {"tracking_code": code})
    return complaint


def _login_page(code: str, error: str | None = None, status: int = 200, headers: dict | None = None):
    return render_template("public/track_login.html", code=code, error=error), status, headers or {}


def _status_page(complaint: Complaint, errors: dict | None = None, status: int = 200):
    actor, moment = Actor.reporter(complaint.id), now()
    view = queries.reporter_view(complaint, actor, moment)
    step = view["next_step"]
    next_text = NEXT_STEP[step["step"]] % {"due": _day(step["due"])} if step else None
    responses = [e for e in view["events"] if e["action"] == Action.respond.value and e["comment"]]
    request_event = next((e for e in reversed(view["events"]) if e["action"] == Action.request_info.value), None)
    rating = ratings.rating_of(complaint.id)
    files = attachments.list_attachments(complaint.id, actor)
    state = complaint.state
    body = render_template(
        "public/track.html", complaint=complaint, view=view, status_text=STATUS[state], next_text=next_text,
        response=responses[-1] if responses else None,
        info_request=request_event if state == State.pending_info.value else None,
        can_add=state not in ("closed", "transferred", "archived"),
        can_answer=Action.confirm.value in view["allowed_actions"],
        can_dispute=Action.dispute.value in view["allowed_actions"],
        can_rate=rating is None and state in ratings.RATEABLE_STATES, rating=rating, files=files,
        event_label=event_label, badges=BADGES, short_status=SHORT_STATUS, errors=errors or {},
        max_photos=current_app.config["ATTACHMENT_MAX_COUNT"])
    return body, status, {"Cache-Control": "no-store"}


def _done(complaint: Complaint, message: str):
    flash(message, "success")
    return redirect(url_for("public.track", code=complaint.tracking_code), 303)


def _photos() -> list[FileStorage]:
    config = current_app.config
    request.max_content_length = config["ATTACHMENT_MAX_COUNT"] * config["ATTACHMENT_MAX_BYTES"] + MULTIPART_OVERHEAD
    return [f for f in request.files.getlist("photos") if f and f.filename]


def _day(value: str) -> str:
    return format_day(value)
