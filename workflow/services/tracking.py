"""Reporters prove who they are with a tracking code and PIN, and act on their own complaint."""

import hmac

from sqlalchemy import select

from workflow.db import db
from workflow.domain.errors import AuthenticationRequired
from workflow.domain.rules import Actor
from workflow.models import Complaint
from workflow.services.intake import pin_hash


def reporter_for(tracking_code: str, pin: str | None) -> tuple[Actor, Complaint]:
    """Return the reporter actor and their complaint, or raise :class:`AuthenticationRequired`."""
    code = (tracking_code or "").strip().upper()
    complaint = db.session.scalar(select(Complaint).filter_by(tracking_code=code))
    # One answer for an unknown code and a wrong PIN, so codes cannot be probed.
    if complaint is None or not pin or not hmac.compare_digest(complaint.pin_hash, pin_hash(code, pin.strip())):
        raise AuthenticationRequired("Kode pelacakan atau PIN salah. / Wrong tracking code or PIN.",
                                     {"tracking_code": code})
    return Actor.reporter(complaint.id), complaint
