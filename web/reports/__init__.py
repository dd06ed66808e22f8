"""The leader dashboard, the monitoring reports and the action-plan pages (``/laporan``).

Every page needs a signed-in staff account (the staff app's sign-in). Reading is open to all staff:
the figures are aggregates, the same the public statistics page shows. What a person may change
(realisations, commitments, training, self-assessment rounds) is decided by the services.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from web.charts import number
from web.errors import status_of
from web.i18n import safe_next
from web.security import private
from web.staff import actor as staff_actor
from workflow.db import db
from workflow.domain.errors import (
    AuthenticationRequired,
    DomainError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
)
from workflow.services.commitments import FAILURE_LABELS

bp = Blueprint("reports", __name__, url_prefix="/laporan", static_folder="static",
               static_url_path="/static")

@bp.before_request
def _require_sign_in():
    if request.endpoint == "reports.static" or current_user.is_authenticated:
        return None
    return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))


# Reports hold personal data: never cached (the app-wide headers of web/security.py do the rest).
bp.after_request(private)
# The signed-in user as an acting Actor: the same as on the staff pages.
actor = staff_actor


def navigation() -> list[tuple[str, str]]:
    """Return the reports menu: (endpoint, words)."""
    return [("reports.dashboard", _("Dasbor")), ("reports.reports", _("Laporan")),
            ("reports.programmes", _("Rencana aksi")), ("reports.commitments", _("Janji perbaikan")),
            ("reports.training", _("Pelatihan")), ("reports.assessments", _("Penilaian mandiri"))]


def percent_text(value) -> str:
    """Return a percentage as people read it (``71,4 %``), or a dash."""
    return "–" if value is None else f"{number(value)} %"


@bp.context_processor
def _helpers() -> dict:
    return {"reports_nav": navigation, "num": number, "pct": percent_text, "failure_labels": FAILURE_LABELS}


def headline(error: DomainError) -> str:
    """Return the sentence a person reads for a domain error."""
    if isinstance(error, PermissionDenied):
        return _("Anda tidak berwenang melakukan tindakan ini.") + " " + error.message
    if isinstance(error, NotFound):
        return _("Data yang dicari tidak ditemukan.") + " " + error.message
    if isinstance(error, InvalidInput | InvalidTransition):
        return _("Periksa isian.") + " " + error.message
    return error.message


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    """Send a refused form back with its problems in a message; show other failures on an error page."""
    db.session.rollback()
    if isinstance(error, AuthenticationRequired):
        return redirect(url_for("staff.login"))
    details = error.details if isinstance(error, InvalidInput) else {}
    if request.method == "POST":
        problems = "; ".join(f"{field}: {problem}" for field, problem in details.items())
        flash(headline(error) + (f" ({problems})" if problems else ""), "error")
        back = request.form.get("back") or request.referrer or ""
        if back.startswith(request.host_url):
            back = "/" + back.removeprefix(request.host_url)
        return redirect(safe_next(back, url_for("reports.dashboard")), code=303)
    return render_template("reports/error.html", message=headline(error), details=details), status_of(error)


@bp.errorhandler(CSRFError)
def csrf_error(error: CSRFError):
    """Explain an expired or missing form token instead of a bare 400."""
    return render_template("reports/error.html", message=_(
        "Formulir ini sudah kedaluwarsa atau tidak lengkap. Muat ulang halaman lalu kirim lagi."), details={}), 400


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Show HTTP errors of these pages as pages, not JSON."""
    return render_template("reports/error.html", message=error.description or error.name, details={}), error.code


from web.reports import assessment, plan, views  # noqa: E402,F401  (routes)
