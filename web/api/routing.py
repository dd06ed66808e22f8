"""API views for routing: suggestions for one complaint (routing and duplicates) and the routing-quality report."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from flask import jsonify, request

from web.api import bp
from web.api.auth import staff
from web.clock import now
from workflow.domain.errors import InvalidInput
from workflow.domain.rules import Actor
from workflow.services.duplicates import suggest_duplicates
from workflow.services.routing import routing_quality, suggest_routing
from workflow.services.sop import active_sop


@bp.get("/complaints/<int:complaint_id>/suggestions")
def suggestions(complaint_id: int):
    """Suggest where a complaint should go and which complaints it likely repeats."""
    actor, moment = staff(), now()
    return jsonify({"routing": [s.as_dict() for s in suggest_routing(complaint_id, actor, moment)],
                    "duplicates": possible_duplicates(complaint_id, actor, moment)})


@bp.get("/reports/routing-quality")
def routing_quality_report():
    """Report, per category and unit, the dispositions and the share never returned (regency roles)."""
    actor, moment = staff(), now()
    tz = ZoneInfo(active_sop()[1].sop.timezone)
    since = _moment(request.args.get("since"), "since", tz) or datetime(moment.astimezone(tz).year, 1, 1, tzinfo=tz)
    until = _moment(request.args.get("until"), "until", tz) or moment
    return jsonify(routing_quality(min(until, moment), since, actor))


def possible_duplicates(complaint_id: int, actor: Actor, moment: datetime) -> list[dict]:
    """Return the likely duplicates of a complaint as JSON data, as ``actor`` may see them."""
    return [match.as_dict() for match in suggest_duplicates(complaint_id, actor, moment)]


def _moment(value: str | None, name: str, tz: ZoneInfo) -> datetime | None:
    # A date means the start of that day in the regency's time zone; a time without an offset is local too.
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"'{name}' bukan tanggal ISO-8601. / '{name}' is not an ISO-8601 date.",
                           {name: "contoh / e.g. 2026-01-01 atau/or 2026-01-01T00:00:00+08:00"}) from None
    if len(value) == 10:
        parsed = datetime.combine(parsed.date(), time(), tz)
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    try:
        parsed.astimezone(UTC)  # stored in UTC: the first or last day of the calendar may not fit
    except OverflowError:
        raise InvalidInput(f"'{name}' di luar rentang tanggal. / '{name}' is out of range.",
                           {name: "contoh / e.g. 2026-01-01"}) from None
    return parsed
