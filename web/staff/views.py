"""What every staff template can use: the navigation, labels, and a refused form's values and problems."""

from flask import request, url_for
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from web.staff import bp, labels
from web.staff.errors import pop_form_state
from workflow.domain.states import Role
from workflow.services import desk
from workflow.services.breaches import AUDITORS


def navigation() -> list[tuple[str, str, str]]:
    """Return the staff menu for the signed-in user: (endpoint, url, words)."""
    if not current_user.is_authenticated:
        return []
    role = Role(current_user.role)
    items = [("staff.home", url_for("staff.home"), _l("Antrian"))]
    if role in AUDITORS:
        items.append(("staff.breaches", url_for("staff.breaches"), _l("Audit pelanggaran SLA")))
    if role is Role.sysadmin:
        items.append(("staff.users", url_for("staff.users"), _l("Pengguna")))
    items.append(("staff.account", url_for("staff.account"), _l("Akun saya")))
    return items


def queue_count(count: int) -> str:
    """Return a queue's count as people read it: past the counting limit, "10.000+"."""
    return f"{format_decimal(desk.COUNT_LIMIT)}+" if count > desk.COUNT_LIMIT else str(count)


@bp.context_processor
def _staff_helpers() -> dict:
    state: dict | None = None

    def form_state() -> dict:
        # Read once per request: the refused form of the previous request, if any.
        nonlocal state
        if state is None:
            state = pop_form_state() if request.blueprint == "staff" else {}
        return state

    def form_value(form_id: str, name: str, default=""):
        found = form_state()
        return found.get("values", {}).get(name, default) if found.get("form") == form_id else default

    def form_error(form_id: str, name: str) -> str:
        found = form_state()
        return found.get("errors", {}).get(name, "") if found.get("form") == form_id else ""

    def form_refused(form_id: str) -> bool:
        return form_state().get("form") == form_id

    return {"staff_nav": navigation, "labels": labels, "label": labels.label, "queue_count": queue_count,
            "form_value": form_value,
            "form_error": form_error, "form_refused": form_refused}
