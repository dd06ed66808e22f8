"""The dashboard and the monitoring reports hold the right numbers, on screen data and in the XLSX files."""

import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from tests.conftest import T0, VERIFY
from web.exports import xlsx_bytes
from web.reports.xlsx import report_sheets
from workflow.db import db
from workflow.domain.rules import Actor
from workflow.services import commitments, people, programmes, reports
from workflow.services import self_assessment as sa
from workflow.services.indicators import Period

WITA = ZoneInfo("Asia/Makassar")
NOW = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)  # Wed 1 Jul 2026, 10:00 WITA


def wita(year, month, day, hour=10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=WITA).astimezone(UTC)


@pytest.fixture
def three_opds(app, staff, file, act):
    """PUPRKP resolves two (one late), PDAM one on time, DINKES one late; one complaint stays open."""
    penghubung = {"PUPRKP": staff["penghubung_pupr"].actor, "PDAM": staff["penghubung_pdam"].actor,
                  "DINKES": people.actor_for(people.create_user("penghubung_dinkes", "penghubung",
                                                                "correct-horse-battery", "DINKES"))}
    handler = {"PUPRKP": staff["pupr"].actor, "PDAM": staff["pdam"].actor, "DINKES": staff["dinkes"].actor}

    def resolve(unit, answered_at, klass=VERIFY["class"]):
        complaint_id = file().complaint.id
        act(complaint_id, "verify", staff["admin"].actor, T0, **(VERIFY | {"unit": unit, "class": klass}))
        act(complaint_id, "acknowledge", handler[unit], T0)
        act(complaint_id, "respond", penghubung[unit], answered_at, comment="Selesai.")
        act(complaint_id, "confirm", Actor.reporter(complaint_id), answered_at)
        return complaint_id

    resolve("PUPRKP", wita(2026, 3, 26))
    resolve("PUPRKP", wita(2026, 4, 2), klass="aspirasi")  # 7 working days for a 5-day class: late
    resolve("PDAM", wita(2026, 3, 26))
    resolve("DINKES", wita(2026, 4, 6), klass="permintaan_informasi")  # late too
    file(title="Masih menunggu")
    db.session.commit()


def test_the_dashboard_ranks_opds_by_their_share_resolved_on_time(three_opds):
    data = reports.dashboard(Period.year(2026), NOW)
    assert [(r["key"], r["percent_on_time"]) for r in data["most_on_time"]] == [("PDAM", 100.0), ("PUPRKP", 50.0)]
    assert [(r["key"], r["percent_on_time"]) for r in data["least_on_time"]] == [("DINKES", 0.0)]
    assert data["breaches"]["resolution"] == 2
    assert {row["key"]: row["resolution"] for row in data["breaches_by_opd"]} == {"PUPRKP": 1, "DINKES": 1}
    assert (data["table_3_1"][0]["value"], data["table_3_1"][1]["value"]) == (5, 80.0)
    assert data["satisfaction"] is None


@pytest.mark.parametrize(("count", "top", "bottom"), [(0, 0, 0), (1, 1, 0), (2, 1, 1), (3, 2, 1), (12, 5, 5)])
def test_no_opd_is_both_most_and_least_on_time(count, top, bottom):
    rows = [{"key": f"OPD{i}", "label": f"OPD {i}", "resolved": 2,
             "resolution": {"on_time": i % 3, "percent_on_time": 50.0 * (i % 3)}} for i in range(count)]
    most, least = reports.on_time_ranking(rows)
    assert (len(most), len(least)) == (top, bottom)
    assert not {r["key"] for r in most} & {r["key"] for r in least}


def test_the_semester_report_is_the_coordination_teams_to_the_bupati(three_opds):
    report = reports.monitoring_report(Period.parse("2026-S1"), NOW)
    assert (report["kind"], report["from"], report["to"]) == ("semester", "Tim Koordinasi Penyelenggaraan SP4N",
                                                               ["Bupati Klungkung"])
    assert report["basis"].endswith("Pasal 8")
    assert list(report["lenses"]) == ["kelembagaan", "proses", "dampak"]
    assert report["proses"]["figures"]["resolution"] == {"on_time": 2, "late": 2, "percent_on_time": 50.0,
                                                         "breached": 2}
    assert report["kelembagaan"]["matrix"] is None  # the 2022–2024 plan has no 2026 activities
    assert report["kelembagaan"]["realisation"]["planned"] == 0


def test_the_report_workbook_holds_the_numbers_of_the_report(three_opds):
    report = reports.monitoring_report(Period.year(2026), NOW)
    book = load_workbook(io.BytesIO(xlsx_bytes(report_sheets(report))))
    table = book["Tabel 3.1"]
    assert [c.value for c in table[1]] == ["Indikator", "Satuan", "Capaian", "Target", "Capaian terhadap target (%)",
                                           "Periode sebelumnya"]
    assert [c.value for c in table[2]] == ["Jumlah pengaduan yang diterima", "pengaduan", 5, None, None, None]
    assert table["C3"].value == 80.0
    figures = {row[1]: row[2] for row in book["Indikator"].iter_rows(min_row=2, values_only=True)}
    assert figures["Penyelesaian tepat waktu (%)"] == 50.0
    assert figures["Median hari kerja sampai selesai"] == 4.5  # 2, 2, 7 and 8 working days
    opds = {row[0]: row for row in book["Per OPD"].iter_rows(min_row=2, values_only=True)}
    assert (opds["PDAM"][2], opds["PDAM"][3], opds["PDAM"][10]) == (1, 1, 100.0)
    audit = {row[0]: row for row in book["Audit pelanggaran SLA"].iter_rows(min_row=2, values_only=True)}
    assert set(audit) == {"PUPRKP", "DINKES"} and audit["DINKES"][5] == 1
    months = {row[0]: row[1] for row in book["Tren bulanan"].iter_rows(min_row=2, values_only=True)}
    assert months["2026-03"] == 5 and sum(months.values()) == 5


def test_the_yearly_report_carries_the_plans_realisation_commitments_and_self_assessment(app, staff, three_opds):
    admin = staff["admin"].actor
    programmes.record_realisation("1.1.1", 2024, admin, T0, "done", 100, "Perbup 4/2022.")
    programmes.record_realisation("2.2.1", 2024, admin, T0, "in_progress", 60)
    commitments.create_commitment(staff["coordinator"].actor, T0, "DINKES", 2024, "Jawaban informasi dalam 3 hari",
                                  "Sekretaris Dinas", date(2024, 12, 31), "procedure")
    assessment = sa.open_round(admin, T0, "Penilaian 2024", 2024)
    sa.submit_response(assessment.id, staff["pupr"].actor, T0, dict.fromkeys(range(1, 21), 3))
    sa.close_round(assessment.id, admin, T0)
    db.session.commit()
    report = reports.monitoring_report(Period.year(2024), NOW)
    assert report["to"][0].startswith("Gubernur Bali") and report["basis"].endswith("Pasal 9")
    realisation = report["kelembagaan"]["realisation"]
    assert (realisation["planned"], realisation["done"], realisation["in_progress"]) == (25, 1, 1)
    assert report["dampak"]["commitments"]["commitments"] == 1
    assert report["kelembagaan"]["self_assessment"]["round"]["title"] == "Penilaian 2024"
    book = load_workbook(io.BytesIO(xlsx_bytes(report_sheets(report))))
    plan = {row[0]: row for row in book["Realisasi program"].iter_rows(min_row=2, values_only=True)}
    assert (plan["1.1.1"][3], plan["1.1.1"][4], plan["1.1.1"][5]) == (2024, "Terlaksana", 100)
    assert plan["1.1.2"][4] == "Belum dicatat"
    aspects = list(book["Penilaian mandiri"].iter_rows(min_row=2, values_only=True))
    assert len(aspects) == 5 and {row[1] for row in aspects} == {"3/1"}
    promises = {row[0]: row for row in book["Janji perbaikan"].iter_rows(min_row=2, values_only=True)}
    assert promises["DINKES"][9] == 1  # one commitment
    indicators = list(book["Indikator keberhasilan"].iter_rows(min_row=2, values_only=True))
    assert len(indicators) == 11 and indicators[0][4].endswith("pada periode ini")


def test_formula_like_text_is_neutralised_in_the_workbook(app, staff, three_opds):
    programmes.record_realisation("1.1.1", 2024, staff["admin"].actor, T0, "done", notes="=HYPERLINK(\"x\")")
    db.session.commit()
    book = load_workbook(io.BytesIO(xlsx_bytes(report_sheets(reports.monitoring_report(Period.year(2024), NOW)))))
    notes = {row[0]: row[6] for row in book["Realisasi program"].iter_rows(min_row=2, values_only=True)}
    assert notes["1.1.1"] == "'=HYPERLINK(\"x\")"
