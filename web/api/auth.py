"""Who is calling the API: a staff bearer token, or a reporter's tracking code and PIN."""

from flask import request

from web.clock import now
from workflow.db import db
from workflow.domain.errors import AuthenticationRequired, DomainError
from workflow.domain.rules import Actor
from workflow.models import Complaint
from workflow.services.people import actor_for, user_for_token
from workflow.services.tracking import reporter_for


def bearer_token() -> str | None:
    """Return the bearer token of the request, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def optional_staff() -> Actor | None:
    """Return the staff actor of the request, or None for a public caller."""
    token = bearer_token()
    return actor_for(user_for_token(token)) if token else None


def staff() -> Actor:
    """Return the staff actor of the request, or raise :class:`AuthenticationRequired`."""
    actor = optional_staff()
    if actor is None:
        raise AuthenticationRequired("Perlu token: kirim header 'Authorization: Bearer <token>'. / A bearer "
                                     "token is required.")
    return actor


def reporter(tracking_code: str) -> tuple[Actor, Complaint]:
    """Return the reporter proved by ``tracking_code`` and ``X-Tracking-Pin``, committing the attempt.

    Call it first in a view: the attempt (a wrong PIN, a lock, a reset) is committed at once, also
    when it fails the request, and nothing else has been done yet that this commit could take along.
    """
    try:
        found = reporter_for(tracking_code, request.headers.get("X-Tracking-Pin"), now())
    except DomainError:
        db.session.commit()
        raise
    db.session.commit()
    return found
