"""The escalation inbox for penghubung, coordinators, inspectors and leaders."""

from flask import jsonify

from web.api import bp
from web.api.auth import staff
from web.clock import now
from workflow.services.inbox import escalation_inbox


@bp.get("/escalations/<kind>")
def escalations(kind: str):
    """List what is at risk, breached, stuck or bounced too often, within the caller's reach."""
    return jsonify(escalation_inbox(staff(), kind, now()))
