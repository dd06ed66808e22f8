"""The public statistics page: the action plan's indicators and the operational figures, drawn on the server.

Every number comes from the indicator service (``workflow.services.indicators``), the same figures the
leader dashboard and the reports show; this page only chooses which to show and draws them with
``web.charts`` (SVG plus the table of its numbers).
"""

from zoneinfo import ZoneInfo

from flask import render_template, request
from flask_babel import gettext as _

from web.charts import bar_chart, line_chart, number
from web.clock import now
from web.public import bp
from workflow.services.indicators import Period, indicators
from workflow.services.sop import active_sop

TOP_CATEGORIES = 10
MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


@bp.get("/statistik")
def statistics():
    """Show a year's figures against the action plan, per unit (league table), month, category and kecamatan."""
    sop = active_sop()[1]
    moment = now()
    this_year = moment.astimezone(ZoneInfo(sop.sop.timezone)).year
    year = _year(request.args.get("tahun"), this_year)
    period = Period.year(year)
    overall = indicators(period, moment)
    figures = overall["figures"]
    received, resolved = overall["table_3_1"]
    by_opd = indicators(period, moment, "opd")["breakdown"]["rows"]
    by_category = indicators(period, moment, "category")["breakdown"]["rows"]
    by_kecamatan = indicators(period, moment, "kecamatan")["breakdown"]["rows"]
    years = sorted({this_year, year, *(t.year for t in sop.targets), *(y["year"] for y in overall["years"])},
                   reverse=True)
    months = [f"{MONTHS[int(row['month'][5:]) - 1]} {row['month'][:4]}" for row in overall["trend"]]
    charts = {
        "received": bar_chart([(_("Diterima"), received["value"])], title=_("Pengaduan diterima %(year)s dan "
                              "target rencana aksi", year=year), target=received["target"], value_label=_("Jumlah"),
                              label_header=_("Indikator"), decimals=0),
        "resolved": bar_chart([(_("Diselesaikan"), resolved["value"])], title=_("Persentase pengaduan "
                              "diselesaikan %(year)s dan target", year=year), unit="%", max_value=100,
                              target=resolved["target"], value_label=_("Persen"), label_header=_("Indikator")),
        "trend": line_chart([(_("Diterima"), [row["received"] for row in overall["trend"]]),
                             (_("Diselesaikan"), [row["resolved"] for row in overall["trend"]]),
                             (_("Selesai tepat waktu"), [row["resolved_on_time"] for row in overall["trend"]])],
                            labels=months, title=_("Pengaduan per bulan, %(year)s", year=year),
                            label_header=_("Bulan"), decimals=0),
        "categories": bar_chart([(row["label"], row["received"]) for row in by_category[:TOP_CATEGORIES]],
                                title=_("Kategori terbanyak, %(year)s", year=year), value_label=_("Pengaduan"),
                                label_header=_("Kategori"), decimals=0),
        "kecamatan": bar_chart([(row["label"], row["received"]) for row in by_kecamatan],
                               title=_("Pengaduan per kecamatan, %(year)s", year=year), value_label=_("Pengaduan"),
                               label_header=_("Kecamatan"), decimals=0),
    }
    league = sorted(by_opd, key=lambda row: (row["resolution"]["percent_on_time"] is None,
                                             -(row["resolution"]["percent_on_time"] or 0),
                                             -(row["resolved_percent"] or 0), row["label"]))
    return render_template("public/stats.html", year=year, years=years, figures=figures, received=received,
                           resolved=resolved, charts=charts, league=league, number=number, as_of=overall["as_of"])


def _year(raw: str | None, default: int) -> int:
    if raw and raw.isdecimal() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return default
