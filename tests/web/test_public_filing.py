"""The public filing form: choices from the SOP, plain errors, spam guards, CSRF, photos and the receipt."""

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import T0
from tests.web.portal import FORM, Portal, png, receipt_of
from workflow.db import db
from workflow.models import Attachment, Complaint, ComplaintEvent, OutboxMessage
from workflow.services.tracking import reporter_for


@pytest.fixture
def portal(app, tmp_path) -> Portal:
    """Return a citizen's browser, with photos stored in this test's own folder."""
    app.config["ATTACHMENT_DIR"] = str(tmp_path / "attachments")
    return Portal(app)


def complaints() -> int:
    return db.session.scalar(select(func.count(Complaint.id)))


def test_the_form_offers_the_sops_categories_with_explanations_and_its_desa_list(portal):
    page = portal.get("/adukan").text
    assert 'value="jalan-rusak"' in page and "Kerusakan jalan kabupaten, jembatan, dan trotoar." in page
    assert 'value="air-pdam"' in page and "Infrastruktur" in page
    assert '<option value="Nusa Penida"' in page
    assert re.search(r'<optgroup label="Kecamatan Klungkung">.*?<option value="Gelgel"', page, re.S)
    # Plain words on anonymity and confidentiality, a "needs assistance" choice, a hidden honeypot.
    assert "Sembunyikan identitas saya" in page and "Rahasiakan isi pengaduan" in page
    assert 'name="needs_assistance"' in page
    assert re.search(r'<div class="hp" aria-hidden="true">\s*<label for="website">', page)
    assert 'name="csrf_token"' in page and 'name="form_token"' in page
    # No outside hosts: no CDN, no web fonts.
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_a_citizen_files_anonymously_and_gets_a_printable_receipt_with_code_and_pin(portal):
    response = portal.file(anonymous="1", reporter_name="I Komang Sutama", reporter_phone="081234567001",
                           needs_assistance="1", lat="-8.5369", lng="115.4045", address="Depan Pura Dalem")
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    code, pin = receipt_of(response)
    assert re.fullmatch(r"KLK-26-[2-9A-HJKMNP-TV-Z]{6}", code) and re.fullmatch(r"\d{6}", pin)
    assert "PIN hanya ditampilkan sekali" in response.text
    assert "27 Mar 2026" in response.text  # verification due: 3 working days past Nyepi and Idul Fitri leave
    complaint = db.session.scalar(select(Complaint))
    assert (complaint.tracking_code, complaint.channel, complaint.state) == (code, "web", "received")
    assert (complaint.anonymous, complaint.confidential, complaint.needs_assistance) == (True, False, True)
    # The desa says which kecamatan it is in.
    assert (complaint.desa, complaint.kecamatan) == ("Gelgel", "Klungkung")
    assert (complaint.lat, complaint.lng, complaint.address) == (-8.5369, 115.4045, "Depan Pura Dalem")
    assert complaint.received_at == T0 + timedelta(minutes=2)
    assert reporter_for(code, pin, T0)[1].id == complaint.id


def test_missing_and_wrong_fields_are_named_and_nothing_is_stored(portal):
    response = portal.file(category="", title="", description="x" * 4001, reporter_phone="satu dua",
                           reporter_email="bukan-surel", lat="-8.5")
    assert response.status_code == 422
    page = response.text
    assert 'id="error-summary"' in page
    for field in ("category", "title", "description", "reporter_phone", "reporter_email", "lng"):
        assert f'id="{field}-error"' in page, field
    assert 'aria-invalid="true"' in page
    assert "Paling banyak 4000 karakter" in page
    # What the person typed is still there.
    assert 'value="satu dua"' in page
    assert complaints() == 0


def test_a_desa_outside_the_chosen_kecamatan_is_explained(portal):
    response = portal.file(kecamatan="Nusa Penida", desa="Gelgel")
    assert response.status_code == 422
    assert "Desa Gelgel ada di Kecamatan Klungkung, bukan Nusa Penida." in response.text
    assert complaints() == 0


def test_a_filled_honeypot_stores_nothing(portal):
    response = portal.file(website="http://spam.example")
    assert response.status_code == 422
    assert "Situs web" in response.text
    assert complaints() == 0


def test_a_form_sent_faster_than_a_person_can_fill_it_stores_nothing(portal, app):
    response = portal.file(wait=timedelta(seconds=2))
    assert response.status_code == 422
    assert "terlalu cepat" in response.text
    assert complaints() == 0
    # The page comes back with a fresh token and the person's text; sending it again later works.
    assert FORM["title"] in response.text
    tokens = dict(re.findall(r'<input type="hidden" name="(csrf_token|form_token)" value="([^"]*)"', response.text))
    portal.wait(timedelta(seconds=app.config["PUBLIC_FORM_MIN_SECONDS"]))
    assert portal.post("/adukan", tokens | FORM).status_code == 201
    assert complaints() == 1


def test_a_forged_or_missing_form_token_stores_nothing(portal):
    tokens = portal.tokens("/adukan")
    portal.wait(timedelta(minutes=1))
    for token in ("", "eyJ0IjoiMjAyNi0wMS0wMVQwMDowMDowMCswMDowMCIsImsiOiJ4In0.forged"):
        response = portal.post("/adukan", tokens | FORM | {"form_token": token})
        assert response.status_code == 422 and "Muat ulang halaman" in response.text
    assert complaints() == 0


def test_a_second_tap_on_send_returns_the_first_complaint_and_its_pin(portal):
    tokens = portal.tokens("/adukan")
    portal.wait(timedelta(minutes=1))
    first = portal.post("/adukan", tokens | FORM)
    again = portal.post("/adukan", tokens | FORM)
    assert receipt_of(first) == receipt_of(again)
    assert complaints() == 1


def test_filing_is_rate_limited_per_address(portal, app):
    app.config["PUBLIC_FILING_RATE_LIMIT"] = "2 per minute"
    assert portal.file().status_code == 201
    assert portal.file().status_code == 201
    refused = portal.file()
    assert refused.status_code == 429
    assert "Terlalu banyak permintaan" in refused.text and "Retry-After" in refused.headers
    assert complaints() == 2
    # Looking at the form is not limited.
    assert portal.get("/adukan").status_code == 200


def test_a_post_without_the_csrf_token_stores_nothing(portal):
    tokens = portal.tokens("/adukan")
    portal.wait(timedelta(minutes=1))
    response = portal.post("/adukan", {"form_token": tokens["form_token"]} | FORM)
    assert response.status_code == 400
    assert "Formulir kedaluwarsa" in response.text
    assert complaints() == 0


def test_photos_are_attached_and_a_disguised_file_refuses_the_whole_filing(portal):
    response = portal.file(photos=[png("red"), png("blue")])
    assert response.status_code == 201
    stored = db.session.scalars(select(Attachment)).all()
    assert [(a.content_type, a.uploaded_by_role) for a in stored] == [("image/png", "reporter")] * 2
    assert all(a.public_safe for a in stored)

    before = complaints()
    bad = portal.file(photos=[(io.BytesIO(b"<html><script>alert(1)</script></html>"), "foto.jpg")])
    assert bad.status_code == 422
    assert 'id="photos-error"' in bad.text and "foto.jpg" in bad.text
    assert complaints() == before
    assert db.session.scalar(select(func.count(Attachment.id))) == 2


def test_the_receipt_is_sent_by_sms_without_the_pin_when_notifications_are_on(portal, app):
    app.config["NOTIFICATIONS_ENABLED"] = True
    response = portal.file(reporter_phone="081234567001", reporter_email="komang@example.id")
    code, pin = receipt_of(response)
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind.in_(("sms", "email")))).all()
    assert {m.kind for m in messages} == {"sms", "email"}
    for message in messages:
        assert code in message.payload["text"]
        assert pin not in str(message.payload)


def test_the_filing_event_records_the_web_channel(portal):
    portal.file()
    event = db.session.scalar(select(ComplaintEvent).filter_by(action="file"))
    assert (event.actor_role, event.details["channel"]) == ("reporter", "web")
