"""The authorization matrix: every role × every route of the app, every role × every lifecycle action of
``TRANSITIONS``, ids guessed across units, and what a reporter's code and PIN open.

The route table classifies each endpoint of the app's url_map; a route added without a row fails
``test_every_route_is_in_the_matrix``, and an action added to TRANSITIONS is matrixed by construction.
Outcomes are what a person meets, not only status codes: ``login`` (sent to sign in, or 401), ``forbidden``
(403, or a form sent back with "not allowed"), ``hidden`` (404, or "not found": a complaint out of reach
reads as absent, so ids cannot be probed) and ``ok`` (anything else: the page, or the form's own checks).
A refused request must change nothing in the database.
"""

import io
from collections import Counter
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, select, text

from tests.conftest import T0, new_complaint
from tests.security.conftest import FULL, PASSWORD, ROLE_ACCOUNTS, Filed, World, png
from web.transaction import unit_of_work
from workflow.db import db
from workflow.domain.machine import TRANSITIONS, Subject
from workflow.domain.states import REGENCY_ROLES, UNIT_SCOPED_ROLES, Action, Role, State
from workflow.models import Complaint
from workflow.services import commitments, people, programmes, self_assessment
from workflow.services.actions import take_action
from workflow.services.intake import file_complaint
from workflow.services.sop import active_sop

STAFF = tuple(ROLE_ACCOUNTS)  # admin_instansi, unit_admin, penghubung, coordinator, inspector, leader, sysadmin, …
VISITORS = ("anonymous", "reporter", *STAFF)
REGENCY = tuple(r.value for r in REGENCY_ROLES)
UNIT = ("unit_admin", "penghubung")
AUDITORS = ("admin_instansi", "coordinator", "inspector", "leader")
YEAR = 2024  # a year of the Klungkung action plan (2022–2024)
# Pages that take long to draw (reports, exports, the complaint page). The bounded run checks that the
# administrator gets them and every refusal; the full run (SECURITY_FULL=1) draws them for every role.
HEAVY = frozenset({"reports.dashboard", "reports.semester", "reports.semester_xlsx", "reports.annual",
                   "reports.annual_xlsx", "reports.berita_acara", "reports.berita_acara_xlsx", "reports.programmes",
                   "staff.breaches", "staff.breaches_csv", "staff.breaches_xlsx", "staff.complaint",
                   "public.complaints", "public.statistics", "public.file", "staff.queue", "staff.home"})


def everyone(outcome: str = "ok") -> dict:
    """Every visitor meets ``outcome``."""
    return dict.fromkeys(VISITORS, outcome)


def staff(allowed=STAFF, refused: str = "forbidden", outsiders: str = "login", **special) -> dict:
    """Staff in ``allowed`` pass; other staff meet ``refused``; the public and the reporter ``outsiders``."""
    found = {"anonymous": outsiders, "reporter": outsiders}
    found.update({role: "ok" if role in allowed else refused for role in STAFF})
    return found | special


# Who may see the matrix's complaint (held by PUPRKP): the regency roles and the PUPRKP unit roles; the
# facilitator did not enter it.
SEES_IT = (*REGENCY, *UNIT)
ON_THE_COMPLAINT = staff(SEES_IT, refused="hidden")


class Photo(dict):
    """A multipart body with one small PNG in the field ``file`` (fresh for every request)."""

    def fields(self) -> dict:
        """Return the form fields, the file as a new stream."""
        return {"file": (io.BytesIO(png()), "bukti.png")}


PHOTO = Photo()
REASON = {"comment": "Mohon dibuka kembali."}


@dataclass
class Objects:
    """What the routes of the matrix point at."""

    complaint: Filed
    attachment_id: int
    spare_user_id: int
    round_id: int
    commitment_id: int
    evidence_id: int
    notice_id: int


def routes(o: Objects) -> dict[str, list[tuple]]:
    """Return, per endpoint, the requests of the matrix: (method, path, expected outcome per visitor[, body]).

    A body is sent where a form's own checks would otherwise answer before the question of who may.
    """
    c, code = o.complaint.id, o.complaint.code
    api_staff = staff(outsiders="login")
    page = staff()
    return {
        # citizen portal
        "public.home": [("GET", "/", everyone())],
        "public.file": [("GET", "/adukan", everyone()), ("POST", "/adukan", everyone())],
        "public.facilitate": [("GET", "/fasilitator/adukan", staff(("facilitator",))),
                              ("POST", "/fasilitator/adukan", staff(("facilitator",)))],
        "public.track_form": [("GET", "/lacak", everyone())],
        "public.track_login": [("POST", "/lacak", everyone("login"))],  # a code without its PIN opens nothing
        "public.track": [("GET", f"/lacak/{code}", everyone())],  # others get the PIN form (see below)
        "public.add_information": [("POST", f"/lacak/{code}/informasi", everyone("login") | {"reporter": "ok"})],
        "public.answer": [("POST", f"/lacak/{code}/jawab", everyone("login") | {"reporter": "ok"})],
        "public.rate": [("POST", f"/lacak/{code}/nilai", everyone("login") | {"reporter": "ok"})],
        "public.track_logout": [("POST", "/lacak/keluar", everyone())],
        "public.complaints": [("GET", "/pengaduan", everyone())],
        "public.complaint": [("GET", f"/pengaduan/{code}", everyone())],
        "public.open_data": [("GET", "/data-terbuka/pengaduan.csv", everyone())],
        "public.statistics": [("GET", "/statistik", everyone())],
        "public.how_it_works": [("GET", "/cara-kerja", everyone())],
        "ui.set_language": [("GET", "/bahasa/en", everyone())],
        "ui.set_contrast": [("GET", "/kontras/tinggi", everyone())],
        "ui.set_text_size": [("GET", "/ukuran-teks/besar", everyone())],
        "static": [("GET", "/static/css/app.css", everyone())],
        # API
        "api.openapi": [("GET", "/api/v1/openapi.json", everyone())],
        "api.sop": [("GET", "/api/v1/sop", everyone())],
        "api.create_complaint": [("POST", "/api/v1/complaints", everyone())],
        "api.list_complaints": [("GET", "/api/v1/complaints", api_staff)],
        "api.show_complaint": [("GET", f"/api/v1/complaints/{c}", ON_THE_COMPLAINT)],
        # Reopening a complaint in progress is refused by its state (409: "ok" here) to whoever may see it; the
        # action matrix below checks every action.
        "api.act": [("POST", f"/api/v1/complaints/{c}/actions/reopen", ON_THE_COMPLAINT, REASON)],
        "api.suggestions": [("GET", f"/api/v1/complaints/{c}/suggestions", ON_THE_COMPLAINT)],
        "api.list_attachments": [("GET", f"/api/v1/complaints/{c}/attachments", ON_THE_COMPLAINT)],
        "api.upload_attachment": [("POST", f"/api/v1/complaints/{c}/attachments", ON_THE_COMPLAINT, PHOTO)],
        "api.download_attachment": [("GET", f"/api/v1/attachments/{o.attachment_id}", ON_THE_COMPLAINT)],
        "api.escalations": [("GET", "/api/v1/escalations/breached", staff((*REGENCY, *UNIT)))],
        "api.indicator_set": [("GET", "/api/v1/indicators", api_staff)],
        "api.routing_quality_report": [("GET", "/api/v1/reports/routing-quality", staff(REGENCY))],
        "api.list_notices": [("GET", "/api/v1/notices", api_staff)],
        # Someone else's notice reads as absent.
        "api.read_notice": [("POST", f"/api/v1/notices/{o.notice_id}/read",
                             staff((), refused="hidden", unit_admin="ok"))],
        "api.track": [("GET", f"/api/v1/track/{code}", everyone("login") | {"reporter": "ok"})],
        "api.track_act": [("POST", f"/api/v1/track/{code}/actions/confirm", everyone("login") | {"reporter": "ok"})],
        "api.track_list_attachments": [("GET", f"/api/v1/track/{code}/attachments",
                                        everyone("login") | {"reporter": "ok"})],
        "api.track_upload_attachment": [("POST", f"/api/v1/track/{code}/attachments",
                                         everyone("login") | {"reporter": "ok"})],
        "api.track_download_attachment": [("GET", f"/api/v1/track/{code}/attachments/{o.attachment_id}",
                                           everyone("login") | {"reporter": "ok"})],
        # Open311 (public; filing needs a client's key: see test_open311_inputs)
        "open311.index": [("GET", "/open311/v2/", everyone())],
        "open311.discovery": [("GET", "/open311/v2/discovery.json", everyone())],
        "open311.service_list": [("GET", "/open311/v2/services.json", everyone())],
        "open311.service_definition": [("GET", "/open311/v2/services/jalan-rusak.json", everyone())],
        "open311.request_list": [("GET", "/open311/v2/requests.json", everyone())],
        "open311.request_detail": [("GET", f"/open311/v2/requests/{code}.json", everyone())],
        "open311.create_request": [("POST", "/open311/v2/requests.json", everyone("forbidden"))],
        "open311.token": [("GET", "/open311/v2/tokens/abc.json", everyone("hidden"))],
        "open311.unknown": [("GET", "/open311/v2/tidak-ada", everyone("hidden")),
                            ("POST", "/open311/v2/tidak-ada", everyone("hidden"))],
        # webhooks: a signed delivery or nothing (tests/web/test_mesadu_webhook.py)
        "webhooks.mesadu_complaint": [("POST", "/webhooks/mesadu", everyone("login"))],
        # staff pages
        "staff.login": [("GET", "/staf/masuk", everyone()), ("POST", "/staf/masuk", everyone())],
        "staff.logout": [("POST", "/staf/keluar", everyone("login"))],  # signing out leads to the sign-in page
        "staff.home": [("GET", "/staf/", page)],
        "staff.account": [("GET", "/staf/akun", page)],
        "staff.change_password": [("POST", "/staf/akun/kata-sandi", page)],
        "staff.hand_over_own": [("POST", "/staf/akun/serah-terima", page)],
        "staff.queue": [("GET", "/staf/antrian/all", page)],
        "staff.bulk": [("POST", "/staf/antrian/all/sekaligus", page)],
        "staff.complaint": [("GET", f"/staf/pengaduan/{c}", ON_THE_COMPLAINT)],
        "staff.act": [("POST", f"/staf/pengaduan/{c}/aksi/reopen", ON_THE_COMPLAINT, REASON)],
        "staff.note": [("POST", f"/staf/pengaduan/{c}/catatan",
                        staff(("admin_instansi", *UNIT, "coordinator", "inspector"),
                              leader="forbidden", sysadmin="forbidden", facilitator="hidden"))],
        "staff.draft": [("POST", f"/staf/pengaduan/{c}/draf", staff(UNIT, facilitator="hidden"))],
        "staff.attachment": [("GET", f"/staf/lampiran/{o.attachment_id}", ON_THE_COMPLAINT)],
        "staff.breaches": [("GET", "/staf/pelanggaran", staff(AUDITORS))],
        "staff.breaches_csv": [("GET", "/staf/pelanggaran.csv", staff(AUDITORS))],
        "staff.breaches_xlsx": [("GET", "/staf/pelanggaran.xlsx", staff(AUDITORS))],
        "staff.users": [("GET", "/staf/pengguna", staff(("sysadmin",))),
                        ("POST", "/staf/pengguna", staff(("sysadmin",)))],
        "staff.create_user": [],  # the POST row of staff.users
        "staff.user": [("GET", f"/staf/pengguna/{o.spare_user_id}", staff(("sysadmin",))),
                       ("POST", f"/staf/pengguna/{o.spare_user_id}", staff(("sysadmin",)))],
        "staff.update_user": [],  # the POST row of staff.user
        "staff.set_active": [("POST", f"/staf/pengguna/{o.spare_user_id}/status", staff(("sysadmin",)))],
        "staff.reset_password": [("POST", f"/staf/pengguna/{o.spare_user_id}/kata-sandi", staff(("sysadmin",)))],
        "staff.unlock": [("POST", f"/staf/pengguna/{o.spare_user_id}/buka-kunci", staff(("sysadmin",)))],
        "staff.hand_over": [("POST", f"/staf/pengguna/{o.spare_user_id}/serah-terima", staff(("sysadmin",)),
                             {"confirm": "y", "successor": "pdam"})],
        # reports: reading is open to all staff, writing to the keepers the services name
        "reports.dashboard": [("GET", "/laporan/", page)],
        "reports.reports": [("GET", "/laporan/daftar", page)],
        "reports.semester": [("GET", "/laporan/semester/2026-S1", page)],
        "reports.semester_xlsx": [("GET", "/laporan/semester/2026-S1.xlsx", page)],
        "reports.annual": [("GET", "/laporan/tahunan/2026", page)],
        "reports.annual_xlsx": [("GET", "/laporan/tahunan/2026.xlsx", page)],
        "reports.programmes": [("GET", "/laporan/rencana-aksi", page)],
        "reports.record_realisation": [("POST", f"/laporan/rencana-aksi/1.1.1/{YEAR}",
                                        staff(("admin_instansi", "coordinator", "inspector", "sysadmin")))],
        "reports.attach_evidence": [("POST", f"/laporan/rencana-aksi/1.1.1/{YEAR}/bukti",
                                     staff(("admin_instansi", "coordinator", "inspector", "sysadmin")), PHOTO)],
        "reports.evidence": [("GET", f"/laporan/bukti/{o.evidence_id}", page)],
        "reports.training": [("GET", "/laporan/pelatihan", page),
                             ("POST", "/laporan/pelatihan",
                              staff(("admin_instansi", "coordinator", "inspector", "sysadmin")),
                              {"activity": "1.1.1", "username": "pupr", "attended_on": f"{YEAR}-05-02"})],
        "reports.record_attendance": [],  # the POST row of reports.training
        "reports.commitments": [("GET", "/laporan/janji-perbaikan", page),
                                ("POST", "/laporan/janji-perbaikan", staff(("admin_instansi", "coordinator",
                                                                            "penghubung")),
                                 {"unit": "PUPRKP", "year": "2026", "title": "Janji", "owner": "Kadis",
                                  "due_on": "2026-09-30"})],
        "reports.create_commitment": [],  # the POST row of reports.commitments
        "reports.update_commitment": [("POST", f"/laporan/janji-perbaikan/{o.commitment_id}",
                                       staff(("admin_instansi", "coordinator", "penghubung")))],
        "reports.assessments": [("GET", "/laporan/penilaian-mandiri", page),
                                ("POST", "/laporan/penilaian-mandiri", staff(("admin_instansi", "coordinator")))],
        "reports.open_round": [],  # the POST row of reports.assessments
        "reports.assessment": [("GET", f"/laporan/penilaian-mandiri/{o.round_id}", page)],
        "reports.answer": [("POST", f"/laporan/penilaian-mandiri/{o.round_id}/jawaban", page)],
        "reports.close_round": [("POST", f"/laporan/penilaian-mandiri/{o.round_id}/tutup",
                                 staff(("admin_instansi", "coordinator")))],
        "reports.set_priorities": [("POST", f"/laporan/penilaian-mandiri/{o.round_id}/prioritas",
                                    staff(("admin_instansi", "coordinator")))],
        "reports.berita_acara": [("GET", f"/laporan/penilaian-mandiri/{o.round_id}/berita-acara", page)],
        "reports.berita_acara_xlsx": [("GET", f"/laporan/penilaian-mandiri/{o.round_id}/berita-acara.xlsx", page)],
        "reports.static": [("GET", "/laporan/static/reports.css", everyone())],
    }


@pytest.fixture(scope="module")
def objects(world: World) -> Objects:
    """Create what the routes point at, and switch CSRF off: this module checks who, test_web checks CSRF."""
    a = world.accounts
    admin, coordinator = a["admin"].actor, a["coordinator"].actor
    spare = people.create_user("cadangan", "unit_admin", PASSWORD, "PDAM", full_name="Akun cadangan")
    assessment = self_assessment.open_round(coordinator, T0, "Penilaian 2026", 2026)
    promise = commitments.create_commitment(admin, T0, "PUPRKP", 2026, "Jawab dalam 3 hari", "Kepala Dinas",
                                            date(2026, 6, 30))
    programmes.record_realisation("1.1.1", YEAR, admin, T0, "in_progress", 50, "Separuh jalan")
    evidence = programmes.attach_evidence("1.1.1", YEAR, admin, T0, "bukti.png", io.BytesIO(png()))
    db.session.commit()
    world.app.config.update(WTF_CSRF_ENABLED=False, MESADU_SECRET="rahasia-mesadu-untuk-uji")
    yield Objects(world.complaints["anonymous"], world.attachment_id, spare.id, assessment.id, promise.id,
                  evidence.id, world.notice_ids["pupr"])
    world.app.config["WTF_CSRF_ENABLED"] = True


def visitor_for(world: World, who: str):
    """Return a fresh client for a row of the matrix (a reporter holds the matrix's complaint)."""
    if who == "anonymous":
        return world.visitor(None)
    if who == "reporter":
        return world.visitor("reporter:anonymous")
    return world.visitor(ROLE_ACCOUNTS[who])


def outcome(response, visitor) -> str:
    """Return what the person met: login, forbidden, hidden or ok."""
    location = response.headers.get("Location", "")
    if response.status_code == 401 or "/staf/masuk" in location:
        return "login"
    if response.status_code == 403:
        return "forbidden"
    if response.status_code == 404:
        return "hidden"
    if response.status_code in (302, 303):
        errors = [message for category, message in visitor.flashes() if category == "error"]
        if any("tidak berwenang" in message for message in errors):
            return "forbidden"
        if any("tidak ditemukan" in message for message in errors):
            return "hidden"
    return "ok"


def send(visitor, method: str, path: str, body):
    """Send one request of the matrix: JSON to the API, a form to pages, multipart with a file."""
    if isinstance(body, Photo):
        return visitor.open(method, path, data=body.fields(), content_type="multipart/form-data")
    if method == "POST" and path.startswith("/api/"):
        return visitor.open(method, path, json=body or {})
    return visitor.open(method, path, data=body)


def fingerprint() -> tuple:
    """Return the row count of every table and the sum of complaint versions: what any change moves."""
    db.session.expire_all()
    counts = ", ".join(f'(SELECT count(*) FROM "{table.name}")' for table in db.metadata.sorted_tables)
    return (*db.session.execute(text(f"SELECT {counts}")).one(),
            db.session.scalar(select(func.coalesce(func.sum(Complaint.version), 0))))


def test_every_route_is_in_the_matrix(world, objects):
    served = {rule.endpoint for rule in world.app.url_map.iter_rules()}
    table = routes(objects)
    assert served - set(table) == set(), "classify these routes in test_authorization.routes()"
    assert set(table) - served == set(), "these rows name routes the app no longer has"
    for endpoint, rows in table.items():
        for row in rows:
            assert set(row[2]) == set(VISITORS), endpoint
    methods = {(rule.endpoint, m) for rule in world.app.url_map.iter_rules()
               for m in rule.methods - {"HEAD", "OPTIONS"}}
    covered = {(endpoint, row[0]) for endpoint, rows in table.items() for row in rows}
    # Rows that share a path (GET and POST) are listed once under the first endpoint.
    shared = {"staff.create_user": "staff.users", "staff.update_user": "staff.user",
              "reports.record_attendance": "reports.training", "reports.create_commitment": "reports.commitments",
              "reports.open_round": "reports.assessments"}
    assert {(shared.get(e, e), m) for e, m in methods} <= covered


@pytest.mark.parametrize("who", VISITORS)
def test_each_role_meets_the_matrix_on_every_route(world, objects, who):
    misses = []
    for endpoint, rows in routes(objects).items():
        for method, path, expected, *body in rows:
            if not FULL and endpoint in HEAVY and expected[who] == "ok" and who != "admin_instansi":
                continue
            visitor = visitor_for(world, who)
            before = fingerprint() if method == "POST" else None
            response = send(visitor, method, path, body[0] if body else None)
            met = outcome(response, visitor)
            if met != expected[who]:
                misses.append(f"{method} {path} ({endpoint}): expected {expected[who]}, met {met} "
                              f"[{response.status_code} {response.headers.get('Location', '')}]")
            elif met != "ok" and before is not None and fingerprint() != before:
                misses.append(f"{method} {path} ({endpoint}): refused ({met}) but the database changed")
            if response.status_code >= 500:
                misses.append(f"{method} {path} ({endpoint}): {response.status_code}")
    assert not misses, "\n".join(misses)


# --- every role × every action of TRANSITIONS, through the API ----------------------------------------

# The staff of the matrix: one account per role (the unit roles of PUPRKP, which holds the complaints once
# verified) and the two of another unit (PDAM), who must never find them.
ACTORS = {**{role: account for role, account in ROLE_ACCOUNTS.items()},
          "other unit_admin": "pdam", "other penghubung": "penghubung_pdam"}
BODIES = {
    Action.verify: {"unit": "PUPRKP", "class": "pengaduan_tidak_berkadar_pengawasan", "anonymous": False,
                    "confidential": False},
    Action.archive: {"reason": "spam"}, Action.redispose: {"unit": "PUPRKP"},
    Action.transfer_out: {"target": "Dinas Pendidikan Provinsi Bali"},
    Action.escalate: {"comment": "Mohon perhatian."},
}
# How a complaint reaches each state: the actions before it, by whom (an account, or the reporter).
PATHS = {
    "received": [],
    "pending_info@received": [("request_info", "admin")],
    "dispositioned": [("verify", "admin")],
    "in_progress": [("verify", "admin"), ("acknowledge", "pupr")],
    "pending_info@in_progress": [("verify", "admin"), ("acknowledge", "pupr"), ("request_info", "pupr")],
    "returned": [("verify", "admin"), ("return", "pupr")],
    "responded": [("verify", "admin"), ("acknowledge", "pupr"), ("respond", "penghubung_pupr")],
    "closed": [("verify", "admin"), ("acknowledge", "pupr"), ("respond", "penghubung_pupr"), ("close", "admin")],
    "transferred": [("transfer_out", "admin")],
    "archived": [("archive", "admin")],
}


def variants(state: State, condition: str | None) -> list[str]:
    """Return the ways to be in ``state`` a row's condition allows (information pending from either side)."""
    if state is not State.pending_info:
        return [state.value]
    return {"resumes_to_received": ["pending_info@received"],
            "resumes_to_in_progress": ["pending_info@in_progress"]}.get(
        condition, ["pending_info@received", "pending_info@in_progress"])


TABLE_CASES = sorted({(row["trigger"].value, variant) for row in TRANSITIONS for state in row["source"]
                      for variant in variants(state, row.get("conditions"))})


def body_for(action: str, world: World) -> dict:
    """Return a valid body for ``action`` (a comment where one is needed)."""
    if action == Action.mark_duplicate.value:
        return {"duplicate_of": world.complaints["received"].code}
    return BODIES.get(Action(action), {"comment": "Catatan petugas."})


def complaint_in(world: World, variant: str) -> Filed:
    """File a complaint and take it to ``variant`` through the services; return it with its PIN."""
    filed = file_complaint(new_complaint(), None, T0)
    db.session.commit()
    for action, who in PATHS[variant]:
        with unit_of_work():
            take_action(filed.complaint.id, action, world.accounts[who].actor, T0, body_for(action, world))
    return Filed(filed.complaint.id, filed.complaint.tracking_code, filed.pin)


def expected_status(world: World, action: str, variant: str, role: str, complaint: Complaint) -> int:
    """Return what the transition table says ``role`` meets: 404 out of reach, 409, 403 or 200."""
    held_by = {"other unit_admin": "PDAM", "other penghubung": "PDAM"}.get(role, "PUPRKP")
    base_role = Role(role.removeprefix("other "))
    visible = base_role in REGENCY_ROLES or (
        base_role in UNIT_SCOPED_ROLES and complaint.unit is not None and complaint.unit.code == held_by)
    if not visible:
        return 404
    subject = Subject(complaint.state, complaint.resume_to)
    rows = [row for row in TRANSITIONS if row["trigger"] == Action(action) and State(complaint.state) in row["source"]
            and ("conditions" not in row or getattr(subject, row["conditions"])())]
    if not rows:
        return 409
    gates = {"units_may_respond"} if active_sop()[1].sop.units_may_respond else set()
    permitted = any(base_role in row["roles"] and row.get("sop_gates", {}).get(base_role, "on") in gates | {"on"}
                    for row in rows)
    return 200 if permitted else 403


@pytest.mark.parametrize(("action", "variant"), TABLE_CASES, ids=[f"{a}@{v}" for a, v in TABLE_CASES])
def test_every_role_meets_the_transition_table(world, objects, action, variant):
    refused_on = complaint_in(world, variant)
    misses = []
    for role, account in ACTORS.items():
        complaint = db.session.get(Complaint, refused_on.id)
        want = expected_status(world, action, variant, role, complaint)
        target = refused_on if want != 200 else complaint_in(world, variant)
        response = world.visitor(account).post(f"/api/v1/complaints/{target.id}/actions/{action}",
                                               json=body_for(action, world))
        if response.status_code != want:
            misses.append(f"{role}: expected {want}, got {response.status_code} {response.get_json()}")
        if want != 200 and db.session.get(Complaint, target.id).version != complaint.version:
            misses.append(f"{role}: refused, yet the complaint changed")
    reporter_rows = [row for row in TRANSITIONS if row["trigger"] == Action(action) and Role.reporter in row["roles"]]
    if reporter_rows:
        mine = complaint_in(world, variant)
        subject = db.session.get(Complaint, mine.id)
        allowed = any(State(subject.state) in row["source"] and ("conditions" not in row or getattr(
            Subject(subject.state, subject.resume_to), row["conditions"])()) for row in reporter_rows)
        response = world.visitor(None).post(f"/api/v1/track/{mine.code}/actions/{action}",
                                            headers={"X-Tracking-Pin": mine.pin}, json=body_for(action, world))
        if response.status_code != (200 if allowed else 409):
            misses.append(f"reporter: expected {200 if allowed else 409}, got {response.status_code}")
    assert not misses, "\n".join(misses)


@pytest.mark.parametrize("action", [a.value for a in Action])
def test_a_reporter_takes_only_the_reporters_actions(world, objects, action):
    mine = complaint_in(world, "responded")
    response = world.visitor(None).post(f"/api/v1/track/{mine.code}/actions/{action}",
                                        headers={"X-Tracking-Pin": mine.pin}, json=body_for(action, world))
    reporter_actions = {row["trigger"].value for row in TRANSITIONS if Role.reporter in row["roles"]}
    if action not in reporter_actions:
        assert response.status_code == 422, response.get_json()
        assert db.session.get(Complaint, mine.id).state == State.responded.value
    else:
        assert response.status_code in (200, 409), response.get_json()


def test_an_action_not_in_the_table_from_a_final_state_is_a_conflict_for_every_action(world, objects):
    closed = complaint_in(world, "closed")
    for action in Action:
        if action is Action.reopen:
            continue
        response = world.visitor("admin").post(f"/api/v1/complaints/{closed.id}/actions/{action.value}",
                                               json=body_for(action.value, world))
        assert response.status_code in (403, 409), (action, response.get_json())
        assert db.session.get(Complaint, closed.id).state == State.closed.value


# --- guessing ids: another unit's complaint reads exactly like one that does not exist -------------------

ABSENT = 987_654_321


def id_routes(world: World) -> list[tuple[str, str, str]]:
    """Return (endpoint, method, path template) of every staff route that takes a complaint or attachment id."""
    found = []
    for rule in world.app.url_map.iter_rules():
        names = set(rule.arguments) & {"complaint_id", "attachment_id"}
        if not names or "tracking_code" in rule.arguments:  # the reporter's routes: see the PIN tests
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            template = rule.rule.replace("<action>", "reopen")
            for name in names:
                template = template.replace(f"<int:{name}>", "{id}")
            found.append((rule.endpoint, method, template))
    return found


def shape(response) -> tuple:
    """Return what a guesser can compare of two answers: status, where it leads, its error or its flash."""
    body = response.get_json(silent=True) or {}
    error = body.get("error", {}) if isinstance(body, dict) else {}
    return response.status_code, response.headers.get("Location", ""), error.get("code"), error.get("message")


@pytest.mark.parametrize("who", ["pdam", "penghubung_pdam", "facilitator"])
def test_another_units_complaint_reads_like_one_that_does_not_exist(world, objects, who):
    routes_ = id_routes(world)
    assert len(routes_) >= 10  # the API's and the staff pages' complaint and attachment routes
    misses = []
    for endpoint, method, template in routes_:
        real = objects.attachment_id if "attachments/" in template or "lampiran" in template else objects.complaint.id
        answers = []
        for id_ in (real, ABSENT):
            visitor = world.visitor(who)
            body = {"comment": "Tebakan.", "note": "Tebakan.", "draft": "Tebakan."}
            if method == "POST" and "attachments" in template:
                response = visitor.open(method, template.format(id=id_), data=PHOTO.fields(),
                                        content_type="multipart/form-data")
            else:
                response = visitor.open(method, template.format(id=id_), **(
                    {"json": {"comment": body["comment"]}} if template.startswith("/api/") else {"data": body}))
            answers.append((shape(response), [m for _, m in visitor.flashes()]))
        if answers[0] != answers[1]:
            misses.append(f"{method} {template} ({endpoint}): {answers[0]} ≠ {answers[1]}")
        elif answers[0][0][0] not in (303, 404):  # refused as absent: an error page, or the form sent back
            misses.append(f"{method} {template} ({endpoint}): {answers[0]}")
    assert not misses, "\n".join(misses)


def test_a_bulk_refusal_names_an_out_of_reach_complaint_by_the_id_sent_not_its_tracking_code(world, objects):
    visitor = world.visitor("pdam")
    visitor.post("/staf/antrian/all/sekaligus", data={"action": "acknowledge",
                                                       "complaint_id": [str(objects.complaint.id), str(ABSENT)]})
    refused = " ".join(message for _, message in visitor.flashes())
    assert str(objects.complaint.id) in refused and str(ABSENT) in refused
    assert objects.complaint.code not in refused


# --- a reporter's code and PIN open their complaint only; guessing hits the lock and the limit ----------


def test_a_pin_opens_its_own_complaint_and_no_other_on_any_reporter_surface(world, objects):
    mine, other = world.complaints["anonymous"], complaint_in(world, "in_progress")
    pin = {"X-Tracking-Pin": mine.pin}
    client = world.visitor(None)
    assert client.get(f"/api/v1/track/{mine.code}", headers=pin).status_code == 200
    # Another complaint's attachment through its own code and PIN reads as absent.
    assert client.get(f"/api/v1/track/{other.code}/attachments/{objects.attachment_id}",
                      headers={"X-Tracking-Pin": other.pin}).status_code == 404
    for method, path in [("GET", f"/api/v1/track/{other.code}"), ("GET", f"/api/v1/track/{other.code}/attachments"),
                         ("POST", f"/api/v1/track/{other.code}/actions/supply_info"),
                         ("POST", f"/api/v1/track/{other.code}/attachments"),
                         ("GET", f"/api/v1/track/{other.code}/attachments/{objects.attachment_id}")]:
        response = client.open(method, path, headers=pin, json={"comment": "x"})
        # Wrong PINs for the other code: refused, and from the fifth on the code is locked.
        assert response.status_code in (401, 429), path
        assert "Jalan berlubang" not in response.get_data(as_text=True)
    # The browser that opened one complaint holds that one: another code asks for its PIN, forms refuse.
    browser = world.visitor("reporter:anonymous")
    page = browser.get(f"/lacak/{other.code}").get_data(as_text=True)
    assert 'name="pin"' in page and "Air PDAM" not in page
    for path in (f"/lacak/{other.code}/informasi", f"/lacak/{other.code}/jawab", f"/lacak/{other.code}/nilai"):
        assert browser.post(path, data={"information": "x", "answer": "puas", "score": "5"}).status_code == 401
    assert browser.post("/lacak", data={"kode": other.code, "pin": mine.pin}).status_code in (401, 429)


def test_guessing_pins_is_stopped_by_the_lock_and_then_by_the_address_limit(world, objects):
    target = complaint_in(world, "received")
    world.app.config["TRACKING_RATE_LIMIT"] = "30 per minute"
    try:
        guesser = world.visitor(None)
        answers = Counter()
        for guess in [f"{n:06d}" for n in range(201) if f"{n:06d}" != target.pin][:200]:
            response = guesser.get(f"/api/v1/track/{target.code}", headers={"X-Tracking-Pin": guess},
                                   environ_base={"REMOTE_ADDR": "198.51.100.77"})
            answers[response.get_json()["error"]["code"] if response.status_code != 200 else "opened"] += 1
    finally:
        world.app.config["TRACKING_RATE_LIMIT"] = "100000 per minute"
    stored = db.session.get(Complaint, target.id)
    # The fifth wrong PIN locks the code; the address is cut off after its thirty look-ups a minute.
    assert (stored.pin_failures, stored.pin_locked_until is not None) == (5, True)
    assert answers == {"authentication_required": 4, "tracking_locked": 30 - 4, "rate_limited": 200 - 30}
    # Even the right PIN waits for the lock to end.
    assert world.visitor(None).get(f"/api/v1/track/{target.code}", headers={"X-Tracking-Pin": target.pin}
                                   ).status_code == 429


def test_guessing_a_password_is_stopped_by_the_lock_and_then_by_the_address_limit(world, objects):
    world.app.config["LOGIN_RATE_LIMIT"] = "10 per minute"
    try:
        statuses = Counter()
        for guess in range(40):
            response = world.visitor(None).post("/staf/masuk", data={"username": "cadangan",
                                                                      "password": f"tebakan-{guess:04d}"},
                                                environ_base={"REMOTE_ADDR": "198.51.100.78"})
            statuses[response.status_code] += 1
        right = world.visitor(None).post("/staf/masuk", data={"username": "cadangan", "password": PASSWORD},
                                         environ_base={"REMOTE_ADDR": "198.51.100.79"})
    finally:
        world.app.config["LOGIN_RATE_LIMIT"] = "100000 per minute"
    assert statuses == {401: 10, 429: 30}
    # Five wrong passwords locked the account: the right one is refused too, from any address.
    assert right.status_code == 401 and "dikunci" in right.get_data(as_text=True)
