"""Web security of the browser surfaces: CSRF on every state-changing form, the rate limits of public
intake and tracking, hostile uploads on every upload path, and production's refusals to start unsafely.

Stored script, formula injection and the security headers of every answer are swept in test_surfaces.py.
"""

import io
import re
import struct
import zipfile
import zlib
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tests.conftest import T0
from tests.security.conftest import World, png
from tests.web.portal import FORM
from tests.web.portal import HIDDEN as FORM_TOKENS
from web import create_app
from workflow.db import db
from workflow.models import Attachment, Complaint, ProgrammeEvidence

# Blueprints that authenticate every call by a token, a key or a signature, never by the browser's cookie.
TOKEN_BLUEPRINTS = ("/api/", "/open311/", "/webhooks/")
# Who would send each form (a staff account, or the reporter who opened the complaint).
SENDER = {"public": "reporter:anonymous", "staff": "sysadmin", "reports": "coordinator", "ui": None}


# --- CSRF ------------------------------------------------------------------------------------------------


def form_routes(world: World) -> list[tuple[str, str]]:
    """Return (endpoint, path) of every POST route browsers send forms to, ids filled from the world."""
    anonymous = world.complaints["anonymous"]
    values = {"complaint_id": anonymous.id, "code": anonymous.code, "user_id": 1, "round_id": 1,
              "commitment_id": 1, "year": 2024, "queue": "all", "action": "escalate", "attachment_id": 1}
    found = []
    for rule in world.app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith(TOKEN_BLUEPRINTS):
            continue
        path = rule.rule
        for name in rule.arguments:
            value = "1.1.1" if (rule.endpoint.startswith("reports.") and name == "code") else values[name]
            path = re.sub(r"<(?:[a-z]+:)?" + name + ">", str(value), path)
        found.append((rule.endpoint, path))
    return found


def fingerprint() -> tuple:
    """Return the row count of every table and the sum of complaint versions: what any change moves."""
    db.session.expire_all()
    counts = ", ".join(f'(SELECT count(*) FROM "{table.name}")' for table in db.metadata.sorted_tables)
    return (*db.session.execute(text(f"SELECT {counts}")).one(),
            db.session.scalar(select(func.coalesce(func.sum(Complaint.version), 0))))


def test_only_token_authenticated_blueprints_skip_csrf(world):
    from web import csrf

    exempt = {getattr(bp, "name", bp) for bp in csrf._exempt_blueprints} | set(csrf._exempt_views)
    assert exempt == {"api", "open311", "webhooks"}


def test_every_form_refuses_a_post_without_its_csrf_token(world):
    routes = form_routes(world)
    assert len(routes) >= 30
    problems = []
    for endpoint, path in routes:
        sender = SENDER[endpoint.split(".")[0]]
        sender = "facilitator" if endpoint == "public.facilitate" else sender
        sender = "penghubung_pupr" if endpoint == "staff.hand_over_own" else sender
        visitor = world.visitor(sender)
        before = fingerprint()
        # A forged form: every field an attacker would fill, but no token (and no session token to match).
        response = visitor.post(path, data=dict(FORM, comment="x", note="x", information="x", answer="puas",
                                                score="5", username="x", password="x", kode="x", pin="1"))
        if response.status_code != 400 or fingerprint() != before:
            problems.append(f"{path} ({endpoint}): {response.status_code}")
        # A token from another person's session does not pass either, though the sender holds one of their own.
        stranger = world.visitor(None).get("/lacak").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', stranger).group(1)
        visitor = world.visitor(sender)
        assert 'name="csrf_token"' in visitor.get("/lacak").get_data(as_text=True)
        response = visitor.post(path, data={"csrf_token": token, "comment": "x"})
        if response.status_code != 400 or fingerprint() != before:
            problems.append(f"{path} ({endpoint}), foreign token: {response.status_code}")
    assert not problems, "\n".join(problems)


def test_a_signed_in_browser_cookie_never_authenticates_the_api(world):
    # The API is exempt from CSRF because only a bearer token counts: a cross-site request rides on cookies.
    browser = world.visitor("admin")
    anonymous = world.complaints["anonymous"]
    for method, path in [("GET", "/api/v1/complaints"), ("GET", f"/api/v1/complaints/{anonymous.id}"),
                         ("POST", f"/api/v1/complaints/{anonymous.id}/actions/escalate")]:
        response = browser.open(method, path, headers={}, json={"comment": "x"})
        assert response.status_code == 401, path


# --- rate limits -------------------------------------------------------------------------------------------


@pytest.fixture
def limits(world):
    """Give the limits their production values for one test (the world is generous otherwise)."""
    saved = {key: world.app.config[key] for key in ("PUBLIC_FILING_RATE_LIMIT", "TRACKING_RATE_LIMIT")}
    world.app.config.update(PUBLIC_FILING_RATE_LIMIT="5 per minute;30 per hour", TRACKING_RATE_LIMIT="20 per minute")
    yield world
    world.app.config.update(saved)


def test_public_filing_through_the_api_is_limited_per_address_and_staff_are_not(limits):
    body = {"title": "Jalan rusak", "description": "Lubang besar.", "category": "jalan-rusak"}
    address = {"REMOTE_ADDR": "203.0.113.5"}
    statuses = [limits.visitor(None).post("/api/v1/complaints", json=body, headers={},
                                          environ_base=address).status_code for _ in range(7)]
    assert statuses == [201] * 5 + [429] * 2
    assert limits.visitor(None).post("/api/v1/complaints", json=body, headers={},
                                     environ_base={"REMOTE_ADDR": "203.0.113.6"}).status_code == 201
    # Staff entering offline complaints with their token are not counted as the public.
    admin = limits.visitor("admin")
    assert all(admin.post("/api/v1/complaints", json=body, environ_base=address).status_code == 201
               for _ in range(3))


def test_tracking_on_the_portal_and_the_api_draws_on_one_budget_per_address(limits):
    filed = limits.complaints["pupr"]
    address = {"REMOTE_ADDR": "203.0.113.7"}
    for _ in range(10):
        assert limits.visitor(None).get(f"/api/v1/track/{filed.code}", headers={"X-Tracking-Pin": filed.pin},
                                        environ_base=address).status_code == 200
    portal = limits.visitor(None)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', portal.get("/lacak").get_data(as_text=True)).group(1)
    answers = [portal.post("/lacak", data={"csrf_token": token, "kode": filed.code, "pin": filed.pin},
                           environ_base=address).status_code for _ in range(12)]
    assert answers == [303] * 10 + [429] * 2


# --- uploads -----------------------------------------------------------------------------------------------


def png_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """Return a tiny PNG that claims 3.6 billion pixels: decoding it would need gigabytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = zlib.compress(b"\x00" * 1024)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", rows) + chunk(b"IEND", b""))


@cache
def zip_bomb_docx() -> bytes:
    """Return a DOCX of a few hundred kilobytes whose one part unpacks to 210 MB (written in chunks)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<Types><Override PartName="/word/document.xml" ContentType="'
                         'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            for _ in range(210):
                part.write(bytes(1024 * 1024))
    return buffer.getvalue()


HOSTILE_FILES = {
    "png decompression bomb": ("foto.png", png_bomb),
    "zip bomb as docx": ("surat.docx", zip_bomb_docx),
    "program named as a photo": ("foto.jpg", lambda: b"MZ\x90\x00" + bytes(500)),
    "svg with script": ("peta.png", lambda: b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
    "html": ("..\\..\\index.html", lambda: b"<!doctype html><script>alert(1)</script>"),
}


def upload_paths(world: World) -> dict[str, tuple]:
    """Return every way a file comes in: (who, path, the multipart field, extra form fields)."""
    mine = world.complaints["anonymous"]
    return {
        "staff API": ("admin", f"/api/v1/complaints/{mine.id}/attachments", "file", {}),
        "reporter API": ("reporter:anonymous", f"/api/v1/track/{mine.code}/attachments", "file", {}),
        "reporter portal": ("reporter:anonymous", f"/lacak/{mine.code}/informasi", "photos", {"information": ""}),
        "evidence": ("admin", "/laporan/rencana-aksi/1.1.1/2024/bukti", "file", {}),
    }


def stored_files(world: World) -> tuple[int, int, set]:
    """Return the attachments and evidence rows and the files in the attachment folder."""
    folder = Path(world.app.config["ATTACHMENT_DIR"])
    files = {p.name for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()
    return (db.session.scalar(select(func.count()).select_from(Attachment)),
            db.session.scalar(select(func.count()).select_from(ProgrammeEvidence)), files)


@pytest.fixture
def evidence_ready(world):
    """Record the realisation evidence is attached to, and open the forms without CSRF (tested above)."""
    from workflow.services import programmes

    programmes.record_realisation("1.1.1", 2024, world.accounts["admin"].actor, T0, "in_progress", 10, "")
    db.session.commit()
    world.app.config["WTF_CSRF_ENABLED"] = False
    yield world
    world.app.config["WTF_CSRF_ENABLED"] = True


@pytest.mark.parametrize("kind", list(HOSTILE_FILES))
def test_a_hostile_file_is_refused_on_every_upload_path_and_nothing_is_stored(evidence_ready, kind):
    world = evidence_ready
    name, make = HOSTILE_FILES[kind]
    data = make()
    for route, (who, path, field, extra) in upload_paths(world).items():
        before = stored_files(world)
        visitor = world.visitor(who)
        response = visitor.post(path, data={**extra, field: (io.BytesIO(data), name)},
                                content_type="multipart/form-data")
        refused = response.status_code in (400, 413, 422) or any(c == "error" for c, _ in visitor.flashes())
        assert refused, (route, response.status_code)
        assert response.status_code < 500
        assert stored_files(world) == before, route


def test_a_file_name_cannot_climb_out_of_the_attachment_folder(evidence_ready):
    world = evidence_ready
    folder = Path(world.app.config["ATTACHMENT_DIR"])
    for name in ("../../../../tmp/aduflow-escape.png", "..\\..\\escape.png", "/etc/passwd.png", "a\x00b.png",
                 "....//....//escape.png"):
        response = world.visitor("admin").post(f"/api/v1/complaints/{world.complaints['pupr'].id}/attachments",
                                               data={"file": (io.BytesIO(png()), name)},
                                               content_type="multipart/form-data")
        assert response.status_code in (201, 422), (name, response.get_json())
        if response.status_code == 201:
            shown = response.get_json()["name"]
            assert "/" not in shown and "\\" not in shown and "\x00" not in shown
    stored = [p for p in folder.parent.rglob("*escape*")] + [Path("/tmp/aduflow-escape.png")]
    assert not [p for p in stored if p.exists()]
    assert all(p.resolve().is_relative_to(folder.resolve()) for p in folder.rglob("*") if p.is_file())


def test_a_body_over_the_largest_filing_is_refused_before_it_is_read(world):
    config = world.app.config
    largest = config["ATTACHMENT_MAX_COUNT"] * config["ATTACHMENT_MAX_BYTES"]
    assert largest < config["MAX_CONTENT_LENGTH"] <= largest + 2 * 1024 * 1024
    # The CSRF check reads a form before any view: the app-wide ceiling is what stops a huge body.
    config.update(MAX_CONTENT_LENGTH=300 * 1024, PUBLIC_FORM_MIN_SECONDS=0)
    try:
        portal = world.visitor(None)
        tokens = dict(FORM_TOKENS.findall(portal.get("/adukan").get_data(as_text=True)))
        before = db.session.scalar(select(func.count()).select_from(Complaint))
        big = (io.BytesIO(b"\x89PNG\r\n\x1a\n" + bytes(400 * 1024)), "besar.png")
        response = portal.post("/adukan", data={**tokens, **FORM, "photos": big}, content_type="multipart/form-data")
        assert response.status_code == 413, response.status_code
        assert "terlalu besar" in response.get_data(as_text=True)
        assert db.session.scalar(select(func.count()).select_from(Complaint)) == before
    finally:
        config.update(MAX_CONTENT_LENGTH=largest + 1024 * 1024, PUBLIC_FORM_MIN_SECONDS=5)


# --- production refuses to start unsafely -------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", "   ", "dev-only-secret-change-me"],
                         ids=["missing", "empty", "blank", "development"])
def test_production_refuses_a_missing_empty_or_development_secret(monkeypatch, secret):
    if secret is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", secret)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production")


@pytest.mark.parametrize("debug", ["1", "true"])
def test_production_refuses_debug_mode_however_it_is_asked_for(monkeypatch, tmp_path, debug):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-for-this-test-0123456789")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    monkeypatch.setenv("FLASK_DEBUG", debug)
    with pytest.raises(RuntimeError, match="Debug"):
        create_app("production")


def test_production_sends_strict_transport_security_and_secure_cookies_only(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-for-this-test-0123456789")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax" and not app.debug
    for path in ("/staf/masuk", "/api/v1/openapi.json"):
        response = app.test_client().get(path)
        response.close()
        assert response.headers["Strict-Transport-Security"].startswith("max-age="), path
