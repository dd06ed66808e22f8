"""Domain errors on staff pages, in one place: a form gets its problems back, a page an error page.

A refused form (wrong input, a state that moved on, someone else's change) goes back where it came
from (303) with a flash message, the problems per field and what the person typed, so nothing is
lost; a page that cannot be shown renders ``staff/error.html`` with the error's HTTP status.
"""

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from web.errors import status_of
from web.i18n import safe_next
from web.staff import bp
from workflow.db import db
from workflow.domain.errors import (
    AuthenticationRequired,
    DomainError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    VersionConflict,
)

FORM_STATE = "staff_form"
# Fields never written back into a form, not even into the session cookie.
SECRET_FIELDS = frozenset({"csrf_token", "password", "current_password", "new_password", "new_password_again"})


def headline(error: DomainError) -> str:
    """Return the sentence a person reads for a domain error."""
    if isinstance(error, VersionConflict):
        return _("Pengaduan ini baru saja diubah orang lain. Halaman sudah dimuat ulang; periksa lalu coba lagi.")
    if isinstance(error, InvalidTransition):
        return _("Tindakan ini tidak dapat dilakukan pada status pengaduan sekarang.") + " " + error.message
    if isinstance(error, PermissionDenied):
        return _("Anda tidak berwenang melakukan tindakan ini.")
    if isinstance(error, NotFound):
        return _("Data yang dicari tidak ditemukan atau di luar wewenang Anda.")
    if isinstance(error, InvalidInput):
        return _("Periksa isian yang ditandai.") + " " + error.message
    return error.message


def back_to() -> str:
    """Return where a refused form goes back to: its ``back`` field, else the page it came from."""
    target = request.form.get("back") or request.referrer or ""
    if target.startswith(request.host_url):
        target = "/" + target.removeprefix(request.host_url)
    return safe_next(target, url_for("staff.home"))


def pop_form_state() -> dict:
    """Return (and forget) the refused form's values and problems, for the page to show again."""
    return session.pop(FORM_STATE, None) or {}


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    """Send a refused form back with its problems; show other failures on an error page."""
    db.session.rollback()
    if isinstance(error, AuthenticationRequired):
        return redirect(url_for("staff.login"))
    if request.method == "POST":
        problems = "; ".join(f"{field}: {problem}" for field, problem in (error.details or {}).items()) \
            if isinstance(error, InvalidInput) else ""
        flash(f"{headline(error)} ({problems})" if problems else headline(error), "error")
        session[FORM_STATE] = {
            "form": request.form.get("form_id", ""),
            "values": {k: v for k, v in request.form.items() if k not in SECRET_FIELDS},
            "errors": {str(k): str(v) for k, v in (error.details or {}).items()} if isinstance(error, InvalidInput)
            else {},
        }
        return redirect(back_to(), code=303)
    return render_template("staff/error.html", message=headline(error), details=error.details
                           if isinstance(error, InvalidInput) else {}), status_of(error)


@bp.errorhandler(CSRFError)
def csrf_error(error: CSRFError):
    """Explain an expired or missing form token instead of a bare 400."""
    return render_template("staff/error.html", message=_(
        "Formulir ini sudah kedaluwarsa atau tidak lengkap. Muat ulang halaman lalu kirim lagi."), details={}), 400


@bp.errorhandler(429)
def too_many(error: HTTPException):
    """Tell a person who tried too often from one address to wait."""
    return render_template("staff/error.html", message=_(
        "Terlalu banyak percobaan dari alamat ini. Tunggu sebentar lalu coba lagi."), details={}), 429


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Show HTTP errors of staff pages as pages, not JSON."""
    return render_template("staff/error.html", message=error.description or error.name, details={}), error.code
