"""Webhooks that other systems call: Klungkung Mesadu pushes its complaints to ``POST /webhooks/mesadu``.

Answers (always the API's error shape on failure):
201 filed (tracking code and PIN); 200 the same delivery again, or the same Mesadu complaint in a
new event (``Idempotent-Replayed: true``, nothing stored); 400 a body that is not UTF-8 JSON;
401 a missing or wrong signature, or a timestamp more than five minutes from now; 409 an event id
or Mesadu id seen before with other content; 413 a body over 1 MiB; 422 a field that is missing
or wrong (named); 503 no ``MESADU_SECRET`` configured.
"""

import json

from flask import Blueprint, current_app, jsonify, request

from web.clock import now
from web.errors import error_body
from web.transaction import commits
from workflow.connectors import mesadu
from workflow.db import db
from workflow.domain.errors import AuthenticationRequired, DomainError, IdempotencyConflict
from workflow.services import queries

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
MAX_BODY_BYTES = 1024 * 1024


class MalformedBody(DomainError):
    """The body cannot be read at all: not UTF-8, or not JSON."""

    code = "malformed_body"


@bp.post("/mesadu")
@commits
def mesadu_complaint():
    """Receive one signed Mesadu delivery and file its complaint once."""
    secret = current_app.config.get("MESADU_SECRET")
    if not secret:
        return _error(503, "mesadu_not_configured", "Webhook Mesadu belum dikonfigurasi. / The Mesadu webhook "
                                                    "is not configured (MESADU_SECRET).")
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return _error(413, "payload_too_large", "Kiriman terlalu besar. / The delivery is too large.",
                      {"body": f"maksimum / at most {MAX_BODY_BYTES} bytes"})
    body = request.get_data(cache=False)
    moment = now()
    # The signature covers the raw bytes, so it is checked before anything reads them.
    mesadu.authenticate(secret, request.headers.get("X-Mesadu-Timestamp"),
                        request.headers.get("X-Mesadu-Signature"), body, moment)
    received = mesadu.receive(_json(body), body, moment)
    answer = queries.receipt(received.complaint) | {"external_ref": received.complaint.external_ref,
                                                    "pin": received.pin}
    response = jsonify(answer)
    response.status_code = 200 if received.replayed else 201
    if received.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.errorhandler(AuthenticationRequired)
def unauthenticated(error: AuthenticationRequired):
    """Answer 401 (a webhook has no login to offer, so no Bearer challenge)."""
    return _error(401, error.code, error.message, error.details)


@bp.errorhandler(IdempotencyConflict)
def conflict(error: IdempotencyConflict):
    """Answer 409: the event or complaint was received before with other content."""
    return _error(409, error.code, error.message, error.details)


@bp.errorhandler(MalformedBody)
def malformed(error: MalformedBody):
    """Answer 400: the body is not UTF-8 JSON."""
    return _error(400, error.code, error.message, error.details)


def _json(body: bytes) -> object:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedBody("Isi kiriman bukan UTF-8 yang sah. / The body is not valid UTF-8.",
                            {"body": f"byte {error.start} tidak valid / invalid byte at {error.start}"}) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise MalformedBody("Isi kiriman bukan JSON yang sah. / The body is not valid JSON.",
                            {"body": f"baris/line {error.lineno}, kolom/column {error.colno}: {error.msg}"}) from None


def _error(status: int, code: str, message: str, details: dict | None = None):
    db.session.rollback()
    response = jsonify(error_body(code, message, details))
    response.status_code = status
    return response
