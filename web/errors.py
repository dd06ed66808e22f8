"""Map domain errors to HTTP in one place, with one JSON shape: ``{"error": {code, message, details}}``."""

import time

from flask import Flask, jsonify, request
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from web import limiter
from workflow.db import db
from workflow.domain.errors import (
    AuthenticationRequired,
    DomainError,
    IdempotencyConflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    VersionConflict,
)
from workflow.services.tracking import TrackingLocked

CHAIN_KEY = "uq_complaint_events_complaint_id_seq"
STATUS = {
    InvalidInput: 422,
    IdempotencyConflict: 422,
    AuthenticationRequired: 401,
    PermissionDenied: 403,
    NotFound: 404,
    InvalidTransition: 409,
    VersionConflict: 409,
    TrackingLocked: 429,
}


def status_of(error: DomainError) -> int:
    """Return the HTTP status of a domain error."""
    return next((code for cls, code in STATUS.items() if isinstance(error, cls)), 400)


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    """Return the one error shape every endpoint uses."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


def register(app: Flask) -> None:
    """Install the handlers that turn errors into JSON answers."""

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        db.session.rollback()
        response = jsonify(error_body(error.code, error.message, error.details))
        response.status_code = status_of(error)
        if isinstance(error, AuthenticationRequired) and not request.path.startswith("/api/v1/track/"):
            response.headers["WWW-Authenticate"] = 'Bearer realm="aduflow"'
        if isinstance(error, TrackingLocked):
            response.headers["Retry-After"] = str(error.details["retry_after_seconds"])
        return response

    @app.errorhandler(429)
    def rate_limited(error: HTTPException):
        # Flask-Limiter's refusal: too many requests from one address (its window runs on the real clock).
        current, details = limiter.current_limit, {}
        if current is not None:
            details = {"limit": str(current.limit), "retry_after_seconds": max(1, int(current.reset_at - time.time()))}
        response = jsonify(error_body(
            "rate_limited", "Terlalu banyak permintaan dari alamat ini; tunggu sebentar lalu coba lagi. / Too many "
                            "requests from this address; wait a while and try again.", details))
        response.status_code = 429
        if details:
            response.headers["Retry-After"] = str(details["retry_after_seconds"])
        return response

    @app.errorhandler(IntegrityError)
    def collision(error: IntegrityError):
        db.session.rollback()
        # Two writers appended to one complaint's audit chain at once: the second must retry, like any
        # other concurrent change. Other integrity errors are bugs and stay 500s.
        if CHAIN_KEY not in str(error.orig):
            if app.testing:
                raise error
            app.logger.exception("integrity error")
            return jsonify(error_body("internal_error", "Terjadi kesalahan pada server. / Something went "
                                                        "wrong on the server.")), 500
        conflict = VersionConflict("Pengaduan baru saja diubah orang lain; coba lagi. / The complaint was just "
                                   "changed by someone else; try again.")
        return jsonify(error_body(conflict.code, conflict.message)), 409

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = (error.name or "error").lower().replace(" ", "_")
        response = jsonify(error_body(code, error.description or error.name))
        response.status_code = error.code or 500
        # Keep what the protocol needs from the original answer, e.g. the Allow header of a 405.
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        if app.testing:
            raise error
        app.logger.exception("unhandled error")
        return jsonify(error_body("internal_error", "Terjadi kesalahan pada server. / Something went wrong "
                                                    "on the server.")), 500
