"""The public list of non-confidential complaints, one complaint's public page, and the open data (CSV)."""

from flask import render_template, request

from web.exports import csv_response
from web.public import bp
from web.public.texts import ARCHIVE_REASONS, BADGES, SHORT_STATUS, event_label
from workflow.domain.errors import InvalidInput
from workflow.services import publication
from workflow.services.sop import active_sop

STATUS_FILTERS = {"terbuka": "open", "selesai": "closed"}


@bp.get("/pengaduan")
def complaints():
    """List published complaints with their status, newest first, without the reporter or internal notes."""
    page = request.args.get("halaman", "1")
    if not page.isdecimal() or len(page) > 9:
        raise InvalidInput("Halaman tidak valid. / Invalid page.", {"halaman": page[:20]})
    category = request.args.get("kategori") or None
    status = request.args.get("status") or None
    sop = active_sop()[1]
    if category is not None and sop.category(category) is None:
        category = None
    found = publication.public_list(int(page), category, STATUS_FILTERS.get(status or ""))
    return render_template("public/list.html", found=found, categories=sop.categories, category=category,
                           status=status if status in STATUS_FILTERS else None, short_status=SHORT_STATUS,
                           badges=BADGES)


@bp.get("/pengaduan/<code>")
def complaint(code: str):
    """Show one published complaint: status, public steps and the unit's public answers."""
    view = publication.public_complaint(code)
    return render_template("public/complaint.html", view=view, short_status=SHORT_STATUS, badges=BADGES,
                           event_label=event_label, archive_reasons=ARCHIVE_REASONS)


@bp.get("/data-terbuka/pengaduan.csv")
def open_data():
    """Download every published complaint as de-identified open data (CSV, formula-safe)."""
    return csv_response("pengaduan-klungkung.csv", publication.OPEN_DATA_COLUMNS, publication.open_data_rows())
