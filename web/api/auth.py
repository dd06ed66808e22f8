"""Who is calling the API: a staff bearer token, or a reporter's tracking code and PIN."""

from flask import request

from workflow.domain.errors import AuthenticationRequired
from workflow.domain.rules import Actor
from workflow.services.people import actor_for, user_for_token


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

