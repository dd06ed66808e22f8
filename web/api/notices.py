"""In-app notices for staff: assignments, returns, warnings, breaches and escalations that concern them."""

from flask import jsonify, request

from web.api import bp
from web.api.auth import staff
from web.api.params import whole_number
from web.clock import now
from web.transaction import commits
from workflow.domain.errors import InvalidInput
from workflow.notifications import notices


@bp.get("/notices")
def list_notices():
    """List the caller's notices, unread first, paginated (``?unread=true`` for unread only)."""
    args = request.args
    unread = args.get("unread", "").lower()
    if unread not in ("", "true", "false", "1", "0"):
        raise InvalidInput("Nilai 'unread' tidak valid. / Invalid 'unread'.", {"unread": "true atau/or false"})
    return jsonify(notices.list_notices(staff(), page=whole_number(args.get("page"), "page", 1),
                                        per_page=whole_number(args.get("per_page"), "per_page", 25),
                                        unread_only=unread in ("true", "1")))


@bp.post("/notices/<int:notice_id>/read")
@commits
def read_notice(notice_id: int):
    """Mark one of the caller's notices read."""
    return jsonify(notices.mark_read(staff(), notice_id, now()))

