"""The leader dashboard, the reports and the action-plan pages in a real browser (Debian's Chromium)."""

import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import fresh, login
from tests.conftest import T0, VERIFY
from workflow.db import db
from workflow.domain.rules import Actor
from workflow.models import AssessmentResponse, ProgrammeRealisation

pytestmark = pytest.mark.browser

UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
  .filter(el => el.offsetParent !== null)
  .filter(el => el.tagName === 'BUTTON' ? !el.textContent.trim() : !((el.labels && el.labels.length)
    || el.getAttribute('aria-label')))
  .map(el => el.outerHTML.slice(0, 120))"""
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def complaints(app, staff, file, act):
    """One complaint resolved by PUPRKP with its tags, one archived, one waiting."""
    first = file().complaint.id
    act(first, "verify", staff["admin"].actor, T0, **VERIFY)
    act(first, "acknowledge", staff["pupr"].actor, T0)
    act(first, "respond", staff["penghubung_pupr"].actor, T0, comment="Sudah ditambal.", failures=["facilities"])
    act(first, "confirm", Actor.reporter(first), T0)
    second = file(title="Iklan").complaint.id
    act(second, "archive", staff["admin"].actor, T0, reason="spam")
    file(title="Lampu mati")
    db.session.commit()


def test_the_leader_reads_the_dashboard_with_charts_and_their_tables(page, staff, complaints):
    login(page, "leader")
    page.goto("/laporan/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dasbor pimpinan: Tahun 2026")
    expect(page.get_by_role("heading", name="Target rencana aksi (Tabel 3.1)")).to_be_visible()
    charts = page.get_by_role("img", name="Tren bulanan")
    expect(charts).to_have_count(1)
    expect(page.get_by_role("table", name="Tren bulanan").get_by_role("row", name=re.compile("Mar 2026"))
           ).to_contain_text("3")
    expect(page.get_by_role("table", name="OPD paling tepat waktu")).to_contain_text(
        "Dinas Pekerjaan Umum, Penataan Ruang, Perumahan dan Kawasan Permukiman")
    expect(page.get_by_text("Kepuasan: belum ada data")).to_be_visible()
    assert page.evaluate(UNLABELLED) == []
    page.get_by_label("Periode").select_option("2026-S2")
    page.get_by_role("button", name="Tampilkan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dasbor pimpinan: Semester II 2026")
    expect(page.get_by_text("Belum ada pengaduan yang diselesaikan pada periode ini.")).to_be_visible()


def test_the_dashboard_fits_a_phone(phone_page, staff, complaints):
    login(phone_page, "leader")
    phone_page.goto("/laporan/")
    expect(phone_page.get_by_role("heading", level=1)).to_be_visible()
    assert phone_page.evaluate(OVERFLOW) <= 1
    box = phone_page.get_by_role("img", name="Tren bulanan").bounding_box()
    assert box["width"] <= 360


def test_the_semester_report_prints_without_the_menus_and_downloads_as_xlsx(page, staff, complaints):
    login(page, "coordinator")
    page.goto("/laporan/daftar")
    page.get_by_role("link", name="Laporan semester (Pasal 8)").nth(1).click()  # 2026: S2 first, then S1
    expect(page.get_by_role("heading", level=1)).to_contain_text("Semester I 2026")
    for lens in ("A. Kelembagaan", "B. Proses", "C. Dampak"):
        expect(page.get_by_role("heading", name=lens)).to_be_visible()
    expect(page.get_by_role("table", name="Indikator sasaran rencana aksi")).to_contain_text("50 %")
    page.emulate_media(media="print")
    expect(page.locator(".site-nav")).to_be_hidden()
    expect(page.get_by_role("link", name="Unduh XLSX")).to_be_hidden()
    page.emulate_media(media="screen")
    with page.expect_download() as download:
        page.get_by_role("link", name="Unduh XLSX").click()
    assert download.value.suggested_filename == "laporan-semester-2026-S1.xlsx"
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert book["Tabel 3.1"]["C2"].value == 3


def test_the_administrator_records_a_realisation_in_the_matrix(page, staff):
    login(page, "admin")
    page.goto("/laporan/rencana-aksi")
    expect(page.get_by_role("table", name="Tabel 3.2 Program dan kegiatan rencana aksi")).to_be_visible()
    cell = page.locator("#kegiatan-3\\.3\\.2 details", has_text="Catat 3.3.2 2023")
    cell.locator("summary").click()
    cell.get_by_label("Status").select_option("done")
    cell.get_by_label("Catatan").fill("Mesadu terhubung ke SP4N-LAPOR! sejak Oktober 2023.")
    cell.get_by_role("button", name="Simpan").click()
    expect(page.get_by_role("status").filter(has_text="Realisasi 3.3.2 tahun 2023 tersimpan")).to_be_visible()
    expect(page.locator("#kegiatan-3\\.3\\.2")).to_contain_text("Terlaksana")
    fresh()
    found = db.session.query(ProgrammeRealisation).one()
    assert (found.activity_code, found.year, found.status) == ("3.3.2", 2023, "done")


def test_a_respondent_fills_in_the_self_assessment_with_the_keyboard(browser, live_server, page, staff):
    login(page, "coordinator")
    page.goto("/laporan/penilaian-mandiri")
    page.get_by_label("Judul").fill("Penilaian mandiri 2026")
    page.get_by_role("button", name="Buka putaran").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Penilaian mandiri 2026")
    round_url = page.url
    respondent = browser.new_context(base_url=live_server.url).new_page()
    login(respondent, "pupr")
    respondent.goto(round_url)
    for number in range(1, 21):
        group = respondent.get_by_role("group", name=re.compile(rf"^{number}\. "))
        group.get_by_label("4" if number in (4, 15, 16) else "3", exact=True).check()
    respondent.get_by_role("button", name="Kirim penilaian").press("Enter")
    expect(respondent.get_by_role("status").filter(has_text="jawaban Anda tersimpan")).to_be_visible()
    assert respondent.evaluate(UNLABELLED) == []
    respondent.context.close()
    fresh()
    assert db.session.query(AssessmentResponse).count() == 1
    page.reload()
    expect(page.get_by_role("table", name=re.compile("Nilai aspek"))).to_contain_text("19/6")
