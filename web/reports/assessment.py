"""The self-assessment pages: rounds, the form respondents fill in, results, priorities and the berita acara."""

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.clock import now
from web.exports import xlsx_response
from web.reports import actor, bp
from web.reports.views import current_year
from web.reports.xlsx import berita_acara_sheets
from web.transaction import commits
from workflow.db import db
from workflow.domain.errors import InvalidInput
from workflow.models import AssessmentRound
from workflow.services import self_assessment


@bp.get("/penilaian-mandiri")
def assessments():
    """List the self-assessment rounds; organisers open a new one."""
    return render_template("reports/assessments.html", rounds=self_assessment.list_rounds(), year=current_year(),
                           may_organise=actor().role in self_assessment.ORGANISERS)


@bp.post("/penilaian-mandiri")
@commits
def open_round():
    """Open a round of the self-assessment."""
    form = request.form
    year = form.get("year", "").strip()
    held_on = form.get("held_on", "").strip()
    try:
        held = date.fromisoformat(held_on) if held_on else None
    except ValueError:
        raise InvalidInput("Tanggal tidak valid. / Invalid date.", {"held_on": f"'{held_on}': YYYY-MM-DD"}) from None
    opened = self_assessment.open_round(actor(), now(), form.get("title", ""), int(year) if year.isdecimal() else 0,
                                        form.get("place", ""), held)
    flash(_("Putaran penilaian dibuka."), "success")
    return redirect(url_for("reports.assessment", round_id=opened.id), code=303)


@bp.get("/penilaian-mandiri/<int:round_id>")
def assessment(round_id: int):
    """Show a round: the form for a respondent who has not answered yet, the results, and the priorities."""
    results = self_assessment.results(round_id)
    assessment_round = db.session.get(AssessmentRound, round_id)
    me = actor()
    return render_template("reports/assessment.html", results=results,
                           matrix=self_assessment.statements_of(assessment_round),
                           answered=self_assessment.has_answered(round_id, me.user_id),
                           may_organise=me.role in self_assessment.ORGANISERS)


@bp.post("/penilaian-mandiri/<int:round_id>/jawaban")
@commits
def answer(round_id: int):
    """Record the signed-in respondent's answers."""
    scores = {key.removeprefix("statement_"): value for key, value in request.form.items()
              if key.startswith("statement_")}
    self_assessment.submit_response(round_id, actor(), now(), scores)
    flash(_("Terima kasih, jawaban Anda tersimpan."), "success")
    return redirect(url_for("reports.assessment", round_id=round_id), code=303)


@bp.post("/penilaian-mandiri/<int:round_id>/tutup")
@commits
def close_round(round_id: int):
    """Close a round: the means become final."""
    self_assessment.close_round(round_id, actor(), now(), request.form.get("notes", ""))
    flash(_("Putaran ditutup; tetapkan urutan prioritas dan alasannya."), "success")
    return redirect(url_for("reports.assessment", round_id=round_id), code=303)


@bp.post("/penilaian-mandiri/<int:round_id>/prioritas")
@commits
def set_priorities(round_id: int):
    """Record the priority order (ties ordered by the coordinator) and a reason per aspect."""
    form = request.form
    ranks = {key.removeprefix("rank_"): value.strip() for key, value in form.items() if key.startswith("rank_")}
    problems = {f"rank_{code}": "angka 1, 2, 3 … / a number" for code, value in ranks.items() if not value.isdecimal()}
    if problems:
        raise InvalidInput("Urutan prioritas harus angka. / Priorities must be numbers.", problems)
    order = [code for code, _rank in sorted(ranks.items(), key=lambda item: int(item[1]))]
    if len({int(v) for v in ranks.values()}) != len(ranks):
        raise InvalidInput("Setiap aspek mendapat prioritas yang berbeda. / Each aspect needs its own priority.",
                           {"order": ", ".join(f"{code}={value}" for code, value in ranks.items())})
    reasons = {key.removeprefix("reason_"): value for key, value in form.items() if key.startswith("reason_")}
    self_assessment.set_priorities(round_id, actor(), now(), order, reasons)
    flash(_("Urutan prioritas dan alasannya tersimpan."), "success")
    return redirect(url_for("reports.assessment", round_id=round_id), code=303)


@bp.get("/penilaian-mandiri/<int:round_id>/berita-acara")
def berita_acara(round_id: int):
    """Show the record of the assessment (berita acara), ready to print."""
    return render_template("reports/berita_acara.html", record=self_assessment.berita_acara(round_id))


@bp.get("/penilaian-mandiri/<int:round_id>/berita-acara.xlsx")
def berita_acara_xlsx(round_id: int):
    """Download the berita acara as an XLSX workbook."""
    record = self_assessment.berita_acara(round_id)
    return xlsx_response(f"berita-acara-penilaian-mandiri-{round_id}.xlsx", berita_acara_sheets(record))
