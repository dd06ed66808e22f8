"""The public list, one complaint's public page, the open data CSV, and how complaints are handled."""

import csv
import io
from datetime import timedelta

import pytest

from tests.conftest import T0, VERIFY
from tests.web.portal import Portal
from workflow.db import db
from workflow.models import Complaint
from workflow.services.publication import OPEN_DATA_COLUMNS, REDACTED


@pytest.fixture
def portal(app) -> Portal:
    """Return a visitor's browser."""
    return Portal(app)


@pytest.fixture
def three(file, act, staff):
    """File a verified, an unverified and a confidential complaint; return them by name."""
    verified = file(title="Lampu jalan mati di Banjar Siku", category="lampu-jalan",
                    description="Tiga tiang lampu mati sejak Senin.",
                    location={"desa": "Gelgel", "kecamatan": "Klungkung"})
    act(verified.complaint.id, "verify", staff["admin"].actor, T0 + timedelta(hours=1),
        **(VERIFY | {"unit": "DISHUB", "comment": "Diteruskan ke Dinas Perhubungan."}))
    waiting = file(title="Sampah menumpuk di pasar", category="sampah", at=T0 + timedelta(hours=3))
    secret = file(title="Pungutan liar di kantor desa", confidential=True, at=T0 + timedelta(hours=4),
                  description="Petugas meminta uang untuk surat keterangan.")
    return {"verified": verified.complaint, "waiting": waiting.complaint, "secret": secret.complaint}


def test_the_list_shows_published_complaints_with_their_status_and_never_the_confidential_one(portal, three):
    page = portal.get("/pengaduan").text
    assert three["verified"].tracking_code in page and "Lampu jalan mati di Banjar Siku" in page
    assert "Diteruskan ke instansi" in page
    # Before verification: code, category and status only.
    assert three["waiting"].tracking_code in page and "Sampah menumpuk di pasar" not in page
    assert "Isi ditampilkan setelah diperiksa admin." in page
    assert three["secret"].tracking_code not in page and "Pungutan liar" not in page
    assert "2 pengaduan" in page
    assert "I Komang Sutama" not in page and "081234567001" not in page


def test_a_published_complaint_shows_content_after_verification_but_never_internal_notes(portal, three, act, staff):
    act(three["verified"].id, "escalate", staff["coordinator"].actor, T0 + timedelta(hours=5),
        comment="Catatan internal koordinator")
    page = portal.get(f"/pengaduan/{three['verified'].tracking_code}").text
    assert "Tiga tiang lampu mati sejak Senin." in page and "Desa Gelgel" in page
    assert "Diteruskan ke Dinas Perhubungan." in page
    assert "Catatan internal koordinator" not in page
    assert "I Komang Sutama" not in page


def test_a_confidential_complaint_has_no_public_page(portal, three):
    response = portal.get(f"/pengaduan/{three['secret'].tracking_code}")
    assert response.status_code == 404 and "Pungutan liar" not in response.text


def test_the_reporters_own_name_in_the_text_is_blanked_out(portal, file, act, staff):
    filed = file(title="Keluhan I Komang Sutama", description="Saya I Komang Sutama, HP 081234567001.")
    act(filed.complaint.id, "verify", staff["admin"].actor, T0, **VERIFY)
    page = portal.get(f"/pengaduan/{filed.complaint.tracking_code}").text
    assert "I Komang Sutama" not in page and "081234567001" not in page
    assert f"Saya {REDACTED}, HP {REDACTED}." in page


def test_the_list_filters_by_category_and_status_and_pages(portal, file):
    for hour in range(23):
        file(at=T0 + timedelta(minutes=hour))
    file(category="sampah", title="Sampah", at=T0 + timedelta(hours=1))
    first = portal.get("/pengaduan").text
    assert "24 pengaduan" in first and "Halaman 1 dari 2" in first
    second = portal.get("/pengaduan?halaman=2").text
    assert "Halaman 2 dari 2" in second
    assert "1 pengaduan" in portal.get("/pengaduan?kategori=sampah").text
    assert "0 pengaduan" in portal.get("/pengaduan?status=selesai").text
    assert portal.get("/pengaduan?halaman=abc").status_code == 422


def test_open_data_is_de_identified_formula_safe_and_leaves_out_confidential_complaints(portal, three, staff, file,
                                                                                      act):
    # A kecamatan typed by staff from a letter, starting like a spreadsheet formula.
    odd = file(channel="letter", received_at=T0.isoformat(), actor=staff["admin"].actor,
               location={"kecamatan": "=HYPERLINK(\"http://x\")"})
    act(odd.complaint.id, "verify", staff["admin"].actor, T0, **VERIFY)
    response = portal.get("/data-terbuka/pengaduan.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert tuple(rows[0]) == OPEN_DATA_COLUMNS
    by_code = {row[0]: dict(zip(OPEN_DATA_COLUMNS, row, strict=True)) for row in rows[1:]}
    assert set(by_code) == {three["verified"].tracking_code, three["waiting"].tracking_code,
                            odd.complaint.tracking_code}
    verified = by_code[three["verified"].tracking_code]
    assert (verified["kategori"], verified["kecamatan"], verified["instansi"], verified["status"]) == (
        "lampu-jalan", "Klungkung", "DISHUB", "dispositioned")
    assert by_code[three["waiting"].tracking_code]["kecamatan"] == ""  # not shown before verification
    assert by_code[odd.complaint.tracking_code]["kecamatan"].startswith("'=")
    text = response.get_data(as_text=True)
    for secret in ("Lampu jalan mati", "Tiga tiang", "I Komang Sutama", "081234567001", "Gelgel", "Pungutan"):
        assert secret not in text


def test_how_complaints_are_handled_is_written_from_the_sop(portal, app):
    page = portal.get("/cara-kerja").text
    # Limits, classes, the Nusa Penida adjustment, the ladder and the Ombudsman route, all from sop/klungkung.
    assert "dalam 3 hari kerja" in page and "dalam 5 hari kerja" in page
    assert "Pengaduan berkadar pengawasan" in page and ">60<" in page
    assert "Tambahan 5 hari kerja di Kecamatan Nusa Penida" in page
    assert "Saat 75% waktu sudah terpakai" in page and "mencapai 2 kali batas" in page and "60 hari kerja" in page
    assert "Ombudsman Republik Indonesia Perwakilan Provinsi Bali" in page
    assert "Galungan" in page  # this year's Bali days from the SOP calendar
    assert db.session.get(Complaint, 1) is None  # reading the page stores nothing


def test_the_public_pages_switch_to_english(portal):
    portal.get("/bahasa/en?next=/")
    page = portal.get("/").text
    assert '<html lang="en"' in page and "File a complaint" in page and "How complaints are handled" in page
    assert "Complaint statistics 2026" in portal.get("/statistik").text
