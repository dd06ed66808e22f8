"""The action-plan tracker (Table 3.2) as SOP data, its realisation and evidence, and Table 3.3's coverage."""

import io
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from sop import load_sop, sop_path
from sop.loader import SopError
from tests.conftest import T0, VERIFY
from tests.unit.test_sop_loader import edit, find, problems
from workflow.db import db
from workflow.domain.errors import InvalidInput, NotFound, PermissionDenied
from workflow.models import ProgrammeUpdate
from workflow.services import people, programmes
from workflow.services.indicators import Period

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def folder(tmp_path) -> Path:
    """Return a writable copy of the Klungkung SOP."""
    return Path(shutil.copytree(sop_path("klungkung"), tmp_path / "klungkung"))


@pytest.fixture
def evidence_dir(app, tmp_path):
    """Store evidence files in this test's own folder."""
    app.config["ATTACHMENT_DIR"] = str(tmp_path / "files")
    return tmp_path / "files"


# --- the plan as SOP data -------------------------------------------------------------------------

def test_the_shipped_plan_has_table_3_2s_groups_programmes_and_activities():
    plan = load_sop(sop_path("klungkung")).programmes
    assert plan.years == (2022, 2023, 2024)
    assert [g.code for g in plan.groups] == ["1", "2", "3", "4"]
    assert len(plan.activities()) == 25
    assert plan.activity("1.1.5").units == ("BAPERLITBANG", "BPKPD", "BKPSDM")
    assert [a.code for _, _, a in plan.activities() if a.training] == ["2.2.1", "2.2.2", "2.2.3"]
    assert {i.group for i in plan.success_indicators} == {1, 2, 3, 4, 5}


def test_the_shipped_matrix_has_twenty_statements_in_five_aspects():
    matrix = load_sop(sop_path("klungkung")).self_assessment
    assert [(a.code, len(a.statements)) for a in matrix.aspects] == [
        ("kebijakan", 6), ("sdm", 5), ("data_aplikasi", 3), ("partisipasi", 3), ("koordinasi_monev", 3)]
    assert [s.number for _, s in matrix.statements()] == list(range(1, 21))


def test_an_activity_of_an_unknown_unit_or_out_of_place_is_named(folder):
    edit(folder / "programmes.toml", r'^units = \["ORG"\]', 'units = ["BAGIAN-ANTAH"]')
    edit(folder / "programmes.toml", r'^code = "1.1.2"', 'code = "2.1.9"')
    errors = problems(folder)
    assert "unknown unit 'BAGIAN-ANTAH'" in find(errors, "programmes.toml",
                                                 "programmes.groups[0].programmes[0].activities[0].units").problem
    assert "must start with" in find(errors, "programmes.toml",
                                     "programmes.groups[0].programmes[0].activities[1].code").problem


def test_statements_out_of_order_are_named(folder):
    edit(folder / "self_assessment.toml", r"^number = 20", "number = 21")
    errors: list[SopError] = problems(folder)
    assert "numbered 1..20" in find(errors, "self_assessment.toml", "self_assessment.aspects").problem


def test_an_sop_without_a_plan_still_loads(folder):
    (folder / "programmes.toml").unlink()
    (folder / "self_assessment.toml").unlink()
    sop = load_sop(folder)
    assert sop.programmes.groups == () and sop.self_assessment.aspects == ()


# --- realisation ------------------------------------------------------------------------------------

def test_realisation_is_recorded_per_activity_and_year_with_who_and_every_change(app, staff):
    admin = staff["admin"].actor
    programmes.record_realisation("1.1.1", 2022, admin, T0, "in_progress", 50, "Rancangan dibahas.")
    programmes.record_realisation("1.1.1", 2022, admin, T0, "done", 100, "Perbup 4/2022 ditetapkan 2 Feb 2022.")
    db.session.commit()
    cell = next(a for p in programmes.matrix()["groups"][0]["programmes"] for a in p["activities"]
                if a["code"] == "1.1.1")["years"][2022]
    assert cell["planned"] is True
    assert cell["realisation"]["evidence"] == []
    assert (cell["realisation"]["status"], cell["realisation"]["percent"]) == ("done", 100)
    assert cell["realisation"]["updated_by"] == "admin"
    history = db.session.scalars(select(ProgrammeUpdate.status).order_by(ProgrammeUpdate.id)).all()
    assert history == ["in_progress", "done"]


def test_the_summary_of_a_year_counts_what_is_done(app, staff):
    admin = staff["admin"].actor
    programmes.record_realisation("1.1.1", 2022, admin, T0, "done")
    programmes.record_realisation("1.1.2", 2022, admin, T0, "not_done", notes="Ditunda ke 2023.")
    summary = programmes.realisation_summary(2022)
    assert (summary["planned"], summary["done"], summary["not_done"], summary["not_recorded"]) == (25, 1, 1, 23)
    assert summary["percent_done"] == 4.0


def test_bad_realisations_are_refused_naming_the_field(app, staff):
    admin = staff["admin"].actor
    with pytest.raises(InvalidInput) as error:
        programmes.record_realisation("1.1.1", 2026, admin, T0, "finished", 120)
    assert set(error.value.details) == {"year", "status", "percent"}
    with pytest.raises(NotFound):
        programmes.record_realisation("9.9.9", 2022, admin, T0, "done")


def test_a_responsible_units_penghubung_records_its_own_activities_only(app, staff):
    diskominfo = people.create_user("kominfo", "penghubung", "correct-horse-battery", "DISKOMINFO")
    actor = people.actor_for(diskominfo)
    programmes.record_realisation("3.3.2", 2023, actor, T0, "in_progress", notes="API Mesadu diuji.")
    with pytest.raises(PermissionDenied):
        programmes.record_realisation("1.3.1", 2023, actor, T0, "done")  # the Inspektorat's
    with pytest.raises(PermissionDenied):
        programmes.record_realisation("3.3.2", 2023, staff["leader"].actor, T0, "done")


def test_evidence_is_stored_with_its_hash_and_opened_by_staff(app, staff, evidence_dir):
    admin = staff["admin"].actor
    with pytest.raises(InvalidInput):
        programmes.attach_evidence("1.1.1", 2022, admin, T0, "perbup.pdf", io.BytesIO(PDF))  # nothing recorded yet
    programmes.record_realisation("1.1.1", 2022, admin, T0, "done")
    evidence = programmes.attach_evidence("1.1.1", 2022, admin, T0, "perbup-4-2022.pdf", io.BytesIO(PDF))
    db.session.commit()
    opened = programmes.open_evidence(evidence.id, staff["leader"].actor)
    assert opened.path.read_bytes() == PDF and opened.download_name == "perbup-4-2022.pdf"
    assert opened.path.parent == evidence_dir
    with pytest.raises(InvalidInput, match="ditolak"):
        programmes.attach_evidence("1.1.1", 2022, admin, T0, "foto.jpg", io.BytesIO(b"MZ\x90\x00program"))


# --- Table 3.3 coverage --------------------------------------------------------------------------------

def test_a_uppp_counts_as_active_when_its_handler_acted_in_the_period(app, staff, file, act):
    pkm = people.create_user("pkm-klk1", "unit_admin", "correct-horse-battery", "PKM-KLK1")
    people.create_user("pkm-klk2", "unit_admin", "correct-horse-battery", "PKM-KLK2")
    complaint = file().complaint.id
    act(complaint, "verify", staff["admin"].actor, T0, **(VERIFY | {"unit": "PKM-KLK1"}))
    act(complaint, "acknowledge", people.actor_for(pkm), T0)
    found = programmes.coverage(Period.year(2026))
    rows = {r["code"]: r for r in found["uppp"]["rows"]}
    assert rows["PKM-KLK1"] == {"code": "PKM-KLK1", "name": rows["PKM-KLK1"]["name"], "handlers": 1,
                                "active": True, "trained": 0}
    assert (rows["PKM-KLK2"]["handlers"], rows["PKM-KLK2"]["active"]) == (1, False)
    assert (rows["MPP"]["handlers"], rows["MPP"]["active"]) == (0, False)
    assert (found["uppp"]["total"], found["uppp"]["with_handler"], found["uppp"]["active"]) == (13, 2, 1)
    assert found["uppp"]["percent_active"] == 7.7
    assert programmes.coverage(Period.year(2025))["uppp"]["active"] == 0


def test_handlers_trained_are_those_who_attended_a_bimtek_by_the_periods_end(app, staff):
    admin = staff["admin"].actor
    programmes.record_attendance("2.2.1", "pupr", date(2026, 2, 10), admin, T0, "Bimtek angkatan I")
    programmes.record_attendance("2.2.3", "pupr", date(2026, 2, 11), admin, T0)
    programmes.record_attendance("2.2.2", "admin", date(2026, 3, 2), admin, T0)
    first_half = programmes.coverage(Period.parse("2026-S1"))
    handlers = first_half["handlers"]
    # Handlers: admin, pupr, penghubung_pupr, pdam, penghubung_pdam, dinkes — two of six trained.
    assert (handlers["total"], handlers["trained"], handlers["percent_trained"]) == (6, 2, 33.3)
    assert {t["activity"]: (t["attendances"], t["people"]) for t in first_half["training_in_period"]} == {
        "2.2.1": (1, 1), "2.2.2": (1, 1), "2.2.3": (1, 1)}
    assert programmes.coverage(Period.year(2025))["handlers"]["trained"] == 0


def test_attendance_only_for_bimtek_activities_handlers_and_real_days(app, staff):
    admin = staff["admin"].actor
    with pytest.raises(InvalidInput) as error:
        programmes.record_attendance("1.1.1", "leader", date(2027, 1, 1), admin, T0)
    assert set(error.value.details) == {"activity", "user", "attended_on"}
    with pytest.raises(PermissionDenied):
        programmes.record_attendance("2.2.1", "pupr", date(2026, 2, 10), staff["pupr"].actor, T0)
    once = programmes.record_attendance("2.2.1", "pupr", date(2026, 2, 10), admin, T0)
    assert programmes.record_attendance("2.2.1", "pupr", date(2026, 2, 10), admin, T0).id == once.id
    assert [a["user"] for a in programmes.attendance_list(2026)] == ["pupr"]
