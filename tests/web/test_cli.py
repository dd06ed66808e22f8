"""The command line (``flask --app wsgi …``): SOP checks and loads, staff accounts and tokens, demo data."""

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sop import sop_path
from tests.conftest import T0, VERIFY
from web.demo import DEMO_USERS, SCENARIOS, password_of
from workflow.db import db
from workflow.domain.states import ClockKind, State
from workflow.models import Complaint, SopVersion, User
from workflow.services import people


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def run(*args: str, input: str | None = None):
        result = runner.invoke(args=list(args), input=input)
        db.session.expire_all()
        return result

    return run


@pytest.fixture
def sop_copy(tmp_path) -> Path:
    """A copy of the Klungkung SOP folder to break or change."""
    folder = tmp_path / "klungkung-copy"
    shutil.copytree(sop_path("klungkung"), folder)
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def api_get(app, path: str, token: str):
    # A request of its own app context, as on a real server (see tests/web/test_api.py).
    db.session.commit()
    with app.app_context():
        return app.test_client().get(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"})


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- sop check / sop load -----------------------------------------------------------------------


def test_sop_check_accepts_the_klungkung_sop(cli):
    result = cli("sop", "check", "klungkung")
    assert result.exit_code == 0, result.output
    assert "2026.1" in result.output and "klungkung" in result.output


def test_sop_check_names_the_file_the_key_and_the_problem(cli, sop_copy):
    edit(sop_copy / "categories.toml", 'default_unit = "PUPRKP"', 'default_unit = "PUPR-TYPO"')
    result = cli("sop", "check", str(sop_copy))
    assert result.exit_code != 0
    assert "categories.toml" in result.output
    assert "categories[0].default_unit" in result.output
    assert "unknown unit 'PUPR-TYPO'" in result.output
    assert "Traceback" not in result.output


def test_sop_check_refuses_a_missing_folder(cli, tmp_path):
    result = cli("sop", "check", str(tmp_path / "nowhere"))
    assert result.exit_code != 0 and "folder not found" in result.output


def test_loading_the_same_sop_twice_changes_nothing(cli):
    for _ in range(2):
        result = cli("sop", "load", "klungkung")
        assert result.exit_code == 0, result.output
        assert "klungkung 2026.1" in result.output
    assert count(SopVersion) == 1
    assert db.session.scalar(select(SopVersion.active)) is True


def test_changed_content_under_the_same_version_is_refused(cli, sop_copy):
    edit(sop_copy / "sop.toml", "max_bounces = 3", "max_bounces = 4")
    result = cli("sop", "load", str(sop_copy))
    assert result.exit_code != 0
    assert "2026.1" in result.output and "isi berbeda" in result.output and "versi" in result.output
    assert "Traceback" not in result.output
    assert db.session.scalars(select(SopVersion.version)).all() == ["2026.1"]


def test_loading_a_broken_sop_is_refused_and_the_active_one_stays(cli, sop_copy):
    edit(sop_copy / "categories.toml", 'default_unit = "PUPRKP"', 'default_unit = "PUPR-TYPO"')
    edit(sop_copy / "sop.toml", 'version = "2026.1"', 'version = "2026.2"')
    result = cli("sop", "load", str(sop_copy))
    assert result.exit_code != 0 and "categories.toml" in result.output
    assert db.session.scalars(select(SopVersion.version).filter_by(active=True)).all() == ["2026.1"]


def test_a_new_sop_version_applies_only_to_complaints_verified_after_it(cli, file, act, staff, sop_copy):
    before, after = file().complaint.id, file().complaint.id
    act(before, "verify", staff["admin"].actor, T0, **VERIFY)
    edit(sop_copy / "sop.toml", 'version = "2026.1"', 'version = "2026.2"')
    edit(sop_copy / "sop.toml", 'name_en = "Complaint without a supervisory element"\nresolution_working_days = 14',
         'name_en = "Complaint without a supervisory element"\nresolution_working_days = 20')
    result = cli("sop", "load", str(sop_copy))
    assert result.exit_code == 0, result.output
    assert "2026.2" in result.output
    assert db.session.scalars(select(SopVersion.version).filter_by(active=True)).all() == ["2026.2"]
    act(after, "verify", staff["admin"].actor, T0, **VERIFY)

    def pinned(complaint_id: int) -> tuple[str, int]:
        complaint = db.session.get(Complaint, complaint_id)
        return complaint.sop_version.version, complaint.clock(ClockKind.resolution).limit_working_days

    assert pinned(before) == ("2026.1", 14)
    assert pinned(after) == ("2026.2", 20)
    # Loading the first version again makes it active without touching either complaint's pin.
    assert cli("sop", "load", "klungkung").exit_code == 0
    assert count(SopVersion) == 2
    assert (pinned(before), pinned(after)) == (("2026.1", 14), ("2026.2", 20))


# --- users --------------------------------------------------------------------------------------


def test_users_create_reads_the_password_from_stdin(cli):
    result = cli("users", "create", "ani", "--role", "unit_admin", "--unit", "PUPRKP", input="a-long-password\n")
    assert result.exit_code == 0, result.output
    assert "a-long-password" not in result.output
    user = db.session.scalar(select(User).filter_by(username="ani"))
    assert (user.role, user.unit.code, user.active) == ("unit_admin", "PUPRKP", True)
    assert "a-long-password" not in user.password_hash
    assert people.check_password("ani", "a-long-password").id == user.id


def test_a_unit_role_without_a_unit_is_refused_naming_the_unit(cli):
    result = cli("users", "create", "ani", "--role", "unit_admin", input="a-long-password\n")
    assert result.exit_code != 0
    assert "unit" in result.output and "--unit" in result.output
    assert count(User) == 0


def test_a_short_password_is_refused(cli):
    result = cli("users", "create", "ani", "--role", "unit_admin", "--unit", "PUPRKP", input="pendek\n")
    assert result.exit_code != 0
    assert "password" in result.output and "10" in result.output
    assert count(User) == 0


def test_an_unknown_unit_or_role_is_refused(cli):
    result = cli("users", "create", "ani", "--role", "unit_admin", "--unit", "NOPE", input="a-long-password\n")
    assert result.exit_code != 0 and "NOPE" in result.output
    result = cli("users", "create", "ani", "--role", "reporter", input="a-long-password\n")
    assert result.exit_code != 0 and "role" in result.output
    assert count(User) == 0


def test_a_taken_username_is_refused(cli):
    assert cli("users", "create", "ani", "--role", "inspector", input="a-long-password\n").exit_code == 0
    result = cli("users", "create", "ani", "--role", "leader", input="another-long-password\n")
    assert result.exit_code != 0 and "ani" in result.output
    assert db.session.scalar(select(User.role).filter_by(username="ani")) == "inspector"


def test_users_token_prints_a_working_bearer_token(app, cli, file):
    filed = file()
    assert cli("users", "create", "ani", "--role", "unit_admin", "--unit", "PUPRKP",
               input="a-long-password\n").exit_code == 0
    result = cli("users", "token", "ani")
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token and " " not in token
    response = api_get(app, "/complaints", token)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["total"] == 0  # PUPRKP does not hold the received complaint
    assert api_get(app, f"/complaints/{filed.complaint.id}", token).status_code == 404
    assert api_get(app, "/complaints", token + "x").status_code == 401


def test_users_token_for_an_unknown_user_fails(cli):
    result = cli("users", "token", "nobody")
    assert result.exit_code != 0 and "nobody" in result.output


# --- demo seed ----------------------------------------------------------------------------------


def test_demo_seed_fills_every_state_and_prints_credentials(app, cli):
    result = cli("demo", "seed")
    assert result.exit_code == 0, result.output
    states = set(db.session.scalars(select(Complaint.state).distinct()))
    assert states == {s.value for s in State}
    assert count(Complaint) == len(SCENARIOS)
    for username, role, unit, _ in DEMO_USERS:
        line = next((row for row in result.output.splitlines() if row.split()[:1] == [username]), None)
        assert line is not None, username
        assert password_of(username) in line and role in line and unit in line
        assert people.check_password(username, password_of(username)).role == role
    admin_line = next(row for row in result.output.splitlines() if row.split()[:1] == ["admin"])
    response = api_get(app, "/complaints?per_page=100", admin_line.split()[-1])
    assert response.status_code == 200 and response.get_json()["total"] == len(SCENARIOS)


def test_demo_complaints_can_be_tracked_with_the_printed_code_and_pin(app, cli):
    result = cli("demo", "seed")
    assert result.exit_code == 0, result.output
    rows = [row.split() for row in result.output.splitlines() if row.split()[1:2] == ["PIN"]]
    assert len(rows) == len(SCENARIOS)
    code, _, pin, state = rows[0]
    db.session.commit()
    with app.app_context():
        response = app.test_client().get(f"/api/v1/track/{code}", headers={"X-Tracking-Pin": pin})
    assert response.status_code == 200 and response.get_json()["state"] == state


def test_demo_seed_twice_does_not_duplicate(cli):
    assert cli("demo", "seed").exit_code == 0
    complaints, users = count(Complaint), count(User)
    result = cli("demo", "seed")
    assert result.exit_code == 0, result.output
    assert (count(Complaint), count(User), count(SopVersion)) == (complaints, users, 1)
    assert "already present" in result.output
