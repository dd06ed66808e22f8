"""The JSON API over HTTP: filing, staff views and actions, the reporter's tracking, the SOP and OpenAPI."""

import re
from datetime import UTC, datetime

import pytest

from tests.conftest import VERIFY, Staff
from tests.web.conftest import COMPLAINT, error_of
from workflow.db import db
from workflow.services import people

NO_DEADLINES = {"verification_due": None, "response_due": None, "resolution_due": None,
                "confirmation_due": None, "info_due": None}
TRACKING_CODE = re.compile(r"KLK-26-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{6}")


def wita(year, month, day, hour=10) -> datetime:
    return datetime.fromisoformat(f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:00:00+08:00").astimezone(UTC)





def strings_in(value) -> set[str]:
    """Return every string value (not key) in a JSON document."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*map(strings_in, value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*map(strings_in, value)) if value else set()
    return set()


def other_pin(pin: str) -> str:
    return "000000" if pin != "000000" else "111111"


# --- filing -------------------------------------------------------------------------------------


def test_a_citizen_files_without_a_token_and_gets_code_pin_and_deadline(api):
    response = api.post("/complaints", json=COMPLAINT)
    assert response.status_code == 201
    body = response.get_json()
    assert isinstance(body["id"], int)
    assert TRACKING_CODE.fullmatch(body["tracking_code"])
    assert re.fullmatch(r"\d{6}", body["pin"])
    assert body["state"] == "received"
    assert body["received_at"] == "2026-03-17T10:00:00+08:00"
    # Tue 17 Mar 2026: Nyepi and the Idul Fitri leave close 18–24 Mar, so 3 working days end Fri 27 Mar.
    assert body["deadlines"] == NO_DEADLINES | {"verification_due": "2026-03-27T23:59:59+08:00"}


def test_missing_title_is_refused_naming_the_field(api, staff):
    response = api.post("/complaints", json={k: v for k, v in COMPLAINT.items() if k != "title"})
    details = error_of(response, 422, "invalid_input")
    assert set(details) == {"title"}
    assert api.get("/complaints", staff["admin"]).get_json()["total"] == 0


def test_an_unknown_field_is_refused_not_ignored(api):
    details = error_of(api.post("/complaints", json=COMPLAINT | {"priority": "urgent"}), 422, "invalid_input")
    assert "priority" in details


def test_a_public_caller_cannot_choose_the_channel(api, staff):
    details = error_of(api.post("/complaints", json=COMPLAINT | {"channel": "sms"}), 422, "invalid_input")
    assert "channel" in details
    assert api.get("/complaints", staff["admin"]).get_json()["total"] == 0


def test_a_body_that_is_not_json_is_refused(api):
    response = api.post("/complaints", data="judul=Jalan rusak", content_type="application/x-www-form-urlencoded")
    details = error_of(response, 422, "invalid_input")
    assert "title" in details
    error_of(api.post("/complaints", json=["Jalan rusak"]), 422, "invalid_input")


def test_a_retry_with_the_same_idempotency_key_returns_the_first_complaint(api, staff):
    key = {"Idempotency-Key": "form-7f3a-0001"}
    first = api.post("/complaints", json=COMPLAINT, headers=key)
    again = api.post("/complaints", json=COMPLAINT, headers=key)
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["pin"] == first.get_json()["pin"]
    assert again.get_json()["tracking_code"] == first.get_json()["tracking_code"]
    assert api.get("/complaints", staff["admin"]).get_json()["total"] == 1


def test_an_idempotency_key_reused_for_another_complaint_is_refused(api, staff):
    key = {"Idempotency-Key": "form-7f3a-0002"}
    assert api.post("/complaints", json=COMPLAINT, headers=key).status_code == 201
    response = api.post("/complaints", json=COMPLAINT | {"title": "Lampu jalan mati"}, headers=key)
    error_of(response, 422, "idempotency_conflict")
    listed = api.get("/complaints", staff["admin"]).get_json()
    assert listed["total"] == 1 and listed["items"][0]["title"] == COMPLAINT["title"]


def test_an_over_long_idempotency_key_is_refused_as_invalid_input(api, staff):
    response = api.post("/complaints", json=COMPLAINT, headers={"Idempotency-Key": "k" * 201})
    details = error_of(response, 422, "invalid_input")
    assert any("idempotency" in field.lower() for field in details)
    assert api.get("/complaints", staff["admin"]).get_json()["total"] == 0


def test_staff_enter_a_letter_with_its_real_receipt_time(api, staff):
    body = api.file(staff["admin"], channel="letter", received_at="2026-03-16T09:00:00+08:00")
    assert body["received_at"] == "2026-03-16T09:00:00+08:00"
    # The clock runs from receipt (Mon 16 Mar): Tue 17, then Wed 25 and Thu 26 after the holidays.
    assert body["deadlines"]["verification_due"] == "2026-03-26T23:59:59+08:00"
    detail = api.detail(body["id"], staff["admin"])
    assert detail["channel"] == "letter"
    assert detail["events"][0]["actor"] == "admin"


def test_staff_cannot_date_a_receipt_in_the_future(api, staff):
    response = api.post("/complaints", staff["admin"],
                        json=COMPLAINT | {"channel": "phone", "received_at": "2026-03-17T11:00:00+08:00"})
    assert "received_at" in error_of(response, 422, "invalid_input")
    assert api.get("/complaints", staff["admin"]).get_json()["total"] == 0


# --- one complaint, for staff -------------------------------------------------------------------


def test_staff_views_need_a_valid_token(api, staff):
    complaint = api.file()
    response = api.get(f"/complaints/{complaint['id']}")
    error_of(response, 401, "authentication_required")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    bad = {"Authorization": "Bearer not-a-real-token"}
    error_of(api.get(f"/complaints/{complaint['id']}", headers=bad), 401, "authentication_required")
    error_of(api.get("/complaints", headers=bad), 401, "authentication_required")
    error_of(api.get("/complaints"), 401, "authentication_required")
    response = api.post(f"/complaints/{complaint['id']}/actions/verify", json=VERIFY)
    error_of(response, 401, "authentication_required")


def test_a_wrong_token_never_files_as_the_public(api, staff):
    response = api.post("/complaints", headers={"Authorization": "Bearer not-a-real-token"}, json=COMPLAINT)
    error_of(response, 401, "authentication_required")
    assert api.get("/complaints", staff["admin"]).get_json()["total"] == 0


def test_a_revoked_token_no_longer_works(api, staff):
    assert api.get("/complaints", staff["pupr"]).status_code == 200
    people.revoke_tokens("pupr")
    error_of(api.get("/complaints", staff["pupr"]), 401, "authentication_required")
    assert api.get("/complaints", staff["penghubung_pupr"]).status_code == 200


def test_unknown_paths_and_wrong_methods_answer_in_the_error_shape(api, staff):
    error_of(api.get("/nothing-here", staff["admin"]), 404, "not_found")
    error_of(api.get("/complaints/not-a-number", staff["admin"]), 404, "not_found")
    error_of(api.call("DELETE", "/complaints/1", staff["admin"]), 405, "method_not_allowed")


def test_a_wrong_method_names_the_allowed_ones(api):
    response = api.call("PUT", "/sop")
    error_of(response, 405, "method_not_allowed")
    assert "GET" in response.headers.get("Allow", "")


def test_the_administrator_sees_state_deadlines_clocks_events_and_actions(api, staff):
    complaint = api.file()
    detail = api.detail(complaint["id"], staff["admin"])
    assert detail["tracking_code"] == complaint["tracking_code"]
    assert detail["state"] == "received"
    assert detail["unit"] is None and detail["class"] is None
    assert detail["category"]["code"] == "jalan-rusak"
    assert detail["escalation_level"] == 0
    assert detail["version"] == 1
    assert detail["deadlines"] == NO_DEADLINES | {"verification_due": "2026-03-27T23:59:59+08:00"}
    assert [(c["kind"], c["status"]) for c in detail["clocks"]] == [("verification", "running")]
    assert [e["action"] for e in detail["events"]] == ["file", "clock_start"]
    assert detail["events"][0]["to_state"] == "received"
    assert "verify" in detail["allowed_actions"]
    assert "acknowledge" not in detail["allowed_actions"]


def test_a_unit_sees_a_complaint_only_once_it_holds_it(api, staff):
    complaint = api.file()
    path = f"/complaints/{complaint['id']}"
    error_of(api.get(path, staff["pupr"]), 404, "not_found")
    api.act(complaint["id"], "verify", staff["admin"], **VERIFY)
    detail = api.detail(complaint["id"], staff["pupr"])
    assert detail["state"] == "dispositioned"
    assert detail["unit"]["code"] == "PUPRKP"
    assert detail["class"]["code"] == VERIFY["class"]
    assert detail["version"] == 2
    assert {"acknowledge", "return"} <= set(detail["allowed_actions"])
    assert "verify" not in detail["allowed_actions"]
    assert detail["deadlines"]["verification_due"] is None
    assert detail["deadlines"]["response_due"] is not None and detail["deadlines"]["resolution_due"] is not None
    assert {c["kind"]: c["status"] for c in detail["clocks"]} == {
        "verification": "met", "response": "running", "resolution": "running"}
    error_of(api.get(path, staff["penghubung_pdam"]), 404, "not_found")


def test_an_unknown_complaint_is_not_found(api, staff):
    error_of(api.get("/complaints/999999", staff["admin"]), 404, "not_found")
    response = api.post("/complaints/999999/actions/verify", staff["admin"], json=VERIFY)
    error_of(response, 404, "not_found")


# --- actions ------------------------------------------------------------------------------------


def test_an_action_answers_with_the_complaint_in_its_new_state(api, staff):
    complaint = api.file()
    verified = api.act(complaint["id"], "verify", staff["admin"], expected_version=1, **VERIFY)
    assert (verified["state"], verified["version"], verified["unit"]["code"]) == ("dispositioned", 2, "PUPRKP")
    acknowledged = api.act(complaint["id"], "acknowledge", staff["pupr"], comment="Tim survei berangkat besok.")
    assert acknowledged["state"] == "in_progress"
    assert acknowledged["events"][-1]["action"] == "acknowledge"
    assert acknowledged["events"][-1]["actor"] == "pupr"
    assert acknowledged["events"][-1]["comment"] == "Tim survei berangkat besok."
    assert "respond" not in acknowledged["allowed_actions"]  # in Klungkung the penghubung posts follow-ups
    assert "request_info" in acknowledged["allowed_actions"]


WITHOUT_ANONYMOUS = {k: v for k, v in VERIFY.items() if k != "anonymous"}


@pytest.mark.parametrize(("verified", "who", "action", "body", "status", "code", "field"), [
    (False, "inspector", "verify", VERIFY, 403, "permission_denied", None),
    (True, "admin", "acknowledge", {}, 403, "permission_denied", None),
    (True, "penghubung_pdam", "acknowledge", {}, 404, "not_found", None),
    (False, "pupr", "verify", VERIFY, 404, "not_found", None),
    (False, "admin", "close", {"comment": "Sudah selesai."}, 409, "invalid_transition", None),
    (True, "pupr", "acknowledge", {"expected_version": 1}, 409, "version_conflict", None),
    (False, "admin", "verify", VERIFY | {"expected_version": 2}, 409, "version_conflict", None),
    (False, "admin", "verify", WITHOUT_ANONYMOUS, 422, "invalid_input", "anonymous"),
    (False, "admin", "verify", VERIFY | {"unit": "KLK"}, 422, "invalid_input", "unit"),
    (False, "admin", "teleport", {}, 422, "invalid_input", "action"),
    (True, "pupr", "return", {}, 422, "invalid_input", "comment"),
])
def test_a_refused_action_answers_with_its_error_and_changes_nothing(
        api, staff, verified, who, action, body, status, code, field):
    complaint = api.file()
    if verified:
        api.act(complaint["id"], "verify", staff["admin"], **VERIFY)
    before = api.detail(complaint["id"], staff["admin"])
    response = api.post(f"/complaints/{complaint['id']}/actions/{action}", staff[who], json=body)
    details = error_of(response, status, code)
    if field:
        assert field in details
    after = api.detail(complaint["id"], staff["admin"])
    assert (after["state"], after["version"], after["events"]) == (before["state"], before["version"],
                                                                   before["events"])


def test_an_action_body_must_be_a_json_object(api, staff):
    complaint = api.file()
    response = api.post(f"/complaints/{complaint['id']}/actions/archive", staff["admin"], json=["spam"])
    error_of(response, 422, "invalid_input")
    assert api.detail(complaint["id"], staff["admin"])["state"] == "received"


# --- hidden identity ----------------------------------------------------------------------------


def test_a_hidden_identity_never_leaves_the_administrators_view(api, staff):
    sysadmin = people.create_user("diskominfo", "sysadmin", "correct-horse-battery", "DISKOMINFO")
    db.session.commit()
    staff = staff | {"sysadmin": Staff("diskominfo", people.actor_for(sysadmin), people.issue_token("diskominfo"))}
    gesi = {"gender": "female", "disability": True, "marginal_group": "lansia"}
    complaint = api.file(staff["facilitator"], channel="walk_in", anonymous=True, gesi=gesi)
    api.act(complaint["id"], "verify", staff["admin"], **(VERIFY | {"anonymous": True}))
    acknowledged = api.post(f"/complaints/{complaint['id']}/actions/acknowledge", staff["pupr"], json={})
    assert acknowledged.status_code == 200 and acknowledged.get_json()["reporter"] is None

    seen = api.detail(complaint["id"], staff["admin"])
    assert seen["reporter"]["name"] == "I Komang Sutama"
    assert seen["gesi"]["marginal_group"] == "lansia"
    hidden = ("Sutama", "081234567001", "komang.sutama@example.id")
    for who in ("facilitator", "pupr", "penghubung_pupr", "coordinator", "inspector", "leader", "sysadmin"):
        response = api.get(f"/complaints/{complaint['id']}", staff[who])
        assert response.status_code == 200, who
        assert response.get_json()["reporter"] is None, who
        listing = api.get("/complaints", staff[who])
        assert listing.get_json()["total"] == 1, who
        for text in (response.get_data(as_text=True), listing.get_data(as_text=True)):
            assert not any(secret in text for secret in hidden), who
    assert not any(secret in acknowledged.get_data(as_text=True) for secret in hidden)


# --- the staff list -----------------------------------------------------------------------------


@pytest.fixture
def three(api, staff) -> dict[str, dict]:
    """A complaint held by PUPRKP, one held by PDAM, and one still waiting for verification."""
    road = api.file()
    water = api.file(title="Air PDAM tidak mengalir tiga hari", category="air-pdam",
                     description="Air tidak mengalir sejak Senin di Banjar Pekandelan.")
    lamp = api.file(title="Lampu penerangan jalan mati", category="lampu-jalan",
                    description="Lampu jalan mati sejak seminggu di Desa Tojan.")
    api.act(road["id"], "verify", staff["admin"], **VERIFY)
    api.act(water["id"], "verify", staff["admin"], **(VERIFY | {"unit": "PDAM"}))
    return {"road": road, "water": water, "lamp": lamp}


def ids(response) -> set[int]:
    assert response.status_code == 200, response.get_json()
    return {item["id"] for item in response.get_json()["items"]}


def test_units_list_only_what_they_hold(api, staff, three):
    assert ids(api.get("/complaints", staff["pupr"])) == {three["road"]["id"]}
    assert ids(api.get("/complaints", staff["penghubung_pdam"])) == {three["water"]["id"]}
    assert ids(api.get("/complaints", staff["dinkes"])) == set()
    assert ids(api.get("/complaints", staff["admin"])) == {c["id"] for c in three.values()}
    assert ids(api.get("/complaints", staff["facilitator"])) == set()


def test_the_list_filters_by_state_and_unit(api, staff, three):
    admin = staff["admin"]
    assert ids(api.get("/complaints?state=received", admin)) == {three["lamp"]["id"]}
    assert ids(api.get("/complaints?state=received,dispositioned", admin)) == {c["id"] for c in three.values()}
    assert ids(api.get("/complaints?state=closed", admin)) == set()
    assert ids(api.get("/complaints?unit=PDAM", admin)) == {three["water"]["id"]}
    # A unit user filtering on another unit still sees nothing outside their own reach.
    assert ids(api.get("/complaints?unit=PDAM", staff["pupr"])) == set()


def test_the_list_filters_overdue_complaints(api, app, staff, three):
    admin = staff["admin"]
    assert ids(api.get("/complaints?overdue=true", admin)) == set()
    # Mon 30 Mar: verification (due Fri 27 Mar) has passed; the units' response clocks run to 31 Mar.
    app.config["FIXED_NOW"] = wita(2026, 3, 30)
    assert ids(api.get("/complaints?overdue=true", admin)) == {three["lamp"]["id"]}
    assert ids(api.get("/complaints?overdue=false", admin)) == {three["road"]["id"], three["water"]["id"]}
    items = {item["id"]: item for item in api.get("/complaints", admin).get_json()["items"]}
    assert items[three["lamp"]["id"]]["overdue"] is True and items[three["road"]["id"]]["overdue"] is False
    detail = api.detail(three["lamp"]["id"], admin)
    assert [(c["kind"], c["status"]) for c in detail["clocks"]] == [("verification", "breached")]
    error_of(api.get("/complaints?overdue=maybe", admin), 422, "invalid_input")


def test_the_list_searches_titles_and_tracking_codes(api, staff, three):
    admin = staff["admin"]
    assert ids(api.get("/complaints?q=pdam", admin)) == {three["water"]["id"]}
    assert ids(api.get("/complaints?q=LAMPU%20PENERANGAN", admin)) == {three["lamp"]["id"]}
    assert ids(api.get(f"/complaints?q={three['road']['tracking_code']}", admin)) == {three["road"]["id"]}
    assert ids(api.get("/complaints?q=tidak-ada-yang-cocok", admin)) == set()


def test_the_list_is_paginated(api, staff, three):
    admin = staff["admin"]
    first = api.get("/complaints?per_page=2", admin).get_json()
    second = api.get("/complaints?per_page=2&page=2", admin).get_json()
    assert (first["total"], first["pages"], first["page"], first["per_page"]) == (3, 2, 1, 2)
    assert len(first["items"]) == 2 and len(second["items"]) == 1 and second["page"] == 2
    seen = {i["id"] for i in first["items"]} | {i["id"] for i in second["items"]}
    assert seen == {c["id"] for c in three.values()}
    assert api.get("/complaints?per_page=2&page=3", admin).get_json()["items"] == []


@pytest.mark.parametrize(("query", "field"), [
    ("state=open", "state"), ("state=received,bogus", "state"), ("per_page=1000", "per_page"),
    ("per_page=0", "per_page"), ("page=0", "page"), ("page=-1", "page"), ("unit=NOPE", "unit"),
])
def test_a_bad_list_query_is_refused(api, staff, query, field):
    assert field in error_of(api.get(f"/complaints?{query}", staff["admin"]), 422, "invalid_input")


# --- the reporter's tracking --------------------------------------------------------------------


def test_the_reporter_tracks_without_internal_notes_identity_or_staff_names(api, staff):
    complaint = api.file()
    code, pin = complaint["tracking_code"], complaint["pin"]
    api.act(complaint["id"], "verify", staff["admin"], **VERIFY)
    api.act(complaint["id"], "return", staff["penghubung_pupr"], comment="Catatan internal: urusan PDAM.")
    api.act(complaint["id"], "redispose", staff["admin"], unit="PDAM", comment="Catatan internal: ke PDAM.")
    response = api.get(f"/track/{code}", headers={"X-Tracking-Pin": pin})
    assert response.status_code == 200, response.get_json()
    view = response.get_json()
    assert (view["tracking_code"], view["state"], view["unit"]["code"]) == (code, "dispositioned", "PDAM")
    assert view["deadlines"]["resolution_due"] is not None
    actions = [e["action"] for e in view["events"]]
    assert actions == ["file", "verify"]
    assert all("actor" not in e and "details" not in e for e in view["events"])
    text = response.get_data(as_text=True)
    assert "Catatan internal" not in text
    assert "Sutama" not in text and "081234567001" not in text
    assert not strings_in(view) & set(staff)  # no staff username anywhere
    # The code is read back from paper or over the phone: case does not matter.
    assert api.get(f"/track/{code.lower()}", headers={"X-Tracking-Pin": pin}).status_code == 200


def test_tracking_needs_the_right_pin(api):
    complaint = api.file()
    code = complaint["tracking_code"]
    error_of(api.get(f"/track/{code}", headers={"X-Tracking-Pin": other_pin(complaint["pin"])}),
             401, "authentication_required")
    error_of(api.get(f"/track/{code}"), 401, "authentication_required")
    error_of(api.get("/track/KLK-26-ZZZZZZ", headers={"X-Tracking-Pin": complaint["pin"]}),
             401, "authentication_required")
    response = api.post(f"/track/{code}/actions/confirm", json={},
                        headers={"X-Tracking-Pin": other_pin(complaint["pin"])})
    error_of(response, 401, "authentication_required")


def test_the_reporter_confirms_the_follow_up_and_the_complaint_closes(api, staff):
    complaint = api.file()
    pin = {"X-Tracking-Pin": complaint["pin"]}
    api.act(complaint["id"], "verify", staff["admin"], **VERIFY)
    api.act(complaint["id"], "acknowledge", staff["pupr"])
    api.act(complaint["id"], "respond", staff["penghubung_pupr"], comment="Lubang sudah ditambal hari ini.")
    view = api.get(f"/track/{complaint['tracking_code']}", headers=pin).get_json()
    assert view["state"] == "responded"
    assert {"confirm", "dispute"} <= set(view["allowed_actions"])
    assert view["events"][-1]["comment"] == "Lubang sudah ditambal hari ini."
    response = api.post(f"/track/{complaint['tracking_code']}/actions/confirm", headers=pin,
                        json={"comment": "Terima kasih, sudah rapi."})
    assert response.status_code == 200, response.get_json()
    closed = response.get_json()
    assert (closed["state"], closed["closure"]) == ("closed", "confirmed")
    assert closed["closed_at"] == "2026-03-17T10:00:00+08:00"
    detail = api.detail(complaint["id"], staff["admin"])
    confirm = next(e for e in detail["events"] if e["action"] == "confirm")
    assert (confirm["actor_role"], confirm["actor"], confirm["to_state"]) == ("reporter", None, "closed")


def test_the_reporter_supplies_missing_information(api, staff):
    complaint = api.file()
    pin = {"X-Tracking-Pin": complaint["pin"]}
    api.act(complaint["id"], "request_info", staff["admin"], comment="Di desa mana lokasinya?")
    response = api.post(f"/track/{complaint['tracking_code']}/actions/supply_info", headers=pin,
                        json={"comment": "Di Desa Gelgel, depan Pura Dasar."})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["state"] == "received"


def test_a_reporter_cannot_take_staff_actions(api, staff):
    complaint = api.file()
    pin = {"X-Tracking-Pin": complaint["pin"]}
    response = api.post(f"/track/{complaint['tracking_code']}/actions/verify", headers=pin, json=VERIFY)
    assert "action" in error_of(response, 422, "invalid_input")
    response = api.post(f"/track/{complaint['tracking_code']}/actions/confirm", headers=pin, json={})
    error_of(response, 409, "invalid_transition")
    detail = api.detail(complaint["id"], staff["admin"])
    assert (detail["state"], detail["version"]) == ("received", 1)


# --- the SOP and the OpenAPI document -----------------------------------------------------------


def test_the_active_sop_is_published_for_clients(api):
    response = api.get("/sop")
    assert response.status_code == 200
    sop = response.get_json()
    assert sop["version"] == "2026.1"
    limits = {c["code"]: c["resolution_working_days"] for c in sop["classes"]}
    assert limits == {"aspirasi": 5, "permintaan_informasi": 5, "pengaduan_tidak_berkadar_pengawasan": 14,
                      "pengaduan_berkadar_pengawasan": 60}
    assert all(c["name"] for c in sop["classes"])
    categories = {c["code"]: c for c in sop["categories"]}
    assert categories["jalan-rusak"]["default_unit"] == "PUPRKP"
    assert categories["air-pdam"]["default_unit"] == "PDAM"
    units = {u["code"]: u for u in sop["units"]}
    assert all(set(u) >= {"code", "name", "parent", "kind"} for u in sop["units"])
    assert (units["KLK"]["kind"], units["KLK"]["parent"]) == ("regency", None)
    assert (units["ORG"]["kind"], units["ORG"]["parent"]) == ("opd", "KLK")
    assert {c["default_unit"] for c in sop["categories"]} <= set(units)
    assert all(u["parent"] in units for u in sop["units"] if u["parent"] is not None)


def openapi_path(rule: str) -> str:
    """Turn a Flask rule (``/api/v1/complaints/<int:complaint_id>``) into an OpenAPI path."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule).removeprefix("/api/v1")


def refs_in(value) -> list[str]:
    """Return every ``$ref`` in a JSON document."""
    if isinstance(value, list):
        return [ref for item in value for ref in refs_in(item)]
    if not isinstance(value, dict):
        return []
    own = [value["$ref"]] if isinstance(value.get("$ref"), str) else []
    return own + [ref for item in value.values() for ref in refs_in(item)]


def test_the_openapi_document_describes_every_route(api, app):
    response = api.get("/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"] == "3.1.0"
    assert doc["servers"] == [{"url": "/api/v1"}]
    served = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            methods = {m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}}
            served.setdefault(openapi_path(rule.rule), set()).update(methods)
    assert len(served) >= 6
    for path, methods in served.items():
        assert path in doc["paths"], path
        assert methods <= set(doc["paths"][path]), (path, methods)
    # … and nothing is documented that the server does not answer.
    documented = {path: {m for m in ops if m in {"get", "post", "put", "patch", "delete"}}
                  for path, ops in doc["paths"].items()}
    assert documented == served
    for path, operations in doc["paths"].items():
        for method in documented[path]:
            operation = operations[method]
            in_path = [p for p in operation.get("parameters", []) if p["in"] == "path"]
            assert {p["name"] for p in in_path} == set(re.findall(r"{([^{}]+)}", path)), (path, method)
            assert all(p["required"] is True for p in in_path), (path, method)
            assert operation["responses"], (path, method)
            assert all("$ref" in r or r.get("description") for r in operation["responses"].values()), (path, method)


def test_every_reference_in_the_openapi_document_resolves(api):
    doc = api.get("/openapi.json").get_json()
    refs = refs_in(doc)
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/"), ref
        target = doc
        for part in ref.removeprefix("#/").split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            assert isinstance(target, dict) and part in target, ref
            target = target[part]
    schemas = doc["components"]["schemas"]
    assert "title" in schemas["NewComplaint"]["required"]
    assert {"anonymous", "confidential", "unit", "class"} <= set(schemas["Verify"]["required"])


def test_the_action_path_names_every_action_the_server_takes(api, staff):
    doc = api.get("/openapi.json").get_json()
    parameters = doc["paths"]["/complaints/{complaint_id}/actions/{action}"]["post"]["parameters"]
    documented = next(p for p in parameters if p["name"] == "action")["schema"]["enum"]
    complaint = api.file()
    for action in documented:
        response = api.post(f"/complaints/{complaint['id']}/actions/{action}", staff["leader"], json={})
        # Whatever the verdict (the leader may do none of them), the server knows the action.
        assert response.status_code in (403, 409, 422), action
        assert not (response.status_code == 422 and "action" in response.get_json()["error"]["details"]), action

