"""The action plan's indicators as JSON: ``GET /api/v1/indicators?year=2026`` or ``?period=2026-S1``."""

from zoneinfo import ZoneInfo

from flask import jsonify, request

from web.api import bp
from web.api.auth import staff
from web.clock import now
from workflow.domain.errors import InvalidInput
from workflow.services.indicators import Period, indicators
from workflow.services.sop import active_sop


@bp.get("/indicators")
def indicator_set():
    """Return the Table 3.1 indicators and the operational figures of a year or semester (staff)."""
    staff()
    moment = now()
    year, period = request.args.get("year"), request.args.get("period")
    if year and period:
        raise InvalidInput("Pilih tahun atau periode, bukan keduanya. / Give a year or a period, not both.",
                           {"period": "hapus salah satu / drop one", "year": year})
    if year and not (year.isdecimal() and len(year) == 4):
        raise InvalidInput("Tahun tidak valid. / Invalid year.", {"year": f"'{year}': contoh / e.g. 2026"})
    if year or period:
        chosen = Period.parse(year or period)
    else:
        chosen = Period.year(moment.astimezone(ZoneInfo(active_sop()[1].sop.timezone)).year)
    return jsonify(indicators(chosen, moment, request.args.get("breakdown") or None))
