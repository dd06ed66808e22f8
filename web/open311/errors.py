"""Open311 errors: an ``errors`` list of ``{code, description}`` in the caller's format.

The spec allows three HTTP statuses: 404 for a resource that does not exist, 403 for a missing or
wrong ``api_key``, 400 for everything else. Domain errors are mapped here, not in ``web/errors.py``,
because this blueprint answers in its own shape and, where asked, in XML.
"""

import re

from flask import Blueprint, current_app, request
from werkzeug.exceptions import HTTPException

from web import errors as web_errors
from web.open311.formats import FORMATS, render
from workflow.db import db
from workflow.domain.errors import AuthenticationRequired, DomainError, NotFound, PermissionDenied

# Open311 parameter names for the fields the intake input names, so an error points at what was sent.
FIELD_NAMES = {
    "title": "attribute[title]",
    "description": "description",
    "category": "service_code",
    "location.address": "address_string",
    "location.desa": "attribute[desa]",
    "location.kecamatan": "attribute[kecamatan]",
    "location.lat": "lat",
    "location.lng": "long",
    "reporter.name": "first_name/last_name",
    "reporter.phone": "phone",
    "reporter.email": "email",
}


class Open311Error(Exception):
    """An Open311 error answer: one HTTP status and one or more descriptions."""

    def __init__(self, status: int, *descriptions: str):
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions


def not_found(description: str) -> Open311Error:
    """Return a 404: the named resource does not exist."""
    return Open311Error(404, description)


def bad_request(*descriptions: str) -> Open311Error:
    """Return a 400: the request is malformed or incomplete."""
    return Open311Error(400, *descriptions)


def forbidden(description: str) -> Open311Error:
    """Return a 403: the ``api_key`` is missing, unknown or revoked."""
    return Open311Error(403, description)


def requested_format() -> str:
    """Return the format the caller asked for (the path's suffix); XML, the mandatory one, otherwise."""
    fmt = (request.view_args or {}).get("fmt")
    if fmt is None:
        match = re.search(r"\.([A-Za-z0-9]+)$", request.path)
        fmt = match.group(1) if match else None
    return fmt if fmt in FORMATS else "xml"


def error_response(status: int, descriptions: tuple[str, ...] | list[str], code: int | None = None):
    """Return the errors body in the requested format with ``status``."""
    errors = [{"code": code or status, "description": text} for text in descriptions]
    return render(requested_format(), "errors", errors, status)


def register(bp: Blueprint) -> None:
    """Install the blueprint's handlers: every error becomes an Open311 errors body."""

    @bp.errorhandler(Open311Error)
    def open311_error(error: Open311Error):
        db.session.rollback()
        return error_response(error.status, error.descriptions)

    @bp.errorhandler(DomainError)
    def domain_error(error: DomainError):
        db.session.rollback()
        if isinstance(error, NotFound):
            status = 404
        elif isinstance(error, PermissionDenied | AuthenticationRequired):
            status = 403
        else:
            status = 400
        problems = [f"{FIELD_NAMES.get(field, field)}: {problem}" for field, problem in error.details.items()]
        descriptions = [f"{error.message} {problem}" for problem in problems] or [error.message]
        return error_response(status, descriptions)

    @bp.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # Only 404 and 403 keep their status; the body's code keeps the precise one (413 …).
        status = error.code if error.code in (403, 404) else 400
        return error_response(status, [error.description or error.name], code=error.code)

    @bp.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        if current_app.testing:
            raise error
        current_app.logger.exception("unhandled error in Open311")
        # The spec's "general failure" is a 400; the body's code says it was the server's fault.
        return error_response(400, ["Terjadi kesalahan pada server; coba lagi nanti. / Something went wrong on "
                                    "the server; try again later."], code=500)

    # An unknown path or method under the prefix is refused by routing, before this blueprint is chosen.
    web_errors.answer_routing_errors(f"{bp.url_prefix}/", routing_error)


def routing_error(error: HTTPException):
    """Answer a path or method Open311 does not offer in its errors shape; a 405 keeps its status and ``Allow``."""
    status = error.code if error.code in (403, 404, 405) else 400
    response = error_response(status, [error.description or error.name], code=error.code)
    for name, value in error.get_headers():
        if name.lower() == "allow":
            response.headers[name] = value
    return response
