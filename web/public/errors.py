"""Errors on the citizen portal are pages in the person's language, never JSON."""

import time
from urllib.parse import urlencode

from flask import redirect, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from web import limiter
from web.errors import status_of
from web.public import bp
from workflow.db import db
from workflow.domain.errors import DomainError


def error_page(status: int, title: str, message: str, retry_after: int | None = None):
    """Render the portal's error page with ``status``."""
    response = render_template("public/error.html", title=title, message=message, retry_after=retry_after)
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    return response, status, headers


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    """Show a domain error (not found, not allowed now, locked) as a page."""
    db.session.rollback()
    retry = error.details.get("retry_after_seconds") if isinstance(error.details, dict) else None
    return error_page(status_of(error), _("Tidak dapat dilanjutkan"), error.message, retry)


@bp.errorhandler(429)
def rate_limited(error: HTTPException):
    """Tell a person who sent too much from one address to wait a while."""
    current = limiter.current_limit
    retry = max(1, int(current.reset_at - time.time())) if current is not None else None
    return error_page(429, _("Terlalu banyak permintaan"),
                      _("Terlalu banyak permintaan dari alamat ini. Tunggu sebentar, lalu coba lagi."), retry)


@bp.errorhandler(CSRFError)
def form_expired(error: CSRFError):
    """Explain a missing or stale form token in plain words."""
    return error_page(400, _("Formulir kedaluwarsa"),
                      _("Formulir ini sudah terlalu lama terbuka atau tidak lengkap. Muat ulang halaman, lalu "
                        "kirim lagi."))


@bp.errorhandler(404)
def not_found(error: HTTPException):
    """Show a page that was not found."""
    return error_page(404, _("Halaman tidak ditemukan"), _("Halaman yang Anda cari tidak ada."))


@bp.errorhandler(413)
def too_large(error: HTTPException):
    """Explain that the files sent were too large."""
    return error_page(413, _("Berkas terlalu besar"),
                      _("Foto yang dikirim terlalu besar. Kirim foto yang lebih kecil atau lebih sedikit."))


@bp.errorhandler(401)
def sign_in_first(error: HTTPException):
    """Send a facilitator who is not signed in to the staff sign-in (``/staf/masuk``), then back."""
    return redirect(f"/staf/masuk?{urlencode({'next': request.full_path.rstrip('?')})}", 303)
