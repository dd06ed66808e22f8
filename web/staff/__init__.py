"""The staff web app (``/staf``): sign-in, queues, the complaint page, the SLA-breach audit, user management.

Every page needs a signed-in, active staff account; what each person sees and may do is decided by
the services (role and unit scope), the screens only leave out what the services would refuse.
"""

from flask import Blueprint, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from web.security import private
from workflow.domain.rules import Actor

bp = Blueprint("staff", __name__, url_prefix="/staf")

OPEN_ENDPOINTS = frozenset({"staff.login"})


@bp.record_once
def _setup(state) -> None:
    from web import login_manager

    login_manager.login_view = "staff.login"
    login_manager.login_message = _l("Silakan masuk terlebih dahulu.")
    login_manager.login_message_category = "info"


@bp.before_request
def _require_sign_in():
    if request.endpoint in OPEN_ENDPOINTS or current_user.is_authenticated:
        return None
    return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))


# Pages that contain personal data are never cached; the app-wide headers (web/security.py) do the rest.
bp.after_request(private)


def actor() -> Actor:
    """Return the signed-in user as an acting :class:`Actor` (once per request)."""
    if "staff_actor" not in g:
        from workflow.services.people import actor_for

        g.staff_actor = actor_for(current_user._get_current_object())
    return g.staff_actor


from web.staff import account, audit, complaints, errors, users, views  # noqa: E402,F401  (routes and handlers)
