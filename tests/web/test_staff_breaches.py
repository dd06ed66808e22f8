"""The SLA-breach audit: what counts as a breach, who held it, the escalation it caused, the league, exports."""

import csv
import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from tests.conftest import T0, VERIFY
from tests.web.test_staff_pages import Browser
from web.exports import Sheet, csv_bytes, neutralise, xlsx_bytes
from workflow.db import db
from workflow.domain.errors import InvalidInput, PermissionDenied
from workflow.services.breaches import ADMINISTRATOR, BreachFilter, breach_audit
from workflow.services.sla import sweep

YEAR = BreachFilter(start=date(2026, 1, 1), end=date(2026, 3, 17))


def test_an_unverified_complaint_past_three_working_days_is_the_administrators_breach(staff, file):
    late = file(at=T0 - timedelta(days=14))
    audit = breach_audit(staff["inspector"].actor, YEAR, T0)
    [row] = audit["breaches"]
    assert (row["tracking_code"], row["clock"], row["holder"]) == (late.complaint.tracking_code, "verification",
                                                                    ADMINISTRATOR)
    assert row["still_open"] and row["escalations"] == []  # the sweep has not run yet
    # Received Tue 3 Mar: due Fri 6 Mar; working days after it up to Tue 17 Mar, minus Nyepi leave 18–20 Mar: 7.
    assert row["working_days_late"] == 7
    sweep(T0)
    db.session.commit()
    [row] = breach_audit(staff["inspector"].actor, YEAR, T0)["breaches"]
    # Seven working days late on a three-day clock is past twice the limit too: level 1, then level 2.
    assert [e["level"] for e in row["escalations"]] == [1, 2]


def test_the_unit_that_held_the_complaint_at_the_deadline_answers_for_it(staff, file, act):
    filed = file(at=T0 - timedelta(days=28))
    act(filed.complaint.id, "verify", staff["admin"].actor, at=T0 - timedelta(days=27), **VERIFY)
    # PUPRKP lets the response deadline pass, then returns it; the administrator sends it to PDAM.
    act(filed.complaint.id, "return", staff["pupr"].actor, at=T0 - timedelta(days=10), comment="Kewenangan PDAM.")
    act(filed.complaint.id, "redispose", staff["admin"].actor, at=T0 - timedelta(days=9), unit="PDAM")
    audit = breach_audit(staff["coordinator"].actor, YEAR, T0)
    by_clock = {row["clock"]: row for row in audit["breaches"]}
    assert by_clock["response"]["holder"] == "PDAM"  # the new unit's own response clock also ran out
    league = {entry["unit"]: entry for entry in audit["league"]}
    assert league["PDAM"]["breached"] >= 1
    only_pupr = breach_audit(staff["coordinator"].actor, BreachFilter(YEAR.start, YEAR.end, unit="PUPRKP"), T0)
    assert all(row["holder"] == "PUPRKP" for row in only_pupr["breaches"])


def test_a_clock_met_in_time_counts_as_on_time_in_the_league(staff, file, act):
    filed = file(at=T0 - timedelta(days=14))
    act(filed.complaint.id, "verify", staff["admin"].actor, at=T0 - timedelta(days=13), **VERIFY)
    audit = breach_audit(staff["inspector"].actor, BreachFilter(YEAR.start, YEAR.end, clock="verification"), T0)
    assert audit["breaches"] == []
    [entry] = audit["league"]
    assert (entry["unit"], entry["assessed"], entry["on_time"], entry["on_time_pct"]) == (ADMINISTRATOR, 1, 1, 100.0)


def test_hidden_identities_never_appear_but_open_names_do(staff, file):
    file(at=T0 - timedelta(days=14), anonymous=True, reporter={"name": "Ni Luh Rahasia"})
    file(at=T0 - timedelta(days=14), reporter={"name": "Made Terbuka"})
    reporters = {row["reporter"] for row in breach_audit(staff["inspector"].actor, YEAR, T0)["breaches"]}
    assert reporters == {None, "Made Terbuka"}


def test_only_supervisors_audit_and_filters_name_the_wrong_field(staff):
    with pytest.raises(PermissionDenied):
        breach_audit(staff["pupr"].actor, YEAR, T0)
    with pytest.raises(InvalidInput) as wrong:
        breach_audit(staff["inspector"].actor, BreachFilter(date(2026, 3, 1), date(2026, 1, 1), clock="info"), T0)
    assert set(wrong.value.details) == {"end", "clock"}


def test_exports_neutralise_formulas_and_leave_hidden_identities_out(app, staff, file):
    file(at=T0 - timedelta(days=14), title="@SUM(A1:A9) jalan rusak", anonymous=True,
         reporter={"name": "Ni Luh Rahasia", "phone": "081234567099"})
    browser = Browser(app)
    browser.login("inspector")
    response = browser.get("/staf/pelanggaran.csv?from=2026-01-01&to=2026-03-17")
    assert response.headers["Content-Disposition"] == 'attachment; filename="pelanggaran-sla-2026-01-01-2026-03-17.csv"'
    text = response.get_data().decode("utf-8-sig")
    assert "Ni Luh Rahasia" not in text and "081234567099" not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Kode pelacakan" and rows[1][1] == "'@SUM(A1:A9) jalan rusak"
    response = browser.get("/staf/pelanggaran.xlsx?from=2026-01-01&to=2026-03-17")
    workbook = load_workbook(io.BytesIO(response.get_data()))
    assert workbook.sheetnames == ["Pelanggaran", "Peringkat OPD"]
    assert workbook["Pelanggaran"]["B2"].value == "'@SUM(A1:A9) jalan rusak"
    assert workbook["Peringkat OPD"]["B2"].value == ADMINISTRATOR


def test_a_unit_cannot_download_the_audit(app, staff):
    browser = Browser(app)
    browser.login("pupr")
    assert browser.get("/staf/pelanggaran.csv").status_code == 403
    assert browser.get("/staf/pelanggaran").status_code == 403


@pytest.mark.parametrize("value, shown", [
    ("=1+1", "'=1+1"), ("+62 812", "'+62 812"), ("-5", "'-5"), ("@cmd", "'@cmd"), ("\tx", "'\tx"),
    ("Jalan = rusak", "Jalan = rusak"), (-5, -5), (None, None),
])
def test_neutralise_only_touches_text_that_would_run_as_a_formula(value, shown):
    assert neutralise(value) == shown


def test_export_helpers_write_readable_files():
    assert csv_bytes(["a", "b"], [["=x", True], [None, 2]]).decode("utf-8-sig").splitlines() == [
        "a,b", "'=x,ya", ",2"]
    workbook = load_workbook(io.BytesIO(xlsx_bytes([Sheet("Data: 1/2", ["a", "b"], [["=x", 3]])])))
    sheet = workbook["Data_ 1_2"]
    assert (sheet["A2"].value, sheet["B2"].value, sheet.freeze_panes) == ("'=x", 3, "A2")
