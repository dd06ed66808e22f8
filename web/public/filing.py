"""The home page, the public filing form, the receipt, and filing by a village facilitator."""

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import FileStorage, MultiDict

from web import limiter, login_manager
from web.clock import now
from web.public import bp
from web.public.errors import error_page
from web.public.forms import FilingForm, FormRefused, check_token, choices, new_token, read_complaint
from web.transaction import commits
from workflow.db import db
from workflow.domain.errors import InvalidInput
from workflow.domain.rules import Actor
from workflow.domain.states import Role
from workflow.services import attachments, queries
from workflow.services.facilitation import CONSENT_METHODS, Consent, file_for_citizen
from workflow.services.intake import Filed, file_complaint
from workflow.services.people import actor_for
from workflow.services.sop import active_sop

# Room for the multipart framing around the largest set of photos accepted.
MULTIPART_OVERHEAD = 256 * 1024


def _filing_rate() -> str:
    return current_app.config["PUBLIC_FILING_RATE_LIMIT"]


@bp.get("/")
def home():
    """Show what a citizen can do here: file, track, see how complaints are handled, see the figures."""
    return render_template("public/home.html")


@bp.route("/adukan", methods=["GET", "POST"])
@limiter.limit(_filing_rate, methods=["POST"])
@commits
def file():
    """Show the filing form, or file the complaint and show the receipt with the tracking code and PIN."""
    sop = active_sop()[1]
    moment = now()
    if request.method == "GET":
        return _form_page(FilingForm(MultiDict()), moment)
    values = request.form
    try:
        key = check_token(values, moment)
    except FormRefused as refused:
        return _form_page(FilingForm(values), moment, refused.message, status=422)
    photos = _photos()
    new, form = read_complaint(values, sop, moment, photos=len(photos))
    if new is None:
        return _form_page(form, moment, status=422)
    try:
        filed = file_complaint(new, None, moment, idempotency_key=key)
        if not filed.replayed:
            _attach(filed, photos, Actor.reporter(filed.complaint.id), moment)
    except InvalidInput as error:
        db.session.rollback()
        form.errors.update(_form_errors(error))
        return _form_page(form, moment, status=422)
    return _receipt(filed)


@bp.route("/fasilitator/adukan", methods=["GET", "POST"])
@commits
def facilitate():
    """Let a signed-in village facilitator file for a citizen, with the citizen's recorded consent."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role != Role.facilitator.value:
        return error_page(403, _("Khusus fasilitator desa"),
                          _("Halaman ini untuk fasilitator desa yang mengajukan pengaduan atas nama warga."))
    sop = active_sop()[1]
    moment = now()
    if request.method == "GET":
        return _form_page(FilingForm(MultiDict({"needs_assistance": "1"})), moment, facilitator=True)
    values = request.form
    photos = _photos()
    new, form = read_complaint(values, sop, moment, photos=len(photos), channel="walk_in")
    consent = Consent(values.get("consent") in ("1", "on"), values.get("consent_method") or None,
                      values.get("consent_note"))
    if new is None:
        return _form_page(form, moment, status=422, facilitator=True)
    actor = actor_for(current_user)
    try:
        filed = file_for_citizen(new, consent, actor, moment)
        _attach(filed, photos, actor, moment)
    except InvalidInput as error:
        db.session.rollback()
        form.errors.update(_form_errors(error))
        return _form_page(form, moment, status=422, facilitator=True)
    return _receipt(filed, facilitator=True)


def _form_page(form: FilingForm, moment, refusal: str | None = None, status: int = 200, facilitator: bool = False):
    sop = active_sop()[1]
    config = current_app.config
    body = render_template(
        "public/file.html", form=form, values=form.values, errors=form.errors, refusal=refusal,
        choices=choices(sop), token=new_token(moment), facilitator=facilitator, consent_methods=CONSENT_METHODS,
        max_photos=config["ATTACHMENT_MAX_COUNT"], max_photo_mb=config["ATTACHMENT_MAX_BYTES"] // (1024 * 1024))
    return body, status


def _photos() -> list[FileStorage]:
    config = current_app.config
    request.max_content_length = config["ATTACHMENT_MAX_COUNT"] * config["ATTACHMENT_MAX_BYTES"] + MULTIPART_OVERHEAD
    return [f for f in request.files.getlist("photos") if f and f.filename]


def _attach(filed: Filed, photos: list[FileStorage], actor: Actor, moment) -> None:
    for photo in photos:
        attachments.attach(filed.complaint.id, actor, moment, photo.filename, photo.stream)


def _form_errors(error: InvalidInput) -> dict[str, str]:
    fields = {"file": "photos", "consent": "consent", "consent_method": "consent_method",
              "consent_note": "consent_note", "category": "category"}
    found = {fields.get(key, key): str(problem) for key, problem in error.details.items()}
    return found or {"form": error.message}


def _receipt(filed: Filed, facilitator: bool = False):
    complaint = filed.complaint
    sop = active_sop()[1]
    category = sop.category(complaint.category_code)
    body = render_template("public/receipt.html", complaint=complaint, pin=filed.pin,
                           receipt=queries.receipt(complaint), category=category, facilitator=facilitator,
                           notify=current_app.config.get("NOTIFICATIONS_ENABLED", False),
                           track_url=_public_url(url_for("public.track_form")))
    # The PIN is on this page only: no cache, no shared proxy and no back button may keep it.
    return body, 201, {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _public_url(path: str) -> str:
    # The address people type from the paper receipt: the public one, not the one behind the proxy.
    base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url
    return base.rstrip("/") + path
