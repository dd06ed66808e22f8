"""The action-plan pages: the programme matrix (Table 3.2) with realisation and evidence, training
attendance, and the improvement commitments (janji perbaikan layanan)."""

from datetime import date

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from web.clock import now
from web.reports import actor, bp
from web.reports.views import current_year
from web.transaction import commits
from workflow.domain.errors import InvalidInput
from workflow.models import COMMITMENT_STATUSES, FAILURE_KINDS, REALISATION_STATUSES
from workflow.services import commitments, programmes
from workflow.services.indicators import Period
from workflow.services.sop import active_sop


@bp.get("/rencana-aksi", endpoint="programmes")
def programmes_page():
    """Show the action plan as the regulation's table, with each year's realisation and evidence."""
    sop = active_sop()[1]
    years = list(sop.programmes.years)
    matrix = programmes.matrix(years) if years else None
    summaries = [programmes.realisation_summary(year) for year in years]
    return render_template("reports/programmes.html", matrix=matrix, summaries=summaries,
                           statuses=REALISATION_STATUSES, status_labels=programmes.STATUS_LABELS)



@bp.post("/rencana-aksi/<code>/<int:year>")
@commits
def record_realisation(code: str, year: int):
    """Record an activity's realisation in a year."""
    form = request.form
    percent_done = _number(form.get("percent"), "percent")
    programmes.record_realisation(code, year, actor(), now(), form.get("status", ""), percent_done,
                                  form.get("notes", ""))
    flash(_("Realisasi %(code)s tahun %(year)s tersimpan.", code=code, year=year), "success")
    return redirect(url_for("reports.programmes") + f"#kegiatan-{code}", code=303)


@bp.post("/rencana-aksi/<code>/<int:year>/bukti")
@commits
def attach_evidence(code: str, year: int):
    """Attach a file that evidences an activity's realisation in a year."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("Pilih berkas bukti. / Choose an evidence file.", {"file": "wajib diisi / required"})
    programmes.attach_evidence(code, year, actor(), now(), upload.filename, upload.stream)
    flash(_("Bukti untuk %(code)s tahun %(year)s tersimpan.", code=code, year=year), "success")
    return redirect(url_for("reports.programmes") + f"#kegiatan-{code}", code=303)


@bp.get("/bukti/<int:evidence_id>")
def evidence(evidence_id: int):
    """Download an evidence file."""
    opened = programmes.open_evidence(evidence_id, actor())
    return send_file(opened.path, mimetype=opened.evidence.content_type, as_attachment=True,
                     download_name=opened.download_name)


@bp.get("/pelatihan")
def training():
    """Show bimtek attendance and the share of handlers trained; record attendance."""
    year = _number(request.args.get("year"), "year") or current_year()
    period = Period.year(year)  # refuses a year outside the calendar before anything reads it
    sop = active_sop()[1]
    return render_template("reports/training.html", year=year, rows=programmes.attendance_list(year),
                           coverage=programmes.coverage(period),
                           activities=[a for _, _, a in sop.programmes.activities() if a.training])


@bp.post("/pelatihan")
@commits
def record_attendance():
    """Record that a handler attended a bimtek activity."""
    form = request.form
    programmes.record_attendance(form.get("activity", ""), form.get("username", ""),
                                 _day(form.get("attended_on"), "attended_on"), actor(), now(), form.get("note", ""))
    flash(_("Kehadiran tersimpan."), "success")
    return redirect(url_for("reports.training"), code=303)


@bp.get("/janji-perbaikan", endpoint="commitments")
def commitments_page():
    """Show, per OPD, what failed beside its improvement commitments; record and update commitments."""
    period = Period.parse(request.args.get("period") or current_year())
    sop = active_sop()[1]
    return render_template("reports/commitments.html", period=period,
                           summary=commitments.summary(period, now()),
                           items=commitments.list_commitments(now(), year=period.year_number),
                           opds=[u for u in sop.units if u.kind == "opd"], failure_kinds=FAILURE_KINDS,
                           failure_labels=commitments.FAILURE_LABELS, statuses=COMMITMENT_STATUSES,
                           status_labels=commitments.STATUS_LABELS)



@bp.post("/janji-perbaikan")
@commits
def create_commitment():
    """Record an OPD's improvement commitment."""
    form = request.form
    made = commitments.create_commitment(actor(), now(), form.get("unit", ""), _number(form.get("year"), "year") or 0,
                                         form.get("title", ""), form.get("owner", ""),
                                         _day(form.get("due_on"), "due_on"), form.get("failure_kind") or None,
                                         form.get("description", ""))
    flash(_("Janji perbaikan tersimpan."), "success")
    return redirect(url_for("reports.commitments", period=made.year), code=303)


@bp.post("/janji-perbaikan/<int:commitment_id>")
@commits
def update_commitment(commitment_id: int):
    """Move a commitment on: in progress, done, dropped, with a note."""
    form = request.form
    done_on = _day(form.get("done_on"), "done_on") if form.get("done_on") else None
    updated = commitments.update_commitment(commitment_id, actor(), now(), form.get("status", ""),
                                            form.get("progress_note", ""), done_on)
    flash(_("Janji perbaikan diperbarui."), "success")
    return redirect(url_for("reports.commitments", period=updated.year), code=303)


def _number(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    if not value.strip().isdecimal() or len(value.strip()) > 9:
        raise InvalidInput("Harus bilangan bulat. / Must be a whole number.", {name: value[:20]})
    return int(value)


def _day(value: str | None, name: str) -> date:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise InvalidInput("Tanggal tidak valid. / Invalid date.", {name: f"'{value or ''}': YYYY-MM-DD"}) from None
