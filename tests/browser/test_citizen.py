"""A citizen on a phone files anonymously, tracks, adds information, answers dissatisfied, later confirms and
rates; the statistics page shows the figures the database holds. Playwright drives Debian's Chromium."""

import re
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.conftest import fresh
from tests.conftest import T0, VERIFY
from web.charts import number
from workflow.db import db
from workflow.domain.rules import Actor
from workflow.models import Complaint, ComplaintEvent, Rating
from workflow.services.actions import take_action

UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter(el => !el.closest('[aria-hidden=true]'))
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.name || el.id)"""


def staff_act(complaint_id: int, action: str, actor, at, **body) -> None:
    """Let staff act (the staff app's work, done through the services) and commit before the browser looks."""
    fresh()
    take_action(complaint_id, action, actor, at, body)
    db.session.commit()


def test_a_citizen_files_anonymously_on_a_phone_tracks_answers_and_rates(phone_page, live_server, staff):
    page, app = phone_page, live_server.app
    page.goto("/adukan")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling at 360 px
    assert page.evaluate(UNLABELLED) == []
    page.get_by_label("Jalan rusak / berlubang").check()
    page.get_by_label("Judul singkat").fill("Jalan berlubang di depan SD 2 Gelgel")
    page.get_by_label("Ceritakan masalahnya").fill("Lubang sedalam 20 cm, dua motor jatuh minggu ini.")
    page.get_by_label("Desa atau kelurahan", exact=True).select_option("Gelgel")
    page.get_by_label("Nomor HP").fill("081234567001")
    page.get_by_label("Sembunyikan identitas saya").check()
    app.config["FIXED_NOW"] = T0 + timedelta(minutes=3)  # a person takes minutes to fill the form
    page.get_by_role("button", name="Kirim pengaduan").click()

    expect(page.get_by_role("heading", name="Pengaduan diterima")).to_be_visible()
    code = page.locator("[data-tracking-code]").inner_text()
    pin = page.locator("[data-pin]").inner_text()
    assert re.fullmatch(r"KLK-26-\w{6}", code) and re.fullmatch(r"\d{6}", pin)
    fresh()
    complaint = db.session.scalar(select(Complaint).filter_by(tracking_code=code))
    assert complaint.anonymous and (complaint.desa, complaint.kecamatan) == ("Gelgel", "Klungkung")

    # Tracking: the code and PIN open the complaint; the next step has a date.
    page.goto("/lacak")
    page.get_by_label("Kode pelacakan").fill(code)
    page.get_by_label("PIN").fill(pin)
    page.get_by_role("button", name="Buka pengaduan").click()
    expect(page.get_by_text("Admin pengaduan memeriksa dan meneruskan pengaduan Anda paling lambat 27 Mar 2026."))\
        .to_be_visible()
    page.get_by_label("Informasi", exact=True).fill("Lubangnya makin lebar setelah hujan semalam.")
    page.get_by_role("button", name="Kirim informasi").click()
    expect(page.get_by_text("Terima kasih, informasi Anda sudah kami terima.")).to_be_visible()
    expect(page.get_by_text("Lubangnya makin lebar setelah hujan semalam.")).to_be_visible()

    # The unit answers; the citizen is not satisfied and says why.
    staff_act(complaint.id, "verify", staff["admin"].actor, T0 + timedelta(hours=1), **(VERIFY | {"anonymous": True}))
    staff_act(complaint.id, "acknowledge", staff["pupr"].actor, T0 + timedelta(hours=2))
    staff_act(complaint.id, "respond", staff["penghubung_pupr"].actor, T0 + timedelta(hours=3),
              comment="Lubang sudah ditimbun sirtu.")
    page.reload()
    expect(page.get_by_text("Lubang sudah ditimbun sirtu.").first).to_be_visible()
    page.get_by_label("Belum puas? Tuliskan alasannya").fill("Hanya ditimbun, belum diaspal.")
    page.get_by_role("button", name="Saya belum puas").click()
    expect(page.get_by_text("pengaduan kembali ke instansi untuk ditindaklanjuti")).to_be_visible()
    fresh()
    assert db.session.get(Complaint, complaint.id).state == "in_progress"

    # Later the unit answers again; now the citizen confirms and rates the handling once.
    staff_act(complaint.id, "respond", staff["penghubung_pupr"].actor, T0 + timedelta(days=2),
              comment="Sudah diaspal ulang.")
    page.reload()
    page.get_by_role("button", name="Ya, saya puas — pengaduan selesai").click()
    expect(page.get_by_text("Pengaduan Anda kami nyatakan selesai.")).to_be_visible()
    page.get_by_label("4 — Puas").check()
    page.get_by_label("Komentar (boleh dikosongkan)").fill("Akhirnya beres.")
    page.get_by_role("button", name="Kirim penilaian").click()
    expect(page.get_by_text("Anda memberi nilai 4 dari 5.")).to_be_visible()
    expect(page.get_by_role("button", name="Kirim penilaian")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    fresh()
    done = db.session.get(Complaint, complaint.id)
    assert (done.state, done.closure) == ("closed", "confirmed")
    actions = db.session.scalars(select(ComplaintEvent.action).filter_by(complaint_id=complaint.id)
                                 .where(ComplaintEvent.internal.is_(False)).order_by(ComplaintEvent.id)).all()
    assert [a for a in actions if a in ("file", "note", "respond", "dispute", "confirm", "rate")] == [
        "file", "note", "respond", "dispute", "respond", "confirm", "rate"]
    assert db.session.scalars(select(Rating.score)).all() == [4]
    # The public never learns who filed it.
    page.goto(f"/pengaduan/{code}")
    assert "081234567001" not in page.content()


def test_the_statistics_page_shows_the_figures_the_database_holds(page, live_server, staff, file, act):
    filed = [file(at=T0 + timedelta(hours=i), title=f"Pengaduan {i}",
                  category="air-pdam" if i % 2 else "jalan-rusak") for i in range(5)]
    for item in filed[:3]:
        act(item.complaint.id, "verify", staff["admin"].actor, T0 + timedelta(hours=6), **VERIFY)
    for item in filed[:2]:
        act(item.complaint.id, "acknowledge", staff["pupr"].actor, T0 + timedelta(hours=7))
        act(item.complaint.id, "respond", staff["penghubung_pupr"].actor, T0 + timedelta(hours=8), comment="Beres.")
    act(filed[0].complaint.id, "confirm", Actor.reporter(filed[0].complaint.id), T0 + timedelta(hours=9))
    act(filed[4].complaint.id, "archive", staff["admin"].actor, T0 + timedelta(hours=9), reason="spam")
    db.session.commit()

    # What the database says, counted here straight from the complaints.
    received = db.session.scalar(select(func.count(Complaint.id)))
    closed = db.session.scalar(select(func.count(Complaint.id)).filter_by(state="closed"))
    archived = db.session.scalar(select(func.count(Complaint.id)).filter_by(state="archived"))
    resolved_percent = round(100 * closed / (received - archived), 1)
    by_category = dict(db.session.execute(select(Complaint.category_code, func.count(Complaint.id))
                                          .group_by(Complaint.category_code)).all())

    page.goto("/statistik")
    expect(page.get_by_role("heading", name="Statistik pengaduan 2026", level=1)).to_be_visible()
    assert page.locator("[data-figure=received] .stat-value").inner_text() == str(received)
    assert page.locator("[data-figure=resolved_percent] .stat-value").inner_text() == number(resolved_percent) + "%"
    categories = page.get_by_role("table", name="Kategori terbanyak, 2026")
    assert categories.get_by_role("row", name="Jalan rusak / berlubang").get_by_role("cell").inner_text() == \
        str(by_category["jalan-rusak"])
    assert categories.get_by_role("row", name="Air PDAM mati / gangguan air bersih").get_by_role("cell")\
        .inner_text() == str(by_category["air-pdam"])
    league = page.get_by_role("table", name="Kinerja per perangkat daerah, 2026")
    expect(league.get_by_role("row", name=re.compile("Dinas Pekerjaan Umum"))).to_have_count(1)
    assert page.evaluate(UNLABELLED) == []
