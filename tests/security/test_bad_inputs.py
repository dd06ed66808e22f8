"""Odd input on every route answers 4xx, never 5xx: ids past the database's integers, digits that are not
ASCII, page numbers past any OFFSET, dates at the ends of the calendar, NUL characters (PostgreSQL cannot
store them) — the inputs that once crashed pages here. Every GET route of the url_map, and every form.

The JSON API is fuzzed from its OpenAPI document (test_api_fuzz.py) and Open311 by hand (test_open311_inputs.py).
"""

import re

import pytest
from sqlalchemy import func, select

from tests.security.conftest import FULL, PASSWORD, World
from workflow.db import db
from workflow.models import Complaint
from workflow.services import people

# Path values: one argument at a time is odd, the others name what exists.
ODD_IDS = ["0", "999999999", "1" + "0" * 12, "99999999999999999999999"]
ODD_TEXT = ["%00", "..%2F..%2Fetc%2Fpasswd", "%C3%BC" * 60, "%3Cscript%3E", "%E2%80%AE", "9999-S2", "0001"]
# Query values the views read (each alone, so an earlier refusal does not hide a later one).
ODD_QUERY = [("page", "²"), ("page", "99999999999999999999"), ("per_page", "١٠"), ("halaman", "²"),
             ("halaman", "99999999999"), ("year", "²²²²"), ("year", "99999"), ("period", "9999-S2"),
             ("period", "²⁰²⁶"), ("from", "0001-01-01"), ("to", "9999-12-31"), ("since", "0001-01-01"),
             ("until", "9999-12-31T23:59:59-12:00"), ("q", "a\x00b"), ("q", "%_\\"), ("state", "x\x00"),
             ("tahun", "²⁰²⁶"), ("unread", "²")]
ODD_FORM = ["²", "١٢", "99999999999999999999", "\x00", "0001-01-01", "9999-12-31", "-1", "x" * 20_000, " "]
FIELDS = ["comment", "unit", "class", "category", "reason", "duplicate_of", "target", "level", "expected_version",
          "confirm", "note", "draft", "complaint_id", "action", "username", "password", "role", "full_name",
          "active", "new_password", "successor", "status", "percent", "notes", "activity", "attended_on", "year",
          "title", "owner", "due_on", "failure_kind", "description", "progress_note", "done_on", "held_on", "place",
          "statement_1", "rank_x", "reason_x", "information", "answer", "score", "kode", "pin", "keep_page",
          "keep_state", "desa", "kecamatan", "lat", "lng", "consent_method"]


def normal_values(world: World, rule) -> dict:
    """Return values for a rule's arguments that name what exists (accounts: a spare one, odd forms change it)."""
    anonymous = world.complaints["anonymous"]
    code = "2026-S1" if rule.endpoint.startswith("reports.semester") else (
        "1.1.1" if rule.endpoint.startswith("reports.") else anonymous.code)
    return {"complaint_id": anonymous.id, "attachment_id": world.attachment_id, "tracking_code": anonymous.code,
            "code": code, "service_request_id": anonymous.code, "fmt": "json", "service_code": "jalan-rusak",
            "token": "abc", "rest": "x", "kind": "breached", "queue": "all", "user_id": world.extra["spare"],
            "round_id": 1, "evidence_id": 1, "commitment_id": 1, "notice_id": 1, "year": 2026, "mode": "tinggi",
            "size": "besar", "filename": "css/app.css", "action": "escalate"}


def fill(rule, values: dict) -> str:
    """Return the rule's path with ``values`` put in."""
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(r"<(?:[a-z]+:)?" + name + ">", str(values[name]), path)
    return path


@pytest.fixture(scope="module", autouse=True)
def spare(world):
    """Create the account that odd forms of the user pages act on (never one the tests sign in with)."""
    world.extra["spare"] = people.create_user("cadangan.aneh", "unit_admin", PASSWORD, "PDAM").id
    db.session.commit()


def odd_paths(world: World, rule) -> list[str]:
    """Return the rule's path with one argument at a time made odd."""
    normal = normal_values(world, rule)
    paths = []
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__
        for odd in (ODD_IDS if "Integer" in converter or "DatabaseId" in converter else ODD_TEXT):
            paths.append(fill(rule, normal | {name: odd}))
    return paths


# The administrator reaches nearly every page; the full run (SECURITY_FULL=1) reads as others too, and sends the
# odd queries to the pages with ids in their paths as well.
@pytest.mark.parametrize("reader", ["admin", None, "reporter:anonymous", "sysadmin"] if FULL else ["admin"])
def test_no_page_answers_odd_paths_or_queries_with_a_server_error(world, reader):
    crashes, sent = [], 0
    for rule in world.app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "reports.static"):
            continue
        requests = [(path, None) for path in odd_paths(world, rule)]
        if FULL or not rule.arguments:
            requests += [(fill(rule, normal_values(world, rule)), {key: value}) for key, value in ODD_QUERY]
        for path, query in requests:
            sent += 1
            try:  # the test app lets a crash through as an exception: collect them all
                response = world.visitor(reader).get(path, query_string=query)
            except Exception as crash:
                crashes.append(f"{path} {query}: {type(crash).__name__}: {str(crash)[:100]}")
                continue
            if response.status_code >= 500:
                crashes.append(f"{path} {query}: {response.status_code}")
    assert sent >= 400
    assert not crashes, "\n".join(crashes)


@pytest.mark.parametrize("sender", ["admin", "coordinator", "sysadmin", "reporter:anonymous"] if FULL
                         else ["admin"])
def test_no_form_answers_odd_values_with_a_server_error(world, sender):
    world.app.config["WTF_CSRF_ENABLED"] = False  # this is about the values; test_web checks CSRF
    crashes = []
    try:
        for rule in world.app.url_map.iter_rules():
            if "POST" not in rule.methods or rule.rule.startswith(("/api/", "/open311/", "/webhooks/")):
                continue
            path = fill(rule, normal_values(world, rule))
            for value in ODD_FORM:
                try:  # the test app lets a crash through as an exception: collect them all
                    response = world.visitor(sender).post(path, data=dict.fromkeys(FIELDS, value))
                except Exception as crash:
                    crashes.append(f"{path} {value[:20]!r}: {type(crash).__name__}: {str(crash)[:100]}")
                    continue
                if response.status_code >= 500:
                    crashes.append(f"{path} {value[:20]!r}: {response.status_code}")
    finally:
        world.app.config["WTF_CSRF_ENABLED"] = True
    assert not crashes, "\n".join(crashes)


def stored() -> int:
    return db.session.scalar(select(func.count()).select_from(Complaint))


@pytest.mark.parametrize("where", ["json", "query", "path", "header", "form", "multipart"])
def test_text_with_a_nul_character_is_refused_wherever_it_comes_in(world, where):
    body = {"title": "Jalan rusak", "description": "Lubang besar.", "category": "jalan-rusak"}
    visitor, before = world.visitor(None), stored()
    if where == "json":
        response = visitor.post("/api/v1/complaints", json=body | {"title": "Jalan\x00rusak"})
    elif where == "query":
        response = world.visitor("admin").get("/api/v1/complaints", query_string={"q": "a\x00b"})
    elif where == "path":
        response = visitor.get("/api/v1/track/KLK-26-%00AAAA", headers={"X-Tracking-Pin": "123456"})
    elif where == "header":
        response = visitor.post("/api/v1/complaints", json=body, headers={"Idempotency-Key": "k\x00"})
    else:
        world.app.config["WTF_CSRF_ENABLED"] = False
        try:
            reporter = world.visitor("reporter:anonymous")
            code = world.complaints["anonymous"].code
            kwargs = {"content_type": "multipart/form-data"} if where == "multipart" else {}
            response = reporter.post(f"/lacak/{code}/informasi", data={"information": "a\x00b"}, **kwargs)
        finally:
            world.app.config["WTF_CSRF_ENABLED"] = True
    assert response.status_code in (400, 422), (where, response.status_code)
    assert "NUL" in response.get_data(as_text=True)
    assert stored() == before


def test_a_unit_handler_files_a_walk_in_complaint_through_the_api(world):
    # The administrator verifies it next, so the unit does not see it yet: it was once refused as "not found".
    body = {"title": "Lampu jalan mati", "description": "Warga datang ke kantor.", "category": "lampu-jalan",
            "channel": "walk_in"}
    before = stored()
    response = world.visitor("pupr").post("/api/v1/complaints", json=body)
    assert response.status_code == 201, response.get_json()
    assert stored() == before + 1 and "possible_duplicates" not in response.get_json()
    assert world.visitor("admin").post("/api/v1/complaints", json=body).get_json()["possible_duplicates"] is not None


def test_a_source_reference_filed_twice_is_refused_naming_it_not_a_crash(world):
    # Found by bench/fuzz.py: the unique index of imported complaints answered a second filing with a 500.
    body = {"title": "Dari Mesadu", "description": "Diketik ulang oleh petugas.", "category": "sampah",
            "channel": "mesadu", "external_ref": "MSD-2026-000123"}
    admin, before = world.visitor("admin"), stored()
    assert admin.post("/api/v1/complaints", json=body).status_code == 201
    again = admin.post("/api/v1/complaints", json=body | {"title": "Lagi"})
    assert again.status_code == 422 and "external_ref" in again.get_json()["error"]["details"]
    assert stored() == before + 1
    # The same reference on a channel without source ids (a letter's number) may repeat.
    letter = body | {"channel": "letter"}
    assert [admin.post("/api/v1/complaints", json=letter).status_code for _ in range(2)] == [201, 201]


def test_a_multipart_part_without_a_name_is_answered_not_crashed(world):
    # Found by bench/fuzz.py: the NUL check once read the name of a nameless part as text.
    boundary = "b0undary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name=""\r\n\r\nx\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nxyz\r\n'
            f"--{boundary}--\r\n").encode()
    response = world.visitor("admin").post(f"/api/v1/complaints/{world.complaints['pupr'].id}/attachments",
                                           data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 422, response.get_json()
