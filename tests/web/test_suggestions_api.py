"""Suggestions over HTTP: routing and duplicates for one complaint, duplicates at intake, routing quality."""

import pytest

from tests.conftest import VERIFY
from tests.web.conftest import COMPLAINT

REPEAT = COMPLAINT | {"title": "Lubang di Jalan Raya Gelgel", "channel": "phone",
                      "reporter": {"name": "Komang Sutama", "phone": "+62 812 3456 7001"}}


def error_code(response, status: int) -> str:
    assert response.status_code == status, response.get_json()
    return response.get_json()["error"]["code"]


def test_the_administrator_gets_routing_and_duplicate_suggestions(api, staff):
    original = api.ok("POST", "/complaints", status=201, json=COMPLAINT)
    repeat = api.ok("POST", "/complaints", staff["admin"], status=201, json=REPEAT)

    body = api.ok("GET", f"/complaints/{repeat['id']}/suggestions", staff["admin"])

    best = body["routing"][0]
    assert (best["target"], best["action"], best["certain"]) == ("PUPRKP", "verify", False)
    assert 0 < best["confidence"] <= 1 and best["reason"] == "; ".join(best["reasons"])
    [duplicate] = body["duplicates"]
    assert duplicate["complaint"]["tracking_code"] == original["tracking_code"]
    assert duplicate["score"] >= 0.8
    assert "Kontak pelapor sama (telepon / phone): 081234567001 / same reporter contact" in duplicate["reasons"]


def test_a_unit_handler_sees_no_reporter_identity_in_duplicates(api, staff):
    original = api.ok("POST", "/complaints", status=201, json=COMPLAINT)
    repeat = api.ok("POST", "/complaints", status=201, json=REPEAT | {"channel": "web"})
    for complaint in (original, repeat):
        api.ok("POST", f"/complaints/{complaint['id']}/actions/verify", staff["admin"], json=VERIFY)

    response = api.call("GET", f"/complaints/{repeat['id']}/suggestions", staff["pupr"])

    body = response.get_json()
    assert response.status_code == 200 and body["routing"] == []
    [duplicate] = body["duplicates"]
    assert "Kontak pelapor sama (telepon / phone) / same reporter contact" in duplicate["reasons"]
    text = response.get_data(as_text=True)
    assert "081234567001" not in text and "3456 7001" not in text and "Sutama" not in text
    assert "komang.sutama" not in text


def test_suggestions_need_staff_who_can_see_the_complaint(api, staff):
    complaint = api.ok("POST", "/complaints", status=201, json=COMPLAINT)
    assert error_code(api.call("GET", f"/complaints/{complaint['id']}/suggestions"), 401) == "authentication_required"
    assert error_code(api.call("GET", f"/complaints/{complaint['id']}/suggestions", staff["pupr"]), 404) == "not_found"
    assert error_code(api.call("GET", "/complaints/999/suggestions", staff["admin"]), 404) == "not_found"


def test_staff_filing_a_complaint_are_shown_likely_duplicates_and_citizens_are_not(api, staff):
    original = api.ok("POST", "/complaints", status=201, json=COMPLAINT)

    public = api.ok("POST", "/complaints", status=201, json=REPEAT | {"channel": "web"})
    by_staff = api.ok("POST", "/complaints", staff["admin"], status=201, json=REPEAT)

    assert "possible_duplicates" not in public
    ids = [d["complaint"]["id"] for d in by_staff["possible_duplicates"]]
    assert sorted(ids) == [original["id"], public["id"]]


def test_regency_roles_read_the_routing_quality_report(api, staff):
    complaint = api.ok("POST", "/complaints", status=201, json=COMPLAINT)
    api.ok("POST", f"/complaints/{complaint['id']}/actions/verify", staff["admin"], json=VERIFY)
    api.ok("POST", f"/complaints/{complaint['id']}/actions/return", staff["pupr"], json={"comment": "Jalan desa."})

    report = api.ok("GET", "/reports/routing-quality", staff["coordinator"])

    assert report["since"] == "2026-01-01T00:00:00+08:00" and report["until"] == "2026-03-17T10:00:00+08:00"
    assert report["categories"] == [{"code": "jalan-rusak", "name": "Jalan rusak / berlubang", "dispositions": 1,
                                     "returned": 1, "never_returned": 0, "share_never_returned": 0.0}]


@pytest.mark.parametrize(("query", "who", "status"), [
    ("", "pupr", 403),
    ("", "facilitator", 403),
    ("?since=kemarin", "coordinator", 422),
    ("?since=2026-04-01", "coordinator", 422),
])
def test_the_routing_quality_report_refuses_other_roles_and_bad_periods(api, staff, query, who, status):
    response = api.call("GET", f"/reports/routing-quality{query}", staff[who])
    assert response.status_code == status, response.get_json()


def test_the_report_reads_a_period_given_as_local_dates(api, staff):
    report = api.ok("GET", "/reports/routing-quality?since=2026-03-01&until=2026-03-16T12:00:00",
                    staff["inspector"])
    assert (report["since"], report["until"]) == ("2026-03-01T00:00:00+08:00", "2026-03-16T12:00:00+08:00")
    assert report["total"] is None


def test_the_openapi_document_describes_the_suggestion_routes(api):
    paths = api.ok("GET", "/openapi.json")["paths"]
    assert paths["/complaints/{complaint_id}/suggestions"]["get"]["parameters"][0]["name"] == "complaint_id"
    assert {p["name"] for p in paths["/reports/routing-quality"]["get"]["parameters"]} == {"since", "until"}
