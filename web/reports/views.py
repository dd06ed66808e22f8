"""The leader dashboard and the monitoring reports (semester, Pasal 8; yearly, Pasal 9) as pages and XLSX."""

from zoneinfo import ZoneInfo

from flask import render_template, request
from flask_babel import gettext as _

from web.charts import bar_chart, line_chart
from web.clock import now
from web.exports import xlsx_response
from web.reports import bp
from web.reports.xlsx import report_sheets
from workflow.domain.errors import InvalidInput
from workflow.services import reports as report_service
from workflow.services.indicators import Period
from workflow.services.sop import active_sop

MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def current_year() -> int:
    """Return this year in the regency's time zone."""
    return now().astimezone(ZoneInfo(active_sop()[1].sop.timezone)).year


@bp.get("/")
def dashboard():
    """Show the leader dashboard: targets and progress, trend, OPDs on time, breaches, bounces, satisfaction."""
    period = Period.parse(request.args.get("period") or current_year())
    data = report_service.dashboard(period, now())
    return render_template("reports/dashboard.html", data=data, period=period, charts=dashboard_charts(data),
                           choices=period_choices())


@bp.get("/daftar")
def reports():
    """List the reports that can be generated: each semester and each year."""
    return render_template("reports/reports.html", choices=period_choices())


@bp.get("/semester/<code>.xlsx")
def semester_xlsx(code: str):
    """Download the semester monitoring report (Pasal 8) as an XLSX workbook."""
    period = _semester(code)
    report = report_service.monitoring_report(period, now())
    return xlsx_response(f"laporan-semester-{period.code}.xlsx", report_sheets(report))


@bp.get("/semester/<code>")
def semester(code: str):
    """Show the semester monitoring report (Pasal 8), ready to print."""
    period = _semester(code)
    report = report_service.monitoring_report(period, now())
    return render_template("reports/report.html", report=report, period=period, charts=report_charts(report))


@bp.get("/tahunan/<int:year>.xlsx")
def annual_xlsx(year: int):
    """Download the yearly report to the Governor and the Minister (Pasal 9) as an XLSX workbook."""
    period = Period.year(year)
    report = report_service.monitoring_report(period, now())
    return xlsx_response(f"laporan-tahunan-{year}.xlsx", report_sheets(report))


@bp.get("/tahunan/<int:year>")
def annual(year: int):
    """Show the yearly report to the Governor and the Minister (Pasal 9), ready to print."""
    period = Period.year(year)
    report = report_service.monitoring_report(period, now())
    return render_template("reports/report.html", report=report, period=period, charts=report_charts(report))


def _semester(code: str) -> Period:
    period = Period.parse(code)
    if period.kind != "semester":
        raise InvalidInput("Laporan semester memerlukan semester. / A semester report needs a semester.",
                           {"period": f"'{code}': contoh / e.g. {period.code}-S1"})
    return period


def period_choices() -> list[Period]:
    """Return the periods people pick from: this year and its semesters, then the years before (back to 2021)."""
    year = current_year()
    choices = []
    for y in range(year, 2020, -1):
        choices += [Period.year(y), Period.semester(y, 2), Period.semester(y, 1)]
    return choices


def month_label(month: str) -> str:
    """Return ``2026-03`` as ``Mar 2026``."""
    year, number = month.split("-")
    return f"{MONTHS[int(number) - 1]} {year}"


def dashboard_charts(data: dict) -> dict:
    """Draw the dashboard's charts, each with its table."""
    received, resolved = data["table_3_1"]
    trend = data["trend"]
    labels = [month_label(m["month"]) for m in trend]
    return {
        "received": bar_chart([(_("Diterima"), received["value"])], title=_("Pengaduan diterima terhadap target"),
                              target=received["target"], value_label=_("Pengaduan"), label_header=_("Indikator"),
                              decimals=0),
        "resolved": bar_chart([(_("Diselesaikan"), resolved["value"])], unit=" %", max_value=100,
                              title=_("Persentase pengaduan diselesaikan terhadap target"),
                              target=resolved["target"], value_label=_("Persentase"), label_header=_("Indikator")),
        "trend": line_chart([(_("Diterima"), [m["received"] for m in trend]),
                             (_("Diselesaikan"), [m["resolved"] for m in trend]),
                             (_("Selesai tepat waktu"), [m["resolved_on_time"] for m in trend])],
                            labels=labels, title=_("Tren bulanan"), label_header=_("Bulan"), decimals=0),
        "years": bar_chart([(str(y["year"]), y["received"]) for y in data["years"]],
                           title=_("Pengaduan diterima per tahun"), value_label=_("Pengaduan"),
                           label_header=_("Tahun"), decimals=0),
        "most": bar_chart([(r["label"], r["percent_on_time"]) for r in data["most_on_time"]], unit=" %",
                          max_value=100, title=_("OPD paling tepat waktu"), value_label=_("Selesai tepat waktu"),
                          label_header=_("OPD")),
        "least": bar_chart([(r["label"], r["percent_on_time"]) for r in data["least_on_time"]], unit=" %",
                           max_value=100, title=_("OPD paling tidak tepat waktu"),
                           value_label=_("Selesai tepat waktu"), label_header=_("OPD")),
    }


def report_charts(report: dict) -> dict:
    """Draw a report's charts, each with its table."""
    trend = report["proses"]["trend"]
    opds = [r for r in report["proses"]["breakdowns"]["opd"] if r["key"] and r["resolved"]]
    return {
        "trend": line_chart([(_("Diterima"), [m["received"] for m in trend]),
                             (_("Diselesaikan"), [m["resolved"] for m in trend])],
                            labels=[month_label(m["month"]) for m in trend], title=_("Tren bulanan"),
                            label_header=_("Bulan"), decimals=0),
        "opd_on_time": bar_chart([(r["label"], r["resolution"]["percent_on_time"]) for r in opds], unit=" %",
                                 max_value=100, title=_("Penyelesaian tepat waktu per OPD"),
                                 value_label=_("Selesai tepat waktu"), label_header=_("OPD")),
    }
