"""API views: parse the request, call one service, shape the answer."""

from contextlib import suppress

from flask import current_app, jsonify, request

from web import limiter, tracking_rate
from web.api import bp
from web.api.auth import bearer_token, optional_staff, reporter, staff
from web.api.openapi import document
from web.api.params import whole_number
from web.api.routing import possible_duplicates
from web.clock import now
from web.transaction import commits
from workflow.domain.errors import InvalidInput, NotFound
from workflow.services import queries
from workflow.services.actions import take_action
from workflow.services.inputs import NewComplaint, parse
from workflow.services.intake import file_complaint
from workflow.services.sop import active_sop

REPORTER_ACTIONS = ("supply_info", "confirm", "dispute")


@bp.post("/complaints")
# Public filing is limited per address like the portal's form (PUBLIC_FILING_RATE_LIMIT); staff with a token file
# offline complaints in bulk.
@limiter.limit(lambda: current_app.config["PUBLIC_FILING_RATE_LIMIT"], exempt_when=lambda: bearer_token() is not None)
@commits
def create_complaint():
    """File a complaint (public for the web channel; staff may set channel and received_at)."""
    new = parse(NewComplaint, request.get_json(silent=True))
    filed = file_complaint(new, optional_staff(), now(), request.headers.get("Idempotency-Key"))
    body = queries.receipt(filed.complaint) | {"pin": filed.pin}
    if (actor := optional_staff()) is not None:  # staff see likely duplicates; a citizen never sees others' complaints
        # A unit files for the administrator and may not see the complaint yet: it is filed all the same.
        with suppress(NotFound):
            body["possible_duplicates"] = possible_duplicates(filed.complaint.id, actor, now())
    return jsonify(body), 200 if filed.replayed else 201


@bp.get("/complaints")
def list_complaints():
    """List the complaints the caller may see, filtered and paginated."""
    args = request.args
    filters = queries.ComplaintFilter(
        states=tuple(s for s in args.get("state", "").split(",") if s),
        unit=args.get("unit") or None,
        overdue=_flag(args.get("overdue")),
        q=args.get("q") or None,
        page=whole_number(args.get("page"), "page", 1),
        per_page=whole_number(args.get("per_page"), "per_page", 25),
    )
    return jsonify(queries.list_complaints(staff(), filters, now()))


@bp.get("/complaints/<int:complaint_id>")
def show_complaint(complaint_id: int):
    """Show one complaint with deadlines, clocks, the audit trail and the caller's allowed actions."""
    return jsonify(queries.complaint_detail(complaint_id, staff(), now()))


@bp.post("/complaints/<int:complaint_id>/actions/<action>")
@commits
def act(complaint_id: int, action: str):
    """Take a lifecycle action on a complaint."""
    actor, moment = staff(), now()
    complaint = take_action(complaint_id, action, actor, moment, request.get_json(silent=True))
    return jsonify(queries.describe(complaint, actor, moment))


@bp.get("/track/<tracking_code>")
@tracking_rate
def track(tracking_code: str):
    """Show a reporter their complaint (tracking code in the path, PIN in ``X-Tracking-Pin``)."""
    actor, complaint = reporter(tracking_code)
    return jsonify(queries.reporter_view(complaint, actor, now()))


@bp.post("/track/<tracking_code>/actions/<action>")
@tracking_rate
@commits
def track_act(tracking_code: str, action: str):
    """Let a reporter supply information, confirm, or dispute."""
    actor, complaint = reporter(tracking_code)
    if action not in REPORTER_ACTIONS:
        raise InvalidInput("Aksi ini bukan untuk pelapor. / Not a reporter action.",
                           {"action": f"pilih / choose: {', '.join(REPORTER_ACTIONS)}"})
    moment = now()
    complaint = take_action(complaint.id, action, actor, moment, request.get_json(silent=True))
    return jsonify(queries.reporter_view(complaint, actor, moment))


@bp.get("/sop")
def sop():
    """Return the active SOP: classes, categories and units."""
    version, active = active_sop()
    return jsonify({
        "code": active.code, "version": version.version, "timezone": active.sop.timezone,
        "clocks": active.clocks.model_dump(),
        "classes": [{"code": c.code, "name": c.name, "name_en": c.name_en,
                     "resolution_working_days": c.resolution_working_days} for c in active.classes],
        "categories": [{"code": c.code, "name": c.name, "name_en": c.name_en, "group": c.group,
                        "default_unit": c.default_unit, "default_class": c.default_class}
                       for c in active.categories],
        "units": [{"code": u.code, "name": u.name, "parent": u.parent, "kind": u.kind} for u in active.units],
    })


@bp.get("/openapi.json")
def openapi():
    """Return the OpenAPI 3.1 document of this API."""
    return jsonify(document())


def _flag(value: str | None) -> bool | None:
    if value in (None, ""):
        return None
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise InvalidInput("Nilai 'overdue' tidak valid. / Invalid 'overdue'.", {"overdue": "true atau/or false"})

