"""User management for the sysadmin: create, change role or unit, deactivate, reset, unlock, hand over."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.clock import now
from web.staff import actor, bp
from web.staff.forms import AccountForm, HandOverForm, ResetPasswordForm, role_choices
from web.transaction import commits
from workflow.db import db
from workflow.models import Unit
from workflow.services import people


@bp.get("/pengguna")
def users():
    """List staff accounts with filters, and the form for a new one."""
    args = request.args
    active = {"1": True, "0": False}.get(args.get("active", ""))
    found = people.list_users(actor(), role=args.get("role") or None, unit_code=args.get("unit") or None,
                              active=active, q=args.get("q") or None)
    return render_template("staff/users.html", users=found, form=_account_form(), args=args, roles=role_choices(),
                           units=_units(), now=now())


@bp.post("/pengguna")
@commits
def create_user():
    """Create a staff account."""
    form = _account_form()
    user = people.create_account(actor(), now(), form.username.data or "", form.role.data or "",
                                 form.password.data or "", form.unit.data or None, form.full_name.data or "")
    flash(_("Akun %(username)s dibuat.", username=user.username), "success")
    return redirect(url_for("staff.user", user_id=user.id), code=303)


@bp.get("/pengguna/<int:user_id>")
def user(user_id: int):
    """Show one account: its details form, password reset, hand-over and history."""
    found, events = people.account(actor(), user_id)
    form = _account_form(obj=found)
    handover = None
    if found.role == "penghubung" and found.active:
        handover = HandOverForm()
        handover.successor.choices = [(u.username, f"{u.full_name or u.username} ({u.username})")
                                      for u in people.successors(actor(), found.id)]
    return render_template("staff/user.html", user=found, events=events, form=form, reset_form=ResetPasswordForm(),
                           handover_form=handover, now=now())


@bp.post("/pengguna/<int:user_id>")
@commits
def update_user(user_id: int):
    """Change an account's role, unit or name."""
    form = _account_form()
    people.update_account(actor(), user_id, now(), form.role.data or "", form.unit.data or None,
                          form.full_name.data or "")
    flash(_("Perubahan akun disimpan."), "success")
    return redirect(url_for("staff.user", user_id=user_id), code=303)


@bp.post("/pengguna/<int:user_id>/status")
@commits
def set_active(user_id: int):
    """Deactivate or reactivate an account."""
    active = request.form.get("active") == "1"
    people.set_active(actor(), user_id, active, now())
    flash(_("Akun diaktifkan kembali.") if active else _("Akun dinonaktifkan."), "success")
    return redirect(url_for("staff.user", user_id=user_id), code=303)


@bp.post("/pengguna/<int:user_id>/kata-sandi")
@commits
def reset_password(user_id: int):
    """Set a new password for an account and lift its lock."""
    people.reset_password(actor(), user_id, request.form.get("new_password", ""), now())
    flash(_("Kata sandi baru sudah diatur; sampaikan kepada pemilik akun secara langsung."), "success")
    return redirect(url_for("staff.user", user_id=user_id), code=303)


@bp.post("/pengguna/<int:user_id>/buka-kunci")
@commits
def unlock(user_id: int):
    """Lift a sign-in lock."""
    people.unlock(actor(), user_id, now())
    flash(_("Kunci akun dibuka."), "success")
    return redirect(url_for("staff.user", user_id=user_id), code=303)


@bp.post("/pengguna/<int:user_id>/serah-terima")
@commits
def hand_over(user_id: int):
    """Hand a pejabat penghubung's desk to a successor of the same unit."""
    if request.form.get("confirm") != "y":
        flash(_("Centang pernyataan serah terima terlebih dahulu."), "error")
        return redirect(url_for("staff.user", user_id=user_id), code=303)
    successor = people.hand_over(actor(), user_id, request.form.get("successor", ""), now())
    flash(_("Serah terima selesai: %(name)s kini pejabat penghubung.", name=successor.full_name or successor.username),
          "success")
    return redirect(url_for("staff.user", user_id=successor.id), code=303)


def _account_form(obj=None) -> AccountForm:
    form = AccountForm(obj=obj)
    form.role.choices = role_choices()
    form.unit.choices = [("", _("— tanpa unit —"))] + [(u.code, f"{u.name} ({u.code})") for u in _units()]
    if obj is not None and request.method == "GET":
        form.unit.data = obj.unit.code if obj.unit else ""
    return form


def _units() -> list[Unit]:
    return list(db.session.scalars(db.select(Unit).where(Unit.active.is_(True)).order_by(Unit.kind, Unit.name)))
