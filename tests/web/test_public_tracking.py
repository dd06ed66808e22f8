"""The tracking page: open with code and PIN, read the status in plain words, add information, answer, rate."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import T0, VERIFY
from tests.web.portal import Portal
from workflow.db import db
from workflow.models import Complaint, ComplaintEvent, Rating


@pytest.fixture
def portal(app, tmp_path) -> Portal:
    """Return a citizen's browser."""
    app.config["ATTACHMENT_DIR"] = str(tmp_path / "attachments")
    return Portal(app)


@pytest.fixture
def filed(file):
    """Return a complaint filed by a citizen (with its PIN)."""
    return file(title="Air PDAM mati tiga hari", category="air-pdam", location={"desa": "Gelgel"})


def state_of(complaint_id: int) -> str:
    return db.session.scalar(select(Complaint.state).filter_by(id=complaint_id))


def opened(portal: Portal, filed) -> str:
    """Open the complaint in the portal and return the path of its page."""
    response = portal.open_complaint(filed.complaint.tracking_code, filed.pin)
    assert response.status_code == 303, response.text
    return response.headers["Location"]


def test_a_wrong_pin_is_refused_in_plain_words_and_counts(portal, filed):
    response = portal.open_complaint(filed.complaint.tracking_code, "000000" if filed.pin != "000000" else "111111")
    assert response.status_code == 401
    assert "Kode pelacakan atau PIN salah" in response.text
    assert db.session.get(Complaint, filed.complaint.id).pin_failures == 1
    assert filed.complaint.title not in response.text


def test_too_many_wrong_pins_lock_the_code(portal, filed, app):
    wrong = "000000" if filed.pin != "000000" else "111111"
    for _ in range(app.config["PIN_MAX_FAILURES"] - 1):
        assert portal.open_complaint(filed.complaint.tracking_code, wrong).status_code == 401
    locked = portal.open_complaint(filed.complaint.tracking_code, wrong)
    assert locked.status_code == 429 and "dikunci" in locked.text and "Retry-After" in locked.headers
    assert portal.open_complaint(filed.complaint.tracking_code, filed.pin).status_code == 429


def test_the_reporter_sees_status_next_step_and_public_timeline_only(portal, filed, act, staff):
    act(filed.complaint.id, "verify", staff["admin"].actor, T0 + timedelta(hours=1),
        **(VERIFY | {"unit": "PDAM", "comment": "Diteruskan ke PDAM."}))
    act(filed.complaint.id, "escalate", staff["penghubung_pdam"].actor, T0 + timedelta(hours=2),
        comment="Catatan internal penghubung")
    page = portal.get(opened(portal, filed))
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = page.text
    assert "Air PDAM mati tiga hari" in text
    assert "Pengaduan Anda sudah diperiksa dan diteruskan ke instansi yang berwenang." in text
    # Disposed Tue 17 Mar: 5 working days for the first answer run past Nyepi and the Idul Fitri leave.
    assert "Instansi memberi tanggapan pertama paling lambat 31 Mar 2026." in text
    assert "Diteruskan ke PDAM." in text and "Diperiksa dan diteruskan ke instansi" in text
    assert "Catatan internal penghubung" not in text and "clock_start" not in text
    assert "penghubung_pdam" not in text


def test_a_complaint_page_needs_the_pin_first(portal, filed):
    page = portal.get(f"/lacak/{filed.complaint.tracking_code}")
    assert page.status_code == 200
    assert f'value="{filed.complaint.tracking_code}"' in page.text and filed.complaint.title not in page.text
    refused = portal.submit("/lacak", f"/lacak/{filed.complaint.tracking_code}/informasi", {"information": "Tambah"})
    assert refused.status_code == 401
    assert db.session.scalar(select(func.count(ComplaintEvent.id)).filter_by(action="note")) == 0


def test_opening_one_complaint_does_not_open_another(portal, filed, file):
    other = file()
    opened(portal, filed)
    page = portal.get(f"/lacak/{other.complaint.tracking_code}")
    assert 'name="pin"' in page.text and "Lubang besar" not in page.text


def test_closing_the_complaint_on_this_device_forgets_it(portal, filed):
    path = opened(portal, filed)
    portal.submit(path, "/lacak/keluar", {})
    assert 'name="pin"' in portal.get(path).text


def test_information_any_time_is_a_note_and_information_asked_for_resumes_the_complaint(portal, filed, act, staff):
    path = opened(portal, filed)
    code = filed.complaint.tracking_code
    response = portal.submit(path, f"/lacak/{code}/informasi", {"information": "Sekarang pipa juga bocor."})
    assert response.status_code == 303
    assert state_of(filed.complaint.id) == "received"
    note = db.session.scalar(select(ComplaintEvent).filter_by(complaint_id=filed.complaint.id, action="note"))
    assert note.comment == "Sekarang pipa juga bocor."
    assert "informasi Anda sudah kami terima" in portal.get(path).text

    act(filed.complaint.id, "request_info", staff["admin"].actor, T0 + timedelta(hours=1),
        comment="Di banjar mana tepatnya?")
    page = portal.get(path).text
    assert "Informasi yang diminta" in page and "Di banjar mana tepatnya?" in page
    portal.submit(path, f"/lacak/{code}/informasi", {"information": "Banjar Siku."})
    assert state_of(filed.complaint.id) == "received"
    actions = db.session.scalars(select(ComplaintEvent.action).filter_by(complaint_id=filed.complaint.id)
                                 .where(ComplaintEvent.internal.is_(False)).order_by(ComplaintEvent.id)).all()
    assert actions[-1] == "supply_info"


def test_empty_information_is_refused_with_the_field_named(portal, filed):
    path = opened(portal, filed)
    response = portal.submit(path, f"/lacak/{filed.complaint.tracking_code}/informasi", {"information": "  "})
    assert response.status_code == 422 and 'id="information-error"' in response.text


def responded(act, staff, complaint_id: int, at=T0, text="Pipa sudah diganti."):
    act(complaint_id, "verify", staff["admin"].actor, at, **(VERIFY | {"unit": "PDAM"}))
    act(complaint_id, "acknowledge", staff["pdam"].actor, at + timedelta(hours=1))
    act(complaint_id, "respond", staff["penghubung_pdam"].actor, at + timedelta(hours=2), comment=text)


def test_answering_not_satisfied_needs_a_reason_and_sends_it_back_then_satisfied_closes(portal, filed, act, staff):
    responded(act, staff, filed.complaint.id)
    path = opened(portal, filed)
    code = filed.complaint.tracking_code
    page = portal.get(path).text
    assert "Tanggapan instansi" in page and "Pipa sudah diganti." in page
    assert "Apakah Anda puas dengan tanggapan ini?" in page

    refused = portal.submit(path, f"/lacak/{code}/jawab", {"answer": "belum", "reason": ""})
    assert refused.status_code == 422 and "Tuliskan mengapa Anda belum puas" in refused.text
    assert state_of(filed.complaint.id) == "responded"
    portal.submit(path, f"/lacak/{code}/jawab", {"answer": "belum", "reason": "Air masih keruh."})
    assert state_of(filed.complaint.id) == "in_progress"

    act(filed.complaint.id, "respond", staff["penghubung_pdam"].actor, T0 + timedelta(days=1),
        comment="Saluran sudah dibersihkan.")
    portal.submit(path, f"/lacak/{code}/jawab", {"answer": "puas"})
    complaint = db.session.get(Complaint, filed.complaint.id)
    assert (complaint.state, complaint.closure) == ("closed", "confirmed")
    assert "Pengaduan selesai." in portal.get(path).text


def test_a_dispute_after_the_window_is_refused(portal, filed, act, staff, app):
    responded(act, staff, filed.complaint.id)
    path = opened(portal, filed)
    app.config["FIXED_NOW"] = T0 + timedelta(days=40)
    page = portal.get(path).text
    assert "Saya belum puas" not in page
    response = portal.submit(path, f"/lacak/{filed.complaint.tracking_code}/jawab",
                             {"answer": "belum", "reason": "Terlambat"})
    assert response.status_code == 422
    assert state_of(filed.complaint.id) == "responded"


def test_the_rating_is_recorded_once(portal, filed, act, staff):
    responded(act, staff, filed.complaint.id)
    path = opened(portal, filed)
    code = filed.complaint.tracking_code
    assert "Beri penilaian" in portal.get(path).text
    assert portal.submit(path, f"/lacak/{code}/nilai", {"score": "9"}).status_code == 422
    portal.submit(path, f"/lacak/{code}/nilai", {"score": "4", "comment": "Cepat ditangani."})
    page = portal.get(path).text
    assert "Anda memberi nilai 4 dari 5." in page and "Beri penilaian" not in page
    again = portal.submit("/lacak", f"/lacak/{code}/nilai", {"score": "1"})
    assert again.status_code == 422 and "sudah dinilai" in again.text
    assert db.session.scalars(select(Rating.score)).all() == [4]


def test_a_complaint_not_yet_answered_offers_no_rating(portal, filed):
    page = portal.get(opened(portal, filed)).text
    assert "Beri penilaian" not in page and "Apakah Anda puas" not in page
