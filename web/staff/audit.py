"""The SLA-breach audit for supervisors, on screen and as CSV or XLSX."""

from datetime import date

from flask import render_template, request
from flask_babel import gettext as _

from web.clock import now
from web.exports import Sheet, csv_response, xlsx_response
from web.staff import actor, bp, labels
from workflow.domain.errors import InvalidInput
from workflow.services.breaches import ADMINISTRATOR, BreachFilter, breach_audit, default_period
from workflow.services.desk import form_choices
from workflow.services.sop import active_sop

SHOWN = 200  # rows on screen; the exports hold them all


@bp.get("/pelanggaran")
def breaches():
    """Show breaches by period, unit, class and clock, with the per-OPD league table."""
    filters = _filters(request.args)
    audit = breach_audit(actor(), filters, now())
    return render_template("staff/breaches.html", audit=audit, filters=filters, shown=SHOWN,
                           choices=form_choices(), sop=active_sop()[1], administrator=ADMINISTRATOR,
                           args=request.args)


@bp.get("/pelanggaran.csv")
def breaches_csv():
    """Download the breaches of the chosen period as CSV (no hidden identities; formulas neutralised)."""
    filters = _filters(request.args)
    audit = breach_audit(actor(), filters, now())
    return csv_response(_filename(filters, "csv"), _breach_header(), _breach_rows(audit))


@bp.get("/pelanggaran.xlsx")
def breaches_xlsx():
    """Download the breaches and the league table as an XLSX workbook."""
    filters = _filters(request.args)
    audit = breach_audit(actor(), filters, now())
    return xlsx_response(_filename(filters, "xlsx"), [
        Sheet(_("Pelanggaran"), _breach_header(), _breach_rows(audit)),
        Sheet(_("Peringkat OPD"), _league_header(), _league_rows(audit)),
    ])


def _filters(args) -> BreachFilter:
    default = default_period(now())
    return BreachFilter(start=_day(args.get("from"), "from") or default.start,
                        end=_day(args.get("to"), "to") or default.end,
                        unit=args.get("unit") or None, class_code=args.get("class") or None,
                        clock=args.get("clock") or None)


def _filename(filters: BreachFilter, extension: str) -> str:
    return f"pelanggaran-sla-{filters.start.isoformat()}-{filters.end.isoformat()}.{extension}"


def _breach_header() -> list[str]:
    return [_("Kode pelacakan"), _("Judul"), _("Kelas"), _("Kategori"), _("Jam layanan"), _("Batas (hari kerja)"),
            _("Batas waktu"), _("Berakhir"), _("Hari kerja terlambat"), _("Pemegang saat terlambat"), _("OPD"),
            _("Eskalasi yang ditimbulkan"), _("Status sekarang"), _("Tingkat eskalasi"), _("Pelapor")]


def _breach_rows(audit: dict):
    for row in audit["breaches"]:
        escalations = "; ".join(f"{_('tingkat')} {e['level']} ({e['at'][:16].replace('T', ' ')})"
                                for e in row["escalations"])
        yield [row["tracking_code"], row["title"], row["class"], row["category"],
               labels.label(labels.CLOCKS, row["clock"]), row["limit_working_days"], _stamp(row["due_at"]),
               _stamp(row["ended_at"]) or _("masih berjalan"), row["working_days_late"],
               _holder(row["holder"], row["holder_name"]), row["opd"], escalations,
               labels.label(labels.STATES, row["state"]), row["escalation_level"],
               row["reporter"] or _("(dirahasiakan atau tidak ada)")]


def _league_header() -> list[str]:
    return [_("Peringkat"), _("Unit"), _("Nama"), _("Dinilai"), _("Tepat waktu"), _("Terlambat"),
            _("Persen tepat waktu"), _("Rata-rata hari kerja terlambat"), _("Terlambat terlama (hari kerja)")]


def _league_rows(audit: dict):
    for entry in audit["league"]:
        yield [entry["rank"], entry["unit"], _holder(entry["unit"], entry["name"]), entry["assessed"],
               entry["on_time"], entry["breached"], entry["on_time_pct"], entry["mean_days_late"], entry["worst"]]


def _holder(code: str, name: str | None) -> str:
    if code == ADMINISTRATOR:
        return _("Administrator (verifikasi/redisposisi)")
    return name or code


def _stamp(value: str | None) -> str:
    # Local wall-clock time as the auditors read it (the offset is the regency's, +08:00).
    return value[:16].replace("T", " ") if value else ""


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(_("Tanggal tidak valid."), {name: _("format TTTT-BB-HH, mis. 2026-03-17")}) from None
