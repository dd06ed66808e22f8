"""Sign-in, sign-out, one's own password, and a penghubung handing their desk to a successor."""

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from web import limiter
from web.clock import now
from web.i18n import safe_next
from web.staff import actor, bp
from web.staff.forms import HandOverForm, LoginForm, PasswordForm
from web.transaction import commits
from workflow.db import db
from workflow.domain.errors import AuthenticationRequired
from workflow.domain.states import Role
from workflow.services import people


@bp.route("/masuk", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    """Sign a staff member in; wrong passwords count towards a temporary lock."""
    if current_user.is_authenticated:
        return redirect(url_for("staff.home"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("staff/login.html", form=form), 422 if request.method == "POST" else 200
    try:
        user = people.sign_in(form.username.data, form.password.data, now())
    except AuthenticationRequired as refused:
        db.session.commit()  # the failed attempt (and any lock) is stored although the sign-in fails
        flash(_locked_message(refused) if isinstance(refused, people.AccountLocked)
              else _("Nama pengguna atau kata sandi salah."), "error")
        return render_template("staff/login.html", form=form), 401
    db.session.commit()
    target = safe_next(request.args.get("next"), url_for("staff.home"))
    session.clear()  # a fresh session (and CSRF token) for the signed-in person
    login_user(user)
    return redirect(target)


@bp.post("/keluar")
def logout():
    """Sign out (a POST with the form's CSRF token, so no other site can sign anyone out)."""
    logout_user()
    session.clear()
    flash(_("Anda sudah keluar."), "success")
    return redirect(url_for("staff.login"))


@bp.get("/akun")
def account():
    """Show one's own account: the password form and, for a penghubung, the hand-over form."""
    handover = None
    if current_user.role == Role.penghubung.value:
        handover = HandOverForm()
        handover.successor.choices = _successor_choices(current_user.id)
    return render_template("staff/account.html", password_form=PasswordForm(), handover_form=handover)


@bp.post("/akun/kata-sandi")
@commits
def change_password():
    """Change one's own password; other sessions of this account end."""
    form = PasswordForm()
    if not form.validate_on_submit():
        return render_template("staff/account.html", password_form=form, handover_form=None), 422
    user = people.change_password(current_user.id, form.current_password.data, form.new_password.data, now())
    login_user(user)  # this session continues under the new password's stamp
    flash(_("Kata sandi sudah diganti."), "success")
    return redirect(url_for("staff.account"), code=303)


@bp.post("/akun/serah-terima")
@commits
def hand_over_own():
    """Hand one's own penghubung desk to a colleague of the same unit, then sign out."""
    form = HandOverForm()
    form.successor.choices = _successor_choices(current_user.id)
    if not form.validate_on_submit():
        flash(_("Pilih pengganti dan centang pernyataan serah terima."), "error")
        return redirect(url_for("staff.account"), code=303)
    successor = people.hand_over(actor(), current_user.id, form.successor.data, now())
    logout_user()
    session.clear()
    flash(_("Serah terima selesai: %(name)s kini pejabat penghubung. Akun Anda dinonaktifkan.",
            name=successor.full_name or successor.username), "success")
    return redirect(url_for("staff.login"), code=303)


def _successor_choices(user_id: int) -> list[tuple[str, str]]:
    return [(u.username, f"{u.full_name or u.username} ({u.username})") for u in people.successors(actor(), user_id)]


def _locked_message(error: AuthenticationRequired) -> str:
    minutes = max(1, round(error.details.get("retry_after_seconds", 60) / 60))
    return _("Akun dikunci sementara karena kata sandi salah berulang kali. Coba lagi dalam %(minutes)s menit "
             "atau minta sysadmin membukanya.", minutes=minutes)
