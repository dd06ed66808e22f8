"""The staff app in a real browser: the main paths, keyboard only, labels everywhere, a phone screen."""

import csv
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import fresh, login
from tests.conftest import T0, VERIFY
from workflow.db import db
from workflow.models import Complaint
from workflow.services.sla import sweep

pytestmark = pytest.mark.browser

# Every visible form control must have a name a screen reader can read out.
UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea, button'))
  .filter(el => el.type !== 'hidden')
  .filter(el => {
    if (el.tagName === 'BUTTON') return !(el.textContent.trim() || el.getAttribute('aria-label'));
    return !((el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby'));
  })
  .map(el => el.outerHTML.slice(0, 120))"""


def unlabelled_controls(page) -> list[str]:
    """Return the form controls on the page that have no label (empty when all are labelled)."""
    return page.evaluate(UNLABELLED)


def state_of(complaint_id: int) -> str:
    """Return a complaint's state as the server committed it."""
    fresh()
    return db.session.get(Complaint, complaint_id).state


def test_the_administrator_verifies_and_dispositions(page, staff, file):
    filed = file()
    login(page, "admin")
    page.get_by_role("link", name=re.compile("Pengaduan masuk")).click()
    page.get_by_role("link", name=filed.complaint.tracking_code).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(filed.complaint.tracking_code)
    expect(page.get_by_text("Saran tujuan")).to_be_visible()
    form = page.locator("#action-verify")
    expect(form.get_by_label("Unit tujuan")).to_have_value("PUPRKP")  # the routing suggestion is preselected
    form.get_by_label("Kelas pengaduan").select_option("pengaduan_tidak_berkadar_pengawasan")
    form.get_by_role("group", name="Rahasiakan identitas pelapor?").get_by_label("Tidak").check()
    form.get_by_role("group", name="Rahasiakan isi pengaduan (tidak dipublikasikan)?").get_by_label("Tidak").check()
    form.get_by_label("Pesan kepada pelapor").fill("Pengaduan Anda diteruskan ke Dinas PUPRKP.")
    form.get_by_role("button", name="Verifikasi dan disposisikan").click()
    expect(page.get_by_role("status").filter(has_text="berhasil")).to_be_visible()
    expect(page.locator(".badge").filter(has_text="Terdisposisi, belum ditindaklanjuti")).to_be_visible()
    assert state_of(filed.complaint.id) == "dispositioned"


def test_the_unit_acknowledges_and_drafts_then_the_penghubung_posts_the_response(browser, live_server, staff,
                                                                                 file, act):
    filed = file()
    act(filed.complaint.id, "verify", staff["admin"].actor, **VERIFY)
    unit = browser.new_context(base_url=live_server.url).new_page()
    login(unit, "pupr")
    unit.get_by_role("link", name=re.compile("Terdisposisi")).first.click()
    unit.get_by_role("checkbox", name=f"Pilih {filed.complaint.tracking_code}").check()
    unit.get_by_role("button", name="Terima disposisi yang dipilih").click()
    expect(unit.get_by_role("status").filter(has_text="1 pengaduan diterima")).to_be_visible()
    assert state_of(filed.complaint.id) == "in_progress"

    unit.goto(f"/staf/pengaduan/{filed.complaint.id}")
    unit.get_by_role("textbox", name="Draf tanggapan").fill("Lubang sudah ditambal pada hari Senin oleh tim UPT Jalan.")
    unit.get_by_role("button", name="Simpan draf").click()
    expect(unit.get_by_role("status").filter(has_text="Draf tanggapan disimpan")).to_be_visible()
    unit.context.close()

    penghubung = browser.new_context(base_url=live_server.url).new_page()
    login(penghubung, "penghubung_pupr")
    penghubung.get_by_role("link", name=re.compile("Menunggu persetujuan saya")).click()
    penghubung.get_by_role("link", name=filed.complaint.tracking_code).click()
    respond = penghubung.locator("#action-respond")
    expect(respond.get_by_label("Pesan kepada pelapor")).to_have_value(
        "Lubang sudah ditambal pada hari Senin oleh tim UPT Jalan.")
    respond.get_by_role("button", name="Kirim tanggapan kepada pelapor").click()
    expect(penghubung.get_by_role("status").filter(has_text="berhasil")).to_be_visible()
    assert state_of(filed.complaint.id) == "responded"
    penghubung.context.close()


def test_the_supervisor_exports_breaches_without_hidden_identities(page, staff, file, act):
    late = file(at=T0 - timedelta(days=21), title="=HYPERLINK(\"http://evil\")", anonymous=True,
                reporter={"name": "Ni Luh Rahasia", "phone": "081234567099"})
    open_ = file(at=T0 - timedelta(days=21), title="Jalan rusak di Dawan",
                 reporter={"name": "Made Terbuka", "phone": "081234567098"})
    act(open_.complaint.id, "verify", staff["admin"].actor, at=T0 - timedelta(days=20), **VERIFY)
    sweep(T0)  # the sweep records the breaches and the escalations they cause
    db.session.commit()
    login(page, "inspector")
    page.get_by_role("link", name="Audit pelanggaran SLA").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit pelanggaran SLA")
    page.get_by_label("Batas waktu sejak").fill("2026-01-01")
    page.get_by_role("button", name="Terapkan saringan").click()
    rows = page.locator("table[aria-labelledby=breaches-h] tbody tr")
    expect(rows.filter(has_text=late.complaint.tracking_code)).to_contain_text("Verifikasi")
    expect(rows.filter(has_text=late.complaint.tracking_code)).to_contain_text("tingkat 1")

    with page.expect_download() as download:
        page.get_by_role("link", name="Unduh CSV").click()
    text = download.value.path().read_bytes().decode("utf-8-sig")
    assert "Ni Luh Rahasia" not in text and "081234567099" not in text
    table = list(csv.reader(io.StringIO(text)))
    late_row = next(row for row in table if row[0] == late.complaint.tracking_code)
    assert late_row[1].startswith("'=HYPERLINK")  # a formula shows as text
    assert any(row[-1] == "Made Terbuka" for row in table)

    with page.expect_download() as download:
        page.get_by_role("link", name="Unduh XLSX").click()
    workbook = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    cells = [cell for row in workbook["Pelanggaran"].iter_rows(values_only=True) for cell in row]
    assert "Ni Luh Rahasia" not in cells
    assert "'=HYPERLINK(\"http://evil\")" in cells
    assert workbook["Peringkat OPD"]["A1"].value == "Peringkat"


def test_keyboard_only_sign_in_and_verification(page, staff, file):
    filed = file()
    page.goto("/staf/masuk")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Langsung ke isi utama"
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    tab_to(page, "#username")
    page.keyboard.type("admin")
    page.keyboard.press("Tab")
    page.keyboard.type("correct-horse-battery")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/staf/(#main)?$"))  # the skip link's #main travels along
    tab_to(page, "a.stat[href$='/antrian/incoming']")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url("**/antrian/incoming")
    tab_to(page, f"a:text('{filed.complaint.tracking_code}')")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/pengaduan/{filed.complaint.id}")
    tab_to(page, "#action-verify-class")
    page.keyboard.press("ArrowDown")  # choose the first class without a mouse
    tab_to(page, "#action-verify-anonymous-yes")
    page.keyboard.press("ArrowDown")  # radio group: arrow keys move to "Tidak" and select it
    tab_to(page, "#action-verify-confidential-yes")
    page.keyboard.press("ArrowDown")
    tab_to(page, "#action-verify button[type=submit]")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="berhasil")).to_be_visible()
    assert state_of(filed.complaint.id) == "dispositioned"


def tab_to(page, selector: str, limit: int = 120) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    target = page.locator(selector).first
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"{selector} cannot be reached with the Tab key")


def focus_is_visible(page) -> bool:
    """Return whether the focused element shows a focus outline."""
    style = page.evaluate("(() => { const s = getComputedStyle(document.activeElement); "
                          "return [s.outlineStyle, s.outlineWidth]; })()")
    return style[0] != "none" and style[1] != "0px"


STAFF_PAGES = {
    "admin": ["/staf/", "/staf/antrian/incoming", "/staf/antrian/returned", "/staf/antrian/all",
              "/staf/pengaduan/{received}", "/staf/pelanggaran", "/staf/akun"],
    "pupr": ["/staf/antrian/dispositioned", "/staf/antrian/in_progress", "/staf/pengaduan/{in_progress}"],
    "penghubung_pupr": ["/staf/antrian/at_risk", "/staf/antrian/awaiting_approval", "/staf/pengaduan/{in_progress}",
                        "/staf/akun"],
    "sysadmin": ["/staf/pengguna", "/staf/pengguna/{penghubung_id}"],
}


def test_every_form_control_on_every_staff_page_has_a_label(page, browser, live_server, staff, file, act):
    from workflow.services import people

    received, moving = file(), file(title="Jalan amblas di Tangkas")
    act(moving.complaint.id, "verify", staff["admin"].actor, **VERIFY)
    act(moving.complaint.id, "acknowledge", staff["pupr"].actor)
    people.create_user("sysadmin", "sysadmin", "correct-horse-battery", "KLK")
    penghubung_id = people.list_users(people.actor_for(people.check_password("sysadmin", "correct-horse-battery")),
                                      role="penghubung")[0].id
    db.session.commit()
    values = {"received": received.complaint.id, "in_progress": moving.complaint.id, "penghubung_id": penghubung_id}
    page.goto("/staf/masuk")
    assert unlabelled_controls(page) == []
    for username, paths in STAFF_PAGES.items():
        context = browser.new_context(base_url=live_server.url)
        tab = context.new_page()
        login(tab, username)
        for path in paths:
            response = tab.goto(path.format(**values))
            assert response.status == 200, path
            assert unlabelled_controls(tab) == [], path
            assert tab.locator("h1").count() == 1, path
        context.close()


def test_the_complaint_page_fits_a_phone_screen(phone_page, staff, file):
    filed = file()
    login(phone_page, "admin")
    for path in (f"/staf/pengaduan/{filed.complaint.id}", "/staf/antrian/incoming", "/staf/pelanggaran"):
        phone_page.goto(path)
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} scrolls sideways ({width}px)"
    phone_page.goto(f"/staf/pengaduan/{filed.complaint.id}")
    expect(phone_page.get_by_role("button", name="Verifikasi dan disposisikan")).to_be_visible()


def test_text_size_and_contrast_apply_at_once_and_stay(page, staff):
    login(page, "admin")
    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    page.get_by_role("link", name="Teks lebih besar").click()
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") > size * 1.3
    page.get_by_role("link", name="Kontras tinggi").click()
    expect(page.locator("html")).to_have_class(re.compile("high-contrast"))
    page.reload()
    expect(page.locator("html")).to_have_class(re.compile("text-larger"))
    expect(page.locator("html")).to_have_class(re.compile("high-contrast"))
    expect(page.get_by_role("link", name="Kontras tinggi")).to_have_attribute("aria-current", "true")


def test_english_switch_keeps_the_page(page, staff, file):
    filed = file()
    login(page, "admin")
    page.goto(f"/staf/pengaduan/{filed.complaint.id}")
    page.get_by_role("link", name="English").click()
    page.wait_for_url(f"**/staf/pengaduan/{filed.complaint.id}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Complaint facts")).to_be_visible()
