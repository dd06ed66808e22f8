"""Map domain errors to HTTP in one place, with one JSON shape: ``{"error": {code, message, details}}``."""

import time
from collections.abc import Callable
from contextlib import suppress

from flask import Flask, Response, jsonify, request
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

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
from workflow.services.inputs import nul_refused
from workflow.services.tracking import TrackingLocked

CHAIN_KEY = "uq_complaint_events_complaint_id_seq"
DATABASE_UNAVAILABLE = ("Layanan sementara tidak dapat menjangkau basis datanya; coba lagi sebentar lagi. / "
                        "The service cannot reach its database right now; try again in a moment.")
RETRY_AFTER_SECONDS = 5
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


# Routing refuses a request (404, 405) before any blueprint is chosen, so a blueprint that answers in its own
# error shape names its path prefix here to answer those too: prefix → handler.
ROUTING_ANSWERS: dict[str, Callable[[HTTPException], Response]] = {}


def answer_routing_errors(prefix: str, handler: Callable[[HTTPException], Response]) -> None:
    """Let ``handler`` answer the routing errors (404, 405) of every path under ``prefix``."""
    ROUTING_ANSWERS[prefix] = handler


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

    @app.errorhandler(DataError)
    def unstorable(error: DataError):
        db.session.rollback()
        # PostgreSQL refuses U+0000 in text. The edge refuses it first (web/security.py); text that came another
        # way (a multipart form field) is refused here, in the answer shape of the surface it came through.
        if "NUL" in str(error.orig):
            return app.handle_user_exception(nul_refused(["-"]))
        raise error

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError):
        # The database is restarting or unreachable (the pool reconnects once it is back), or cancelled the
        # statement: the client should ask again soon (with the same Idempotency-Key), as a 503 says; not a bug.
        with suppress(Exception):  # the connection may be gone already
            db.session.rollback()
        app.logger.warning("database unavailable: %s", str(error.orig).strip())
        return app.handle_user_exception(ServiceUnavailable(DATABASE_UNAVAILABLE, retry_after=RETRY_AFTER_SECONDS))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if request.blueprint is None:
            handler = next((h for prefix, h in ROUTING_ANSWERS.items() if request.path.startswith(prefix)), None)
            if handler is not None:
                return handler(error)
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
