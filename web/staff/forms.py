"""Staff forms (Flask-WTF): labels in the catalog, CSRF on every one."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from web.staff import labels
from workflow.domain.states import STAFF_ROLES


class LoginForm(FlaskForm):
    """Sign in with a username and password."""

    username = StringField(_l("Nama pengguna"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(), Length(max=200)])


class PasswordForm(FlaskForm):
    """Change one's own password."""

    current_password = PasswordField(_l("Kata sandi sekarang"), validators=[DataRequired()])
    new_password = PasswordField(_l("Kata sandi baru"), validators=[DataRequired(), Length(min=10, max=200)])
    new_password_again = PasswordField(_l("Ulangi kata sandi baru"), validators=[
        DataRequired(), EqualTo("new_password", message=_l("Kedua kata sandi baru tidak sama."))])


def role_choices() -> list[tuple[str, str]]:
    """Return the staff roles as select options."""
    order = ["admin_instansi", "unit_admin", "penghubung", "coordinator", "inspector", "leader", "facilitator",
             "sysadmin"]
    return [(code, labels.label(labels.ROLES, code)) for code in order if code in {r.value for r in STAFF_ROLES}]


class AccountForm(FlaskForm):
    """Create or change a staff account (sysadmin)."""

    username = StringField(_l("Nama pengguna"), validators=[DataRequired(), Length(max=64)])
    full_name = StringField(_l("Nama lengkap"), validators=[Length(max=200)])
    role = SelectField(_l("Peran"), validators=[DataRequired()])
    unit = SelectField(_l("Unit"))
    password = PasswordField(_l("Kata sandi awal"), validators=[Length(max=200)])


class ResetPasswordForm(FlaskForm):
    """Set a new password for another account (sysadmin)."""

    new_password = PasswordField(_l("Kata sandi baru"), validators=[DataRequired(), Length(min=10, max=200)])


class HandOverForm(FlaskForm):
    """Hand a pejabat penghubung's desk to a successor."""

    successor = SelectField(_l("Pengganti"), validators=[DataRequired()])
    confirm = BooleanField(_l("Saya mengerti: akun lama dinonaktifkan dan pengganti menjadi pejabat penghubung."),
                           validators=[DataRequired()])
