"""The staff web app through the test client: sign-in, queues, the complaint page and its actions."""

import re

import pytest

from tests.conftest import T0, VERIFY
from workflow.db import db
from workflow.models import Complaint, ComplaintEvent, User

PASSWORD = "correct-horse-battery"


class Browser:
    """A cookie-keeping client that reads CSRF tokens from the pages, each request in its own app context."""

    def __init__(self, app):
        self.app, self.client = app, app.test_client()
        self.last = ""

    def get(self, path: str, **kwargs):
        """Send a GET and remember the page."""
        return self._send("GET", path, **kwargs)

    def post(self, path: str, data: dict | None = None, token: bool = True, **kwargs):
        """Send a form POST with the CSRF token of the last page (unless ``token`` is False)."""
        data = dict(data or {})
        if token:
            data.setdefault("csrf_token", self.token())
        return self._send("POST", path, data=data, **kwargs)

    def token(self) -> str:
        """Return the CSRF token on the last page."""
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.last)
        assert found, "no CSRF token on the page"
        return found.group(1)

    def login(self, username: str, password: str = PASSWORD):
        """Sign in through the form."""
        self.get("/staf/masuk")
        return self.post("/staf/masuk", {"username": username, "password": password})

    def _send(self, method: str, path: str, **kwargs):
        db.session.commit()
        with self.app.app_context():
            response = self.client.open(path, method=method, **kwargs)
            body = response.get_data(as_text=True) if response.mimetype.startswith("text/html") else ""
        if body and not 300 <= response.status_code < 400:  # a redirect's stub page is not a page
            self.last = body
        db.session.expire_all()
        return response


@pytest.fixture
def browser(app):
    """Return a test-client browser."""
    return Browser(app)


def text_of(html: str) -> str:
    """Return the visible text of a page, roughly (tags removed, spaces collapsed)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_pages_need_sign_in_and_sign_in_leads_home(browser, staff):
    response = browser.get("/staf/")
    assert response.status_code == 302 and "/staf/masuk" in response.headers["Location"]
    response = browser.login("admin")
    assert response.status_code == 302 and response.headers["Location"].endswith("/staf/")
    page = browser.get("/staf/")
    assert page.status_code == 200
    assert "Pengaduan masuk" in text_of(browser.last) and "Antrian Anda" in text_of(browser.last)


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(browser, staff):
    response = browser.login("admin", "wrong-password-here")
    assert response.status_code == 401
    assert "Nama pengguna atau kata sandi salah" in text_of(browser.last)
    response = browser.login("nobody", "wrong-password-here")
    assert response.status_code == 401
    assert "Nama pengguna atau kata sandi salah" in text_of(browser.last)


def test_a_form_without_its_csrf_token_is_refused(browser, staff):
    browser.get("/staf/masuk")
    response = browser.post("/staf/masuk", {"username": "admin", "password": PASSWORD}, token=False)
    assert response.status_code == 400
    assert "kedaluwarsa" in text_of(browser.last)


def test_session_cookie_is_http_only_and_same_site(browser, staff):
    response = browser.login("admin")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_pages_forbid_framing_and_inline_scripts(browser, staff):
    browser.login("admin")
    response = browser.get("/staf/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["Cache-Control"] == "no-store"
    assert "<script>" not in browser.last and "style=" not in browser.last


def test_the_administrator_sees_incoming_counts_and_verifies_from_the_complaint_page(browser, staff, file):
    filed = file()
    browser.login("admin")
    browser.get("/staf/")
    assert re.search(r'stat-value">1</span>\s*<span class="stat-label">Pengaduan masuk', browser.last)
    browser.get("/staf/antrian/incoming")
    assert filed.complaint.tracking_code in browser.last
    browser.get(f"/staf/pengaduan/{filed.complaint.id}")
    page = text_of(browser.last)
    assert "Verifikasi dan disposisikan" in page and "Saran tujuan" in page
    response = browser.post(f"/staf/pengaduan/{filed.complaint.id}/aksi/verify", {
        "form_id": "action-verify", "expected_version": "1", "unit": "PUPRKP",
        "class": "pengaduan_tidak_berkadar_pengawasan", "category": "jalan-rusak", "anonymous": "no",
        "confidential": "no", "comment": "Diteruskan ke PUPRKP."})
    assert response.status_code == 303
    assert db.session.get(Complaint, filed.complaint.id).state == "dispositioned"
    browser.get(response.headers["Location"])
    assert "berhasil" in text_of(browser.last)


def test_verification_without_an_explicit_confidentiality_decision_comes_back_with_the_field_named(
        browser, staff, file):
    filed = file()
    browser.login("admin")
    browser.get(f"/staf/pengaduan/{filed.complaint.id}")
    response = browser.post(f"/staf/pengaduan/{filed.complaint.id}/aksi/verify", {
        "form_id": "action-verify", "unit": "PUPRKP", "class": "pengaduan_tidak_berkadar_pengawasan",
        "comment": "Tanpa keputusan kerahasiaan", "back": f"/staf/pengaduan/{filed.complaint.id}"})
    assert response.status_code == 303
    browser.get(response.headers["Location"])
    assert "Putuskan kerahasiaan" in text_of(browser.last)
    assert 'aria-invalid="true" aria-describedby="action-verify-anonymous-error"' in browser.last
    # What the person typed is still there.
    assert "Tanpa keputusan kerahasiaan" in browser.last
    assert db.session.get(Complaint, filed.complaint.id).state == "received"


def test_irreversible_actions_need_the_confirmation_box(browser, staff, file):
    filed = file()
    browser.login("admin")
    browser.get(f"/staf/pengaduan/{filed.complaint.id}")
    response = browser.post(f"/staf/pengaduan/{filed.complaint.id}/aksi/archive",
                            {"form_id": "action-archive", "reason": "spam"})
    assert response.status_code == 303
    assert db.session.get(Complaint, filed.complaint.id).state == "received"
    browser.get(response.headers["Location"])
    response = browser.post(f"/staf/pengaduan/{filed.complaint.id}/aksi/archive",
                            {"form_id": "action-archive", "reason": "spam", "confirm": "yes"})
    assert db.session.get(Complaint, filed.complaint.id).state == "archived"


def test_a_stale_form_is_refused_as_changed_by_someone_else(browser, staff, file, act):
    filed = file()
    browser.login("admin")
    browser.get(f"/staf/pengaduan/{filed.complaint.id}")
    act(filed.complaint.id, "request_info", staff["admin"].actor, comment="Mohon lokasi tepatnya.")
    act(filed.complaint.id, "supply_info", staff["admin"].actor, comment="Di depan pura.")
    response = browser.post(f"/staf/pengaduan/{filed.complaint.id}/aksi/archive",
                            {"form_id": "action-archive", "reason": "spam", "confirm": "yes",
                             "expected_version": "1"})
    browser.get(response.headers["Location"])
    assert "baru saja diubah orang lain" in text_of(browser.last)
    assert db.session.get(Complaint, filed.complaint.id).state == "received"


def test_a_unit_sees_only_its_own_complaints(browser, staff, file, act):
    mine, theirs = file(), file(title="Air mati di Banjar Pekandelan", category="air-pdam")
    act(mine.complaint.id, "verify", staff["admin"].actor, **VERIFY)
    act(theirs.complaint.id, "verify", staff["admin"].actor, **VERIFY | {"unit": "PDAM"})
    browser.login("pupr")
    browser.get("/staf/antrian/dispositioned")
    assert mine.complaint.tracking_code in browser.last
    assert theirs.complaint.tracking_code not in browser.last
    assert browser.get(f"/staf/pengaduan/{theirs.complaint.id}").status_code == 404


def test_the_unit_acknowledges_several_at_once_and_is_told_which_failed(browser, staff, file, act):
    first, second = file(), file(title="Jalan amblas di Desa Tangkas")
    for filed in (first, second):
        act(filed.complaint.id, "verify", staff["admin"].actor, **VERIFY)
    act(second.complaint.id, "acknowledge", staff["penghubung_pupr"].actor)
    browser.login("pupr")
    browser.get("/staf/antrian/dispositioned")
    response = browser.post("/staf/antrian/dispositioned/sekaligus", {
        "action": "acknowledge", "complaint_id": [str(first.complaint.id), str(second.complaint.id)]})
    assert response.status_code == 303
    browser.get(response.headers["Location"])
    page = text_of(browser.last)
    assert f"1 pengaduan diterima: {first.complaint.tracking_code}" in page
    assert f"{second.complaint.tracking_code} tidak dapat diproses" in page
    assert db.session.get(Complaint, first.complaint.id).state == "in_progress"


def test_a_draft_reaches_the_penghubung_who_posts_it(browser, staff, file, act):
    filed = file()
    act(filed.complaint.id, "verify", staff["admin"].actor, **VERIFY)
    act(filed.complaint.id, "acknowledge", staff["pupr"].actor)
    browser.login("pupr")
    browser.get(f"/staf/pengaduan/{filed.complaint.id}")
    assert "Kirim tanggapan kepada pelapor" not in text_of(browser.last)  # units do not post in Klungkung
    browser.post(f"/staf/pengaduan/{filed.complaint.id}/draf", {"form_id": "draft",
                                                                  "draft": "Lubang sudah ditambal hari Senin."})
    penghubung = Browser(browser.app)
    penghubung.login("penghubung_pupr")
    penghubung.get("/staf/antrian/awaiting_approval")
    assert filed.complaint.tracking_code in penghubung.last
    penghubung.get(f"/staf/pengaduan/{filed.complaint.id}")
    assert "Lubang sudah ditambal hari Senin." in penghubung.last
    penghubung.post(f"/staf/pengaduan/{filed.complaint.id}/aksi/respond",
                    {"form_id": "action-respond", "comment": "Lubang sudah ditambal hari Senin."})
    assert db.session.get(Complaint, filed.complaint.id).state == "responded"
    penghubung.get("/staf/antrian/awaiting_approval")
    assert filed.complaint.tracking_code not in penghubung.last


def test_internal_notes_are_marked_and_never_public(browser, staff, file):
    filed = file()
    browser.login("admin")
    browser.get(f"/staf/pengaduan/{filed.complaint.id}")
    browser.post(f"/staf/pengaduan/{filed.complaint.id}/catatan", {"form_id": "note", "note": "Cek ke lapangan dulu."})
    event = db.session.scalars(db.select(ComplaintEvent).filter_by(complaint_id=filed.complaint.id,
                                                                    action="staff_note")).one()
    assert event.internal and event.comment == "Cek ke lapangan dulu."
    browser.get(f"/staf/pengaduan/{filed.complaint.id}")
    assert re.search(r'class="event-internal">\s*<div class="event-meta">\s*<strong>Catatan internal', browser.last)


def test_an_anonymous_reporter_is_hidden_from_the_unit_but_not_from_the_administrator(browser, staff, file, act):
    filed = file(anonymous=True)
    act(filed.complaint.id, "verify", staff["admin"].actor, **VERIFY | {"anonymous": True})
    browser.login("admin")
    browser.get(f"/staf/pengaduan/{filed.complaint.id}")
    assert "I Komang Sutama" in browser.last
    unit = Browser(browser.app)
    unit.login("pupr")
    unit.get(f"/staf/pengaduan/{filed.complaint.id}")
    assert "I Komang Sutama" not in unit.last and "081234567001" not in unit.last
    assert "Dirahasiakan" in text_of(unit.last)


def test_queue_filters_name_the_wrong_field(browser, staff, file):
    file()
    browser.login("admin")
    response = browser.get("/staf/antrian/all?class=nonsense")
    assert response.status_code == 422
    assert "class" in text_of(browser.last)
    assert browser.get("/staf/antrian/all?from=17-03-2026").status_code == 422
    assert browser.get("/staf/antrian/dispositioned").status_code == 404  # not an administrator's queue


def test_queue_filters_narrow_by_channel_text_and_dates(browser, staff, file):
    gelgel = file()
    phone = file(title="Sampah di Pasar Galiran", category="sampah", channel="phone", actor=staff["admin"].actor)
    browser.login("admin")
    browser.get("/staf/antrian/all?channel=phone")
    assert phone.complaint.tracking_code in browser.last and gelgel.complaint.tracking_code not in browser.last
    browser.get("/staf/antrian/all?q=Gelgel")
    assert gelgel.complaint.tracking_code in browser.last and phone.complaint.tracking_code not in browser.last
    browser.get("/staf/antrian/all?from=2026-03-18")
    assert "0 pengaduan" in text_of(browser.last)
    browser.get(f"/staf/antrian/all?from={T0.date().isoformat()}&to={T0.date().isoformat()}")
    assert "2 pengaduan" in text_of(browser.last)


def test_english_is_one_click_away_and_dates_follow_the_language(browser, staff, file):
    filed = file()
    browser.login("admin")
    browser.get(f"/staf/pengaduan/{filed.complaint.id}")
    assert "17 Mar 2026, 10.00 WITA" in browser.last and 'lang="id"' in browser.last
    response = browser.get(f"/bahasa/en?next=/staf/pengaduan/{filed.complaint.id}")
    assert response.headers["Location"].endswith(f"/staf/pengaduan/{filed.complaint.id}")
    browser.get(f"/staf/pengaduan/{filed.complaint.id}")
    assert 'lang="en"' in browser.last
    assert "Verify and disposition" in browser.last and "Complaint facts" in browser.last
    assert "17 Mar 2026, 10:00 WITA" in browser.last


def test_the_language_switch_never_redirects_off_site(browser):
    response = browser.get("/bahasa/en?next=https://evil.example/")
    assert response.headers["Location"] == "/"
    response = browser.get("/bahasa/en?next=//evil.example/")
    assert response.headers["Location"] == "/"


def test_the_text_size_choice_works_without_javascript(browser, staff):
    browser.login("admin")
    browser.get("/ukuran-teks/larger?next=/staf/")
    browser.get("/staf/")
    assert 'class="text-larger"' in browser.last
    browser.get("/kontras/high?next=/staf/")
    browser.get("/staf/")
    assert 'class="text-larger high-contrast"' in browser.last


def test_sign_in_attempts_from_one_address_are_rate_limited(browser, staff):
    browser.get("/staf/masuk")
    statuses = [browser.post("/staf/masuk", {"username": "admin", "password": f"guess-{n}"}).status_code
                for n in range(11)]
    assert statuses[:10].count(429) == 0 and statuses[10] == 429
    assert "Terlalu banyak percobaan" in text_of(browser.last)


def test_production_sends_the_session_cookie_over_https_only(monkeypatch):
    import config

    monkeypatch.setenv("SECRET_KEY", "a-real-secret-for-this-test")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    production = config.load("production")
    assert production.SESSION_COOKIE_SECURE and production.SESSION_COOKIE_HTTPONLY
    assert production.SESSION_COOKIE_SAMESITE == "Lax"


def test_the_sysadmin_creates_and_deactivates_an_account_and_others_cannot(browser, staff):
    from workflow.services import people

    people.create_user("diskominfo", "sysadmin", PASSWORD, "DISKOMINFO")
    browser.login("diskominfo")
    browser.get("/staf/pengguna")
    response = browser.post("/staf/pengguna", {"form_id": "new-user", "username": "putu", "full_name": "Putu Baru",
                                               "role": "unit_admin", "unit": "PDAM", "password": "a-first-password"})
    assert response.status_code == 303
    user = db.session.scalar(db.select(User).filter_by(username="putu"))
    assert (user.role, user.unit.code, user.active) == ("unit_admin", "PDAM", True)
    browser.get(response.headers["Location"])
    assert "Akun dibuat" in text_of(browser.last)
    browser.post(f"/staf/pengguna/{user.id}/status", {"active": "0"})
    assert not db.session.get(User, user.id).active
    response = browser.post("/staf/pengguna", {"form_id": "new-user", "username": "kadek", "role": "penghubung",
                                               "password": "a-first-password",
                                               "back": "/staf/pengguna"})
    browser.get(response.headers["Location"])
    assert "peran ini perlu unit" in text_of(browser.last)
    other = Browser(browser.app)
    other.login("admin")
    assert other.get("/staf/pengguna").status_code == 403


def test_a_penghubung_hands_over_their_own_desk_and_is_signed_out(browser, staff):
    browser.login("penghubung_pupr")
    browser.get("/staf/akun")
    assert "Serah terima jabatan penghubung" in text_of(browser.last)
    response = browser.post("/staf/akun/serah-terima", {"successor": "pupr", "confirm": "y"})
    assert response.headers["Location"].endswith("/staf/masuk")
    assert db.session.scalar(db.select(User).filter_by(username="pupr")).role == "penghubung"
    assert browser.get("/staf/").status_code == 302  # signed out
    assert browser.login("penghubung_pupr").status_code == 401  # and the old account no longer signs in


def test_a_password_change_ends_the_other_sessions(browser, staff):
    elsewhere = Browser(browser.app)
    elsewhere.login("admin")
    browser.login("admin")
    browser.get("/staf/akun")
    response = browser.post("/staf/akun/kata-sandi", {"current_password": PASSWORD,
                                                      "new_password": "a-much-newer-secret",
                                                      "new_password_again": "a-much-newer-secret"})
    assert response.status_code == 303
    assert browser.get("/staf/").status_code == 200  # this session goes on
    assert elsewhere.get("/staf/").status_code == 302  # the other one has ended
