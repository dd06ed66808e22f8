"""Queues, the complaint page and its actions: parse the form, call one service, render or redirect."""

from datetime import date

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from web.clock import now
from web.staff import actor, bp, labels
from web.transaction import commits
from workflow.domain.errors import InvalidInput
from workflow.domain.states import State
from workflow.services import desk
from workflow.services.actions import take_action
from workflow.services.attachments import open_attachment
from workflow.services.sop import active_sop

# What each action form may send on to the service; anything else in the form is ignored.
ACTION_FIELDS = {
    "verify": ("unit", "class", "category", "anonymous", "confidential", "comment"),
    "request_info": ("comment",),
    "supply_info": ("comment",),
    "archive": ("reason", "comment"),
    "mark_duplicate": ("duplicate_of", "comment"),
    "acknowledge": ("comment",),
    "return": ("comment",),
    "redispose": ("unit", "comment"),
    "transfer_out": ("target", "external_ref", "comment"),
    "respond": ("comment",),
    "close": ("comment",),
    "reopen": ("comment",),
    "escalate": ("level", "comment"),
}
YES_NO = ("anonymous", "confidential")


@bp.get("/")
def home():
    """Show the signed-in person's queues with their counts; the first queue opens below."""
    who = actor()
    counts = desk.queue_counts(who, now())
    return render_template("staff/home.html", counts=counts, queues=desk.queues_for(who))


@bp.get("/antrian/<queue>")
def queue(queue: str):
    """List one queue, sorted by deadline by default, with filters and pagination."""
    who = actor()
    filters = desk.queue_filter(who, queue, **_refinements(request.args))
    page = desk.queue_page(who, queue, filters, now())
    # A plain dict: the filter form looks up a key for every option it lists, and a MultiDict raises and
    # catches an exception for each key that is missing (about 160 a page).
    return render_template("staff/queue.html", page=page, queue=queue, queues=desk.queues_for(who),
                           counts=desk.queue_counts(who, now(), shown=page), args=request.args.to_dict(),
                           sop=active_sop()[1], queue_states=desk.QUEUES[queue].states, bulk=_bulk_allowed(queue))


@bp.get("/pengaduan/<int:complaint_id>")
def complaint(complaint_id: int):
    """Show one complaint: facts, clocks, suggestions, timeline and the actions allowed now."""
    page = desk.complaint_page(complaint_id, actor(), now())
    return render_template("staff/complaint.html", c=page, irreversible=labels.IRREVERSIBLE)


@bp.post("/pengaduan/<int:complaint_id>/aksi/<action>")
@commits
def act(complaint_id: int, action: str):
    """Take one lifecycle action from its form; irreversible ones need the confirmation box ticked."""
    if action not in ACTION_FIELDS:
        abort(404)
    if action in labels.IRREVERSIBLE and request.form.get("confirm") != "yes":
        raise InvalidInput(_("Centang konfirmasi untuk tindakan yang tidak dapat dibatalkan."),
                           {"confirm": _("wajib dicentang")})
    complaint = take_action(complaint_id, action, actor(), now(), _action_body(action, request.form))
    flash(_("%(action)s: berhasil. Status sekarang: %(state)s.", action=labels.label(labels.ACTIONS, action),
            state=labels.label(labels.STATES, complaint.state)), "success")
    return redirect(url_for("staff.complaint", complaint_id=complaint_id), code=303)


@bp.post("/pengaduan/<int:complaint_id>/catatan")
@commits
def note(complaint_id: int):
    """Add an internal note (staff only; the reporter never sees it)."""
    desk.add_note(complaint_id, actor(), now(), request.form.get("note", ""))
    flash(_("Catatan internal disimpan."), "success")
    return redirect(url_for("staff.complaint", complaint_id=complaint_id, _anchor="timeline"), code=303)


@bp.post("/pengaduan/<int:complaint_id>/draf")
@commits
def draft(complaint_id: int):
    """Save a drafted follow-up for the pejabat penghubung to post."""
    desk.draft_response(complaint_id, actor(), now(), request.form.get("draft", ""))
    flash(_("Draf tanggapan disimpan; pejabat penghubung akan memeriksa dan mengirimkannya."), "success")
    return redirect(url_for("staff.complaint", complaint_id=complaint_id), code=303)


@bp.post("/antrian/<queue>/sekaligus")
@commits
def bulk(queue: str):
    """Take one action (acknowledge) on the selected complaints of a queue."""
    ids = [int(value) for value in request.form.getlist("complaint_id") if value.isdecimal() and len(value) <= 9]
    result = desk.act_on_many(ids, request.form.get("action", ""), actor(), now())
    if result.done:
        flash(_("%(count)s pengaduan diterima: %(codes)s.", count=len(result.done), codes=", ".join(result.done)),
              "success")
    for code, reason in result.refused.items():
        flash(_("%(code)s tidak dapat diproses: %(reason)s", code=code, reason=reason), "error")
    return redirect(url_for("staff.queue", queue=queue, **_kept_args(request.form)), code=303)


@bp.get("/lampiran/<int:attachment_id>")
def attachment(attachment_id: int):
    """Download an attachment the signed-in person may see."""
    opened = open_attachment(attachment_id, actor())
    response = send_file(opened.path, mimetype=opened.content_type, as_attachment=True,
                         download_name=opened.download_name)
    # As the API sends it: never rendered as a page, never guessed into another type.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _action_body(action: str, form) -> dict:
    body: dict = {}
    for name in ACTION_FIELDS[action]:
        value = form.get(name, "").strip()
        if name in YES_NO:
            if value not in ("yes", "no"):
                raise InvalidInput(_("Putuskan kerahasiaan secara tegas: pilih ya atau tidak."),
                                   {name: _("pilih ya atau tidak")})
            body[name] = value == "yes"
        elif name == "level" and value:
            body[name] = int(value) if value.isdecimal() else value
        elif value:
            body[name] = value
    if form.get("expected_version", "").isdecimal():
        body["expected_version"] = int(form["expected_version"])
    return body


def _refinements(args) -> dict:
    return {
        "states": tuple(s for s in args.getlist("state") if s),
        "unit": args.get("unit") or None,
        "class_code": args.get("class") or None,
        "category": args.get("category") or None,
        "channel": args.get("channel") or None,
        "overdue": True if args.get("overdue") == "1" else None,
        "q": args.get("q") or None,
        "received_from": _day(args.get("from"), "from"),
        "received_to": _day(args.get("to"), "to"),
        "sort": args.get("sort") or None,
        "page": _whole(args.get("page"), "page") or 1,
        "per_page": _whole(args.get("per_page"), "per_page") or None,
    }


def _kept_args(form) -> dict:
    return {key: form.get(f"keep_{key}") for key in ("state", "unit", "class", "category", "channel", "q", "page")
            if form.get(f"keep_{key}")}


def _bulk_allowed(queue: str) -> bool:
    return queue in ("dispositioned", "due_soon", "at_risk") or desk.QUEUES[queue].states == (
        State.dispositioned.value,)


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("Tanggal tidak valid."), {name: _("format TTTT-BB-HH, mis. 2026-03-17")}) from None
    if not 2 <= day.year <= 9998:  # the day is read in local time and stored in UTC: it must stay in the calendar
        raise InvalidInput(_("Tanggal tidak valid."), {name: _("format TTTT-BB-HH, mis. 2026-03-17")})
    return day


def _whole(value: str | None, name: str) -> int | None:
    if not value:
        return None
    # At most nine digits: a larger page would overflow the database's OFFSET.
    if not value.isdecimal() or len(value) > 9:
        raise InvalidInput(_("Harus bilangan bulat."), {name: value[:20]})
    return int(value)
