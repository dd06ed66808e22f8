"""How complaints are handled, written from the active SOP so the page never disagrees with the engine."""

from zoneinfo import ZoneInfo

from flask import render_template

from web.clock import now
from web.public import bp
from workflow.services.sop import active_sop


@bp.get("/cara-kerja")
def how_it_works():
    """Explain the steps, the working-day limits, the escalation ladder and the Ombudsman route."""
    version, sop = active_sop()
    year = now().astimezone(ZoneInfo(sop.sop.timezone)).year
    regional_days = [day for day in sop.regional_days if day.date.year == year]
    return render_template(
        "public/how.html", sop=sop, version=version.version, clocks=sop.clocks, escalation=sop.escalation,
        classes=sop.classes, adjustments=sop.adjustments, regional_days=regional_days, year=year,
        warning_percent=round(sop.escalation.warning_fraction * 100),
        reminder_percent=round(sop.clocks.info_reminder_fraction * 100),
        level2_multiple=_plain(sop.escalation.level2_multiple))


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)
